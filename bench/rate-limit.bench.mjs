// @bulwark/rate-limit and @bulwark/redis benchmark.
//
//   npx tsc -b packages/rate-limit packages/redis && node bench/rate-limit.bench.mjs
//
// 1. Decisions per second of the in-memory store (one key, three keys) and of a whole
//    limiter.check (analysis lookup, rule table, identities, store) on a cached document.
// 2. Decisions per second of the Redis store on loopback against a private redis-server
//    (spawned here, never the shared one): one in flight (one round trip each, latency
//    bound) and 64 in flight; and the commands sent per decision (target: exactly 1).
// 3. HTTP throughput of Apollo Server 5 on Express 5 with the in-memory limiter vs none
//    (target >= 0.9x), each server in a child process, driven by autocannon from here,
//    runs alternated; server CPU time per request is reported too (less noisy under load).
//
// Each case runs in its own child process. Env: RL_BENCH_SECONDS (HTTP run length, default
// 5), RL_BENCH_ROUNDS (alternations, default 3).
import { fork, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const script = fileURLToPath(import.meta.url);
const T0 = Date.UTC(2026, 0, 1, 12);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

// ---------------------------------------------------------------------------------------
// Children
// ---------------------------------------------------------------------------------------

const schemaSdl = `
  type Query { ping: String me: User }
  type User { id: ID! secret: String name: String }
`;

async function limiterModule() {
  const { createRateLimiter, MemoryRateLimitStore } = await import('@bulwark/rate-limit');
  return { createRateLimiter, MemoryRateLimitStore };
}

/** Decisions per second of a loop of awaited decisions, over `rounds` timed rounds. */
async function rate(fn, { perRound, rounds = 7 }) {
  for (let i = 0; i < perRound; i++) await fn(i);
  const out = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) await fn(i);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    out.push(perRound / s);
  }
  return median(out);
}

async function memoryChild() {
  const { createRateLimiter, MemoryRateLimitStore } = await limiterModule();
  const { buildSchema, parse } = await import('graphql');
  const policy = { id: 'p', limit: 1e9, windowMs: 60_000, algorithm: 'sliding-window' };
  const bucket = { ...policy, algorithm: 'token-bucket' };
  const store = new MemoryRateLimitStore({ max: 100_000 });
  const keys = Array.from({ length: 10_000 }, (_, i) => `k${i}`);
  const one = await rate(
    (i) => store.consume([{ key: keys[i % keys.length], cost: 1, policy }], T0),
    {
      perRound: 100_000,
    },
  );
  const three = await rate(
    (i) =>
      store.consume(
        [
          { key: `a${i % 10_000}`, cost: 1, policy },
          { key: `b${i % 10_000}`, cost: 1, policy: bucket },
          { key: `c${i % 10_000}`, cost: 5, policy },
        ],
        T0,
      ),
    { perRound: 100_000 },
  );
  const schema = buildSchema(schemaSdl);
  const limiter = createRateLimiter({
    store: new MemoryRateLimitStore({ max: 100_000 }),
    now: () => T0,
    rules: [
      { match: { field: 'Query.ping' }, limit: 1e9, window: '1m', by: 'principal' },
      { match: { field: 'User.secret' }, limit: 1e9, window: '1m', by: ['principal', 'ip'] },
    ],
  });
  const document = parse('{ ping me { secret name } }');
  const contexts = Array.from({ length: 1000 }, (_, i) => ({
    clientIp: `10.0.${i >> 8}.${i & 255}`,
  }));
  const check = await rate(
    (i) => limiter.check({ schema, document, context: contexts[i % contexts.length] }),
    { perRound: 50_000 },
  );
  return { memoryOneKey: one, memoryThreeKeys: three, limiterCheck: check };
}

