// Federated gateway benchmark: throughput with Bulwark vs without on the same federated query.
//
//   npx tsc -b examples/gateway && node bench/gateway.bench.mjs
//
// Two stacks, each as three child processes (gateway, accounts subgraph, orders subgraph), on
// the same supergraph, driven by autocannon from this process with the same request (a bearer
// token included):
//
// - none:    @apollo/gateway + two @apollo/subgraph services, nothing else;
// - bulwark: the example (examples/gateway): JWT verification, the supergraph bridge's field
//            rules, limits and cost, the example's rate-limit rules and a cost budget charged
//            on every request (never exhausted), introspection control, masking, the preset's
//            HTTP layer, a signed principal per subgraph request; subgraphs verify the
//            signature and enforce their own rules.
//
// The query reads the caller's user, with an owner-guarded field, and the user's orders from
// the second subgraph (one entity fetch). Target: bulwark >= 0.85x of none. Both stacks are
// warmed up, then measured in alternated runs; medians are reported, with the servers' CPU time
// per request (less noisy under load). Env: GW_BENCH_SECONDS (run length, default 5),
// GW_BENCH_ROUNDS (alternations, default 5), GW_BENCH_WARMUP (seconds per stack, default 15),
// GW_BENCH_CONNECTIONS (default 10).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median, printTable, writeResults } from './lib/harness.mjs';

const script = fileURLToPath(import.meta.url);
const exampleUrl = new URL('../examples/gateway/dist/index.js', import.meta.url);
// The Apollo packages the baseline needs are the example's dependencies.
const requireFromExample = createRequire(
  new URL('../examples/gateway/package.json', import.meta.url),
);

const QUERY = `query Bench {
  user(id: "u1") {
    name
    email
    orders(first: 5) { id status total items { quantity product { name price } } }
  }
}`;
const TARGET = 0.85;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

// ---------------------------------------------------------------------------------------
// Children
// ---------------------------------------------------------------------------------------

