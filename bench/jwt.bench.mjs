// @bulwark/jwt: what verification costs, fresh and cached, and what it costs a server.
//
//   npx tsc -b packages/jwt && node bench/jwt.bench.mjs
//   (JWT_BENCH_SECONDS: length of one HTTP run, default 5; JWT_BENCH_PAIRS: runs of each
//   server, default 5)
//
// 1. Verification: `authenticate()` on an RS256 token it has never seen (full jose
//    verification, then stored in the cache) against the same call on a token it has seen
//    (hash, cache hit, time checks). Each case runs in its own child process. Target: a cached
//    token costs under 5% of a fresh one.
// 2. HTTP: the same Apollo Server 5 on Express 5, a trivial `{ ping }` query, with
//    `createJwtAuth` (context + plugin, one token reused as clients do) and with no auth at
//    all; each server runs in a child process, autocannon drives it from this process, runs
//    alternate. Target: with auth >= 0.9x the requests per second without.
//
//    Under load, a side-by-side measure drives both servers at once so that whatever else runs
//    on the machine slows both alike.
//
// Prints medians and ratios, writes bench/results/jwt.bench.json.
import { fork } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const ISSUER = 'https://idp.bench/';
const AUDIENCE = 'https://api.bench';
const script = fileURLToPath(import.meta.url);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function keyAndSigner() {
  const { SignJWT, exportJWK, generateKeyPair } = await import('jose');
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const now = Math.floor(Date.now() / 1000);
  let n = 0;
  const sign = () =>
    new SignJWT({ scope: 'read write', roles: ['user'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'bench', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(`user-${n}`)
      .setJti(`jti-${n++}`)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
  return { jwk, sign };
}

async function jwtAuth(jwk, extra = {}) {
  const { createJwtAuth } = await import('@bulwark/jwt');
  return createJwtAuth({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256'],
    keys: { type: 'jwks', jwks: { keys: [jwk] } },
    typ: 'at+jwt',
    ...extra,
  });
}

// ---------------------------------------------------------------------------------------
// Child: verification timings. Fresh and cached rounds alternate in one process, so both see
// the same load; each round pair gives one ratio.
// ---------------------------------------------------------------------------------------
async function verifyPass() {
  const { jwk, sign } = await keyAndSigner();
  const fresh = await jwtAuth(jwk);
  const cached = await jwtAuth(jwk);
  const rounds = 12;
  const freshBatch = 150;
  const cachedBatch = 4000;
  const warmup = 200;
  // Fresh tokens are signed ahead of time: only verification is timed.
  const tokens = [];
  for (let i = 0; i < warmup + rounds * freshBatch; i++) tokens.push(await sign());
  const requests = tokens.map((t) => ({ headers: { authorization: `Bearer ${t}` } }));
  const same = requests[0];
  let next = 0;
  for (let i = 0; i < warmup; i++) await fresh.authenticate(requests[next++]);
  for (let i = 0; i < 20_000; i++) await cached.authenticate(same);
  const time = async (auth, pick, batch) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) await auth.authenticate(pick());
    return Number(process.hrtime.bigint() - t0) / 1000 / batch;
  };
  const out = { freshUs: [], cachedUs: [] };
  for (let r = 0; r < rounds; r++) {
    out.freshUs.push(await time(fresh, () => requests[next++], freshBatch));
    out.cachedUs.push(await time(cached, () => same, cachedBatch));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Child: a server (no auth, or createJwtAuth)
// ---------------------------------------------------------------------------------------
async function serve(kind, jwk) {
  const { ApolloServer } = await import('@apollo/server');
  const { expressMiddleware } = await import('@as-integrations/express5');
  const { default: express } = await import('express');
  const typeDefs = 'type Query { ping: String! }';
  const resolvers = { Query: { ping: () => 'pong' } };
  const auth = kind === 'auth' ? await jwtAuth(jwk) : undefined;
  const server = new ApolloServer({ typeDefs, resolvers, plugins: auth ? [auth.plugin()] : [] });
  await server.start();
  const app = express();
  app.disable('x-powered-by');
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(server, { context: auth ? auth.context() : async () => ({}) }),
  );
  const httpServer = http.createServer(app);
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  process.send({ port: httpServer.address().port });
  let mark = process.cpuUsage();
  process.on('message', async (m) => {
    if (m === 'mark') {
      mark = process.cpuUsage();
      process.send({ marked: true });
    }
    if (m === 'report') {
      const used = process.cpuUsage(mark);
      process.send({ cpuUs: used.user + used.system });
    }
    if (m === 'stop') {
      await server.stop();
      httpServer.closeAllConnections();
      httpServer.close(() => process.exit(0));
    }
  });
}

// ---------------------------------------------------------------------------------------
// Parent
// ---------------------------------------------------------------------------------------
function child(args, { ipc = false } = {}) {
  const proc = fork(script, args, {
    stdio: ipc ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  return proc;
}

function runVerify() {
  return new Promise((resolve, reject) => {
    const proc = child(['verify']);
    proc.once('message', (m) => resolve(m));
    proc.once('exit', (code) => code !== 0 && reject(new Error(`verify exited ${code}`)));
  });
}

async function startServer(kind, jwk, token) {
  const proc = child(['server', kind, JSON.stringify(jwk)], { ipc: true });
  const { port } = await new Promise((resolve) => proc.once('message', resolve));
  const options = {
    url: `http://127.0.0.1:${port}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ ping }' }),
    connections: 10,
  };
  const stop = async () => {
    proc.send('stop');
    await new Promise((resolve) => proc.once('exit', resolve));
  };
  return { options, stop };
}

/** Both servers driven at once: whatever else loads the machine loads both alike. */
async function runSideBySide(jwk, token, seconds) {
  const { default: autocannon } = await import('autocannon');
  const none = await startServer('none', jwk, token);
  const auth = await startServer('auth', jwk, token);
  await Promise.all([none, auth].map((s) => autocannon({ ...s.options, duration: 1 })));
  const [a, b] = await Promise.all(
    [none, auth].map((s) => autocannon({ ...s.options, duration: seconds })),
  );
  await Promise.all([none.stop(), auth.stop()]);
  if (a.non2xx + b.non2xx + a.errors + b.errors > 0)
    throw new Error('side by side: non-2xx or errors');
  return {
    none: a.requests.average,
    auth: b.requests.average,
    ratio: b.requests.average / a.requests.average,
  };
}

async function runHttp(kind, jwk, token, seconds) {
  const { default: autocannon } = await import('autocannon');
  const proc = child(['server', kind, JSON.stringify(jwk)], { ipc: true });
  const { port } = await new Promise((resolve) => proc.once('message', resolve));
  const options = {
    url: `http://127.0.0.1:${port}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ ping }' }),
    connections: 10,
  };
  const ask = (message) =>
    new Promise((resolve) => {
      proc.once('message', resolve);
      proc.send(message);
    });
  await autocannon({ ...options, duration: 1 }); // warm-up
  await ask('mark');
  const result = await autocannon({ ...options, duration: seconds });
  const { cpuUs } = await ask('report');
  proc.send('stop');
  await new Promise((resolve) => proc.once('exit', resolve));
  return {
    kind,
    requestsPerSecond: result.requests.average,
    // Server CPU time per request: less disturbed by other load on the machine than req/s.
    cpuUsPerRequest: cpuUs / result.requests.total,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main() {
  const started = loadavg();
  console.log(
    `@bulwark/jwt benchmark: node ${process.version}, ${cpus().length} CPUs, load ${started.map((l) => l.toFixed(2)).join(' ')}`,
  );

  // 1. Verification: three processes, fresh and cached rounds alternating in each.
  const passes = [];
  for (let i = 0; i < 3; i++) passes.push(await runVerify());
  const freshUs = median(passes.flatMap((p) => p.freshUs));
  const cachedUs = median(passes.flatMap((p) => p.cachedUs));
  const cacheRatio = median(passes.flatMap((p) => p.cachedUs.map((c, i) => c / p.freshUs[i])));

  // 2. HTTP: pairs of runs back to back (order alternating); one ratio per pair.
  const seconds = Number(process.env.JWT_BENCH_SECONDS ?? 5);
  const pairCount = Number(process.env.JWT_BENCH_PAIRS ?? 5);
  const { jwk, sign } = await keyAndSigner();
  const token = await sign();
  const pairs = [];
  for (let i = 0; i < pairCount; i++) {
    const pair = {};
    for (const kind of i % 2 ? ['auth', 'none'] : ['none', 'auth']) {
      const run = await runHttp(kind, jwk, token, seconds);
      if (run.non2xx > 0 || run.errors > 0)
        throw new Error(`${kind}: ${run.non2xx} non-2xx, ${run.errors} errors`);
      pair[kind] = run;
    }
    pairs.push(pair);
  }
  const rps = (kind) => median(pairs.map((p) => p[kind].requestsPerSecond));
  const cpu = (kind) => median(pairs.map((p) => p[kind].cpuUsPerRequest));
  const httpRatio = median(pairs.map((p) => p.auth.requestsPerSecond / p.none.requestsPerSecond));
  const cpuRatio = median(pairs.map((p) => p.auth.cpuUsPerRequest / p.none.cpuUsPerRequest));
  const sideBySide = [];
  for (let i = 0; i < pairCount; i++) sideBySide.push(await runSideBySide(jwk, token, seconds));
  const sideRatio = median(sideBySide.map((r) => r.ratio));

  const ok = (pass) => (pass ? 'met' : 'MISSED');
  const lines = [
    '',
    '| case | median | ratio | target |',
    '|---|---|---|---|',
    `| authenticate(), fresh RS256 token (verify + cache insert) | ${freshUs.toFixed(1)} µs | 1.00x | |`,
    `| authenticate(), cached token | ${cachedUs.toFixed(2)} µs | ${(cacheRatio * 100).toFixed(2)}% of fresh (median of paired rounds) | < 5%: ${ok(cacheRatio < 0.05)} |`,
    `| HTTP { ping }, no auth | ${rps('none').toFixed(0)} req/s | 1.00x | |`,
    `| HTTP { ping }, createJwtAuth (cached token) | ${rps('auth').toFixed(0)} req/s | ${httpRatio.toFixed(3)}x (median of paired runs) | >= 0.9x: ${ok(httpRatio >= 0.9)} |`,
    `| HTTP side by side (both servers driven at once), createJwtAuth / no auth | ${median(sideBySide.map((r) => r.auth)).toFixed(0)} / ${median(sideBySide.map((r) => r.none)).toFixed(0)} req/s | ${sideRatio.toFixed(3)}x (median of ${pairCount} runs) | >= 0.9x: ${ok(sideRatio >= 0.9)} |`,
    `| server CPU per request, no auth | ${cpu('none').toFixed(0)} µs | 1.00x | |`,
    `| server CPU per request, createJwtAuth | ${cpu('auth').toFixed(0)} µs | ${cpuRatio.toFixed(3)}x (median of paired runs) | (throughput ≈ 1 / CPU) |`,
  ];
  console.log(lines.join('\n'));
  const ended = loadavg();
  console.log(`\nload average at the end: ${ended.map((l) => l.toFixed(2)).join(' ')}`);

  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}jwt.bench.json`,
    JSON.stringify(
      {
        when: new Date().toISOString(),
        machine: {
          node: process.version,
          cpus: cpus().length,
          model: cpus()[0]?.model,
          loadavgStart: started,
          loadavgEnd: ended,
        },
        command: 'npx tsc -b packages/jwt && node bench/jwt.bench.mjs',
        verification: {
          freshMedianUs: freshUs,
          cachedMedianUs: cachedUs,
          cachedOverFresh: cacheRatio,
          target: 'cached < 5% of fresh',
          met: cacheRatio < 0.05,
          passes,
        },
        http: {
          seconds,
          connections: 10,
          pairs: pairCount,
          noAuthMedianRps: rps('none'),
          jwtMedianRps: rps('auth'),
          jwtOverNoAuth: httpRatio,
          noAuthCpuUsPerRequest: cpu('none'),
          jwtCpuUsPerRequest: cpu('auth'),
          cpuRatio,
          sideBySideRatio: sideRatio,
          sideBySide,
          target: '>= 0.9x',
          met: httpRatio >= 0.9,
          runs: pairs,
        },
      },
      null,
      2,
    ),
  );
}

const [mode, arg, extra] = process.argv.slice(2);
if (mode === 'verify') {
  process.send(await verifyPass());
  process.exit(0);
} else if (mode === 'server') {
  await serve(arg, JSON.parse(extra));
} else {
  await main();
}