async function redisChild(url) {
  const { RedisRateLimitStore } = await import('@bulwark/redis');
  const { Redis } = await import('ioredis');
  const client = new Redis(url);
  let sent = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    sent++;
    return send(command, stream);
  };
  const store = new RedisRateLimitStore({
    client,
    prefix: `bench:${process.pid}:`,
    onStoreError: 'fail-closed',
    timeoutMs: 5000,
  });
  const policy = { id: 'p', limit: 1e9, windowMs: 60_000, algorithm: 'sliding-window' };
  const decision = (i) =>
    store.consume(
      [
        { key: `a${i % 10_000}`, cost: 1, policy },
        { key: `b${i % 10_000}`, cost: 1, policy },
        { key: `c${i % 10_000}`, cost: 1, policy },
      ],
      T0,
    );
  await decision(0); // loads the script
  sent = 0;
  const sequential = await rate(decision, { perRound: 3000, rounds: 5 });
  const decisions = 3000 * 6;
  const commandsPerDecision = sent / decisions;
  const inFlight = 64;
  const concurrent = await rate(
    async (i) => {
      await Promise.all(Array.from({ length: inFlight }, (_, j) => decision(i * inFlight + j)));
    },
    { perRound: 200, rounds: 5 },
  );
  await client.quit();
  return {
    redisSequential: sequential,
    redisConcurrent: concurrent * inFlight,
    commandsPerDecision,
  };
}

async function serverChild(kind) {
  const http = await import('node:http');
  const express = (await import('express')).default;
  const { ApolloServer } = await import('@apollo/server');
  const { expressMiddleware } = await import('@as-integrations/express5');
  const plugins = [];
  if (kind === 'limited') {
    const { createRateLimiter, MemoryRateLimitStore } = await limiterModule();
    const { rateLimitPlugin } = await import('@bulwark/rate-limit');
    const limiter = createRateLimiter({
      store: new MemoryRateLimitStore({ max: 100_000 }),
      rules: [{ match: { field: 'Query.ping' }, limit: 1e9, window: '1m', by: 'ip' }],
    });
    plugins.push(rateLimitPlugin(limiter));
  }
  const server = new ApolloServer({
    typeDefs: schemaSdl,
    resolvers: { Query: { ping: () => 'pong' } },
    plugins,
  });
  await server.start();
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(server, { context: async ({ req }) => ({ req }) }),
  );
  const httpServer = http.createServer(app);
  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  let mark = process.cpuUsage();
  process.on('message', async (m) => {
    if (m === 'mark') {
      mark = process.cpuUsage();
      process.send('ok');
    }
    if (m === 'report') {
      const d = process.cpuUsage(mark);
      process.send({ cpuUs: d.user + d.system });
    }
    if (m === 'stop') {
      await server.stop();
      httpServer.closeAllConnections();
      httpServer.close(() => process.exit(0));
    }
  });
  process.send({ port: httpServer.address().port });
}

// ---------------------------------------------------------------------------------------
// Parent
// ---------------------------------------------------------------------------------------

function runChild(args) {
  return new Promise((resolve, reject) => {
    const proc = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    proc.once('message', resolve);
    proc.once('exit', (code) => code !== 0 && reject(new Error(`${args[0]} exited ${code}`)));
  });
}

async function runHttp(kind, seconds) {
  const { default: autocannon } = await import('autocannon');
  const proc = fork(script, ['server', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve) => proc.once('message', resolve));
  const ask = (message) =>
    new Promise((resolve) => {
      proc.once('message', resolve);
      proc.send(message);
    });
  const options = {
    url: `http://127.0.0.1:${port}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ ping }' }),
    connections: 10,
  };
  await autocannon({ ...options, duration: 1 });
  await ask('mark');
  const result = await autocannon({ ...options, duration: seconds });
  const { cpuUs } = await ask('report');
  proc.send('stop');
  await new Promise((resolve) => proc.once('exit', resolve));
  return {
    requestsPerSecond: result.requests.average,
    cpuUsPerRequest: cpuUs / result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function privateRedis() {
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const { Redis } = await import('ioredis');
  for (let i = 0; i < 200; i++) {
    const probe = new Redis({
      port,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { url: `redis://127.0.0.1:${port}`, stop: () => proc.kill('SIGKILL') };
    } catch {
      probe.disconnect();
      await sleep(50);
    }
  }
  proc.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

function table(title, header, rows) {
  const lines = [
    `\n### ${title}\n`,
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
  ];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  console.log(lines.join('\n'));
}