async function listen(app) {
  const server = createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/graphql` };
}

function serve(stop, extra) {
  let mark = process.cpuUsage();
  process.on('message', async (m) => {
    if (m === 'mark') {
      mark = process.cpuUsage();
      process.send('ok');
    } else if (m === 'report') {
      const d = process.cpuUsage(mark);
      process.send({ cpuUs: d.user + d.system });
    } else if (m === 'stop') {
      await stop();
      process.exit(0);
    }
  });
  process.send(extra);
}

async function plainSubgraph(name) {
  const example = await import(exampleUrl);
  const { ApolloServer } = requireFromExample('@apollo/server');
  const { buildSubgraphSchema } = requireFromExample('@apollo/subgraph');
  const { expressMiddleware } = requireFromExample('@as-integrations/express5');
  const express = requireFromExample('express');
  const resolvers =
    name === 'accounts'
      ? example.accountsResolvers
      : example.ordersResolvers(new example.OrdersData());
  const apollo = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: example.SUBGRAPH_TYPE_DEFS[name], resolvers }),
    logger: silent,
  });
  await apollo.start();
  const app = express();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  const { server, url } = await listen(app);
  serve(
    async () => {
      await apollo.stop();
      server.closeAllConnections();
      server.close();
    },
    { url },
  );
}

async function bulwarkSubgraph(name, secret) {
  const { startSubgraph } = await import(exampleUrl);
  const subgraph = await startSubgraph({ name, secret });
  serve(() => subgraph.stop(), { url: subgraph.url });
}

async function plainGateway(urls) {
  const example = await import(exampleUrl);
  const { ApolloServer } = requireFromExample('@apollo/server');
  const { ApolloGateway, RemoteGraphQLDataSource } = requireFromExample('@apollo/gateway');
  const { expressMiddleware } = requireFromExample('@as-integrations/express5');
  const express = requireFromExample('express');
  const issuer = await example.createDevIssuer();
  const apollo = new ApolloServer({
    gateway: new ApolloGateway({
      supergraphSdl: example.readSupergraph(),
      logger: silent,
      buildService: ({ name }) => new RemoteGraphQLDataSource({ url: urls[name] }),
    }),
    logger: silent,
  });
  await apollo.start();
  const app = express();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  const { server, url } = await listen(app);
  const token = await issuer.issue(example.DEMO_USERS.alice);
  serve(
    async () => {
      await apollo.stop();
      server.closeAllConnections();
      server.close();
    },
    { url, token },
  );
}

async function bulwarkGateway(urls, secret) {
  const example = await import(exampleUrl);
  const issuer = await example.createDevIssuer();
  const gateway = await example.startGateway({
    port: 0,
    secret,
    subgraphUrls: urls,
    security: {
      jwt: issuer.jwt,
      // The example's rules (on placeOrder and users, not in this query) and a budget that
      // charges every request but is never exhausted: the run measures checks, not refusals.
      budget: { limit: 1e12, window: '1m', by: 'principal' },
    },
  });
  const token = await issuer.issue(example.DEMO_USERS.alice);
  serve(() => gateway.stop(), { url: gateway.url, token });
}

// ---------------------------------------------------------------------------------------
// Parent
// ---------------------------------------------------------------------------------------

function start(args) {
  const proc = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise((resolve, reject) => {
    proc.once('message', resolve);
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
  const ask = (message) =>
    new Promise((resolve) => {
      proc.once('message', resolve);
      proc.send(message);
    });
  const stop = () =>
    new Promise((resolve) => {
      proc.once('exit', resolve);
      proc.send('stop');
    });
  return { ready, ask, stop };
}

async function startStack(kind) {
  const secret = randomBytes(32).toString('base64url');
  const accounts = start(['subgraph', kind, 'accounts', secret]);
  const orders = start(['subgraph', kind, 'orders', secret]);
  const urls = { accounts: (await accounts.ready).url, orders: (await orders.ready).url };
  const gateway = start(['gateway', kind, JSON.stringify(urls), secret]);
  const { url, token } = await gateway.ready;
  const procs = [gateway, accounts, orders];
  return {
    url,
    token,
    mark: () => Promise.all(procs.map((p) => p.ask('mark'))),
    /** CPU microseconds since `mark` of the gateway, accounts and orders processes. */
    cpuUs: async () => (await Promise.all(procs.map((p) => p.ask('report')))).map((r) => r.cpuUs),
    stop: () => Promise.all(procs.map((p) => p.stop())),
  };
}

async function check(stack) {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` },
    body: JSON.stringify({ query: QUERY }),
  });
  const body = await res.json();
  if (res.status !== 200 || body.errors || !body.data?.user?.orders?.length)
    throw new Error(`The benchmark query failed: ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

function requestOptions(stack, connections) {
  return {
    url: stack.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` },
    body: JSON.stringify({ query: QUERY }),
    connections,
  };
}

async function run(stack, seconds, connections) {
  const { default: autocannon } = await import('autocannon');
  await stack.mark();
  const result = await autocannon({ ...requestOptions(stack, connections), duration: seconds });
  const [gatewayUs, accountsUs, ordersUs] = (await stack.cpuUs()).map(
    (us) => us / result.requests.total,
  );
  return {
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    cpuUsPerRequest: gatewayUs + accountsUs + ordersUs,
    gatewayCpuUsPerRequest: gatewayUs,
    subgraphsCpuUsPerRequest: accountsUs + ordersUs,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main() {
  const seconds = Number(process.env.GW_BENCH_SECONDS ?? 5);
  const rounds = Number(process.env.GW_BENCH_ROUNDS ?? 5);
  const connections = Number(process.env.GW_BENCH_CONNECTIONS ?? 10);
  const warmup = Number(process.env.GW_BENCH_WARMUP ?? 15);
  const loadStart = loadavg();
  const { default: autocannon } = await import('autocannon');
  // Both stacks stay up for the whole run: the Bulwark stack runs more code, and V8 takes a few
  // thousand requests to optimize it all; short warm-ups and restarts measure the JIT.
  const stacks = { none: await startStack('none'), bulwark: await startStack('bulwark') };
  const runs = { none: [], bulwark: [] };
  try {
    const data = { none: await check(stacks.none), bulwark: await check(stacks.bulwark) };
    if (JSON.stringify(data.none) !== JSON.stringify(data.bulwark))
      throw new Error('The two stacks answered the benchmark query differently.');
    for (const kind of ['none', 'bulwark'])
      await autocannon({ ...requestOptions(stacks[kind], connections), duration: warmup });
    for (let r = 0; r < rounds; r++)
      for (const kind of r % 2 ? ['bulwark', 'none'] : ['none', 'bulwark'])
        runs[kind].push(await run(stacks[kind], seconds, connections));
  } finally {
    await Promise.all([stacks.none.stop(), stacks.bulwark.stop()]);
  }
  const summary = {};
  for (const kind of ['none', 'bulwark'])
    summary[kind] = {
      requestsPerSecond: median(runs[kind].map((x) => x.requestsPerSecond)),
      latencyP50Ms: median(runs[kind].map((x) => x.latencyP50Ms)),
      cpuUsPerRequest: median(runs[kind].map((x) => x.cpuUsPerRequest)),
      gatewayCpuUsPerRequest: median(runs[kind].map((x) => x.gatewayCpuUsPerRequest)),
      subgraphsCpuUsPerRequest: median(runs[kind].map((x) => x.subgraphsCpuUsPerRequest)),
      non2xx: runs[kind].reduce((a, x) => a + x.non2xx, 0),
      errors: runs[kind].reduce((a, x) => a + x.errors, 0),
      runs: runs[kind].map((x) => Math.round(x.requestsPerSecond)),
    };
  const throughputRatio = summary.bulwark.requestsPerSecond / summary.none.requestsPerSecond;
  // Each round runs both stacks back to back: the ratio within a round is less exposed to the
  // load of a shared machine, which changes from one round to the next.
  const pairedRatio = median(
    runs.bulwark.map((b, i) => b.requestsPerSecond / runs.none[i].requestsPerSecond),
  );
  const cpuRatio = summary.none.cpuUsPerRequest / summary.bulwark.cpuUsPerRequest;
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  printTable(
    `Federated query (2 subgraphs, 1 entity fetch), ${connections} connections, ${warmup} s warm-up, ${seconds} s x ${rounds} alternated runs (median)`,
    [
      'stack',
      'req/s',
      'p50 ms',
      'CPU µs/req: all',
      'gateway',
      'subgraphs',
      'non-2xx',
      'runs req/s',
    ],
    ['none', 'bulwark'].map((kind) => [
      kind === 'none' ? 'gateway + subgraphs, no Bulwark' : 'gateway + subgraphs with Bulwark',
      fmt(summary[kind].requestsPerSecond),
      summary[kind].latencyP50Ms,
      fmt(summary[kind].cpuUsPerRequest),
      fmt(summary[kind].gatewayCpuUsPerRequest),
      fmt(summary[kind].subgraphsCpuUsPerRequest),
      summary[kind].non2xx,
      summary[kind].runs.join(', '),
    ]),
  );
  const verdict = throughputRatio >= TARGET ? 'meets' : 'MISSES';
  console.log(
    `\nthroughput ratio bulwark/none: ${throughputRatio.toFixed(2)}x (target >= ${TARGET}x: ${verdict}); median of per-round ratios: ${pairedRatio.toFixed(2)}x; CPU-per-request ratio: ${cpuRatio.toFixed(2)}x; load average ${loadStart.map((l) => l.toFixed(1)).join(' ')} -> ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  writeResults('gateway.bench', {
    query: QUERY,
    seconds,
    rounds,
    warmup,
    connections,
    loadavgStart: loadStart,
    ...summary,
    throughputRatio,
    pairedRatio,
    cpuRatio,
    target: TARGET,
    meets: throughputRatio >= TARGET,
  });
}

const [mode, kind, ...args] = process.argv.slice(2);
if (mode === 'subgraph')
  await (kind === 'bulwark' ? bulwarkSubgraph(args[0], args[1]) : plainSubgraph(args[0]));
else if (mode === 'gateway')
  await (kind === 'bulwark'
    ? bulwarkGateway(JSON.parse(args[0]), args[1])
    : plainGateway(JSON.parse(args[0])));
else await main();