async function main() {
  const load = loadavg();
  console.log(
    `@bulwark/rate-limit benchmark: node ${process.version}, ${cpus().length} CPUs, load ${load.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const memory = [await runChild(['memory']), await runChild(['memory'])];
  const redis = await privateRedis();
  let redisRuns;
  try {
    redisRuns = [await runChild(['redis', redis.url]), await runChild(['redis', redis.url])];
  } finally {
    redis.stop();
  }
  const pick = (runs, k) => median(runs.map((r) => r[k]));
  const decisions = {
    memoryOneKey: pick(memory, 'memoryOneKey'),
    memoryThreeKeys: pick(memory, 'memoryThreeKeys'),
    limiterCheck: pick(memory, 'limiterCheck'),
    redisSequential: pick(redisRuns, 'redisSequential'),
    redisConcurrent: pick(redisRuns, 'redisConcurrent'),
    commandsPerDecision: pick(redisRuns, 'commandsPerDecision'),
  };
  table(
    'Decisions per second (median of child runs)',
    ['case', 'decisions/s'],
    [
      ['memory store, 1 key', fmt(decisions.memoryOneKey)],
      ['memory store, 3 keys', fmt(decisions.memoryThreeKeys)],
      ['limiter.check, memory store, 2 rules / 3 keys', fmt(decisions.limiterCheck)],
      ['Redis loopback, 3 keys, 1 in flight', fmt(decisions.redisSequential)],
      ['Redis loopback, 3 keys, 64 in flight', fmt(decisions.redisConcurrent)],
      ['Redis commands per decision (target 1)', decisions.commandsPerDecision.toFixed(3)],
    ],
  );

  const seconds = Number(process.env.RL_BENCH_SECONDS ?? 5);
  const rounds = Number(process.env.RL_BENCH_ROUNDS ?? 3);
  const runs = { none: [], limited: [] };
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 ? ['limited', 'none'] : ['none', 'limited']) {
      runs[kind].push(await runHttp(kind, seconds));
    }
  }
  const http = {};
  for (const kind of ['none', 'limited']) {
    http[kind] = {
      requestsPerSecond: median(runs[kind].map((x) => x.requestsPerSecond)),
      cpuUsPerRequest: median(runs[kind].map((x) => x.cpuUsPerRequest)),
      non2xx: runs[kind].reduce((a, x) => a + x.non2xx, 0),
      errors: runs[kind].reduce((a, x) => a + x.errors, 0),
    };
  }
  const throughputRatio = http.limited.requestsPerSecond / http.none.requestsPerSecond;
  const cpuRatio = http.none.cpuUsPerRequest / http.limited.cpuUsPerRequest;
  table(
    `HTTP { ping }, 10 connections, ${seconds} s x ${rounds} alternated runs (median)`,
    ['server', 'req/s', 'server CPU µs/req', 'non-2xx'],
    [
      [
        'no limiter',
        fmt(http.none.requestsPerSecond),
        fmt(http.none.cpuUsPerRequest),
        http.none.non2xx,
      ],
      [
        'in-memory limiter',
        fmt(http.limited.requestsPerSecond),
        fmt(http.limited.cpuUsPerRequest),
        http.limited.non2xx,
      ],
    ],
  );
  const verdict = throughputRatio >= 0.9 ? 'meets' : 'MISSES';
  console.log(
    `\nthroughput ratio limiter/none: ${throughputRatio.toFixed(2)}x (target >= 0.9x: ${verdict}); CPU-per-request ratio: ${cpuRatio.toFixed(2)}x`,
  );
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}rate-limit.bench.json`,
    JSON.stringify(
      {
        when: new Date().toISOString(),
        machine: {
          node: process.version,
          cpus: cpus().length,
          model: cpus()[0]?.model,
          loadavgStart: load,
          loadavgEnd: loadavg(),
        },
        decisions,
        http: {
          seconds,
          rounds,
          ...http,
          throughputRatio,
          cpuRatio,
          target: 0.9,
          meets: throughputRatio >= 0.9,
        },
      },
      null,
      2,
    ),
  );
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'memory') process.send(await memoryChild(), () => process.exit(0));
else if (mode === 'redis') process.send(await redisChild(arg), () => process.exit(0));
else if (mode === 'server') await serverChild(arg);
else await main();
