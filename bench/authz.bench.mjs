// Field authorization overhead: a query over a 1,000-item list with one protected field.
//
//   npx tsc -b packages/authz && node bench/authz.bench.mjs [--quick] [--no-http]
//
// The table: each case in its own child process (own JIT, own heap), several times; the median
// over runs of each run's median time per operation. The targets: the two cases of a ratio in
// one child process, timed in alternating small batches, the median of the per-batch ratios
// (on a shared, loaded machine, load shifts between separate runs swamp a 10% difference).
//
// Targets: Bulwark ≤ 1.1x the unprotected baseline; Bulwark ≥ 3x faster than the same
// protection written as graphql-shield rules.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import http from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const SCRIPT = fileURLToPath(import.meta.url);
const ITEMS = 1000;
const QUERY = '{ users { id name email } }';

const SDL = (emailRule) => `
  directive @authenticated on OBJECT | INTERFACE | FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION
  directive @requiresScopes(scopes: [[String!]!]!) on OBJECT | INTERFACE | FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION
  directive @policy(policies: [[String!]!]!) on OBJECT | INTERFACE | FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION
  directive @public on OBJECT | INTERFACE | FIELD_DEFINITION
  type User { id: ID! name: String! email: String ${emailRule} }
  type Query { users: [User!]! }
`;

/** The cases: how each builds its schema and runs one operation. */
const CASES = {
  'baseline (no authz)': { kind: 'plain', rule: '' },
  'bulwark @requiresScopes (reject)': {
    kind: 'bulwark',
    rule: '@requiresScopes(scopes: [["users:read"]])',
    mode: 'reject',
  },
  'graphql-shield hasScopes': { kind: 'shield', shieldRule: 'hasScopes' },
  'bulwark @requiresScopes (filter)': {
    kind: 'bulwark',
    rule: '@requiresScopes(scopes: [["users:read"]])',
    mode: 'filter',
  },
  'bulwark @policy owner (object, 1,000 checks)': {
    kind: 'bulwark',
    rule: '@policy(policies: [["owner"]])',
    mode: 'reject',
  },
  'graphql-shield policy owner (object)': { kind: 'shield', shieldRule: 'owner' },
};

const TARGETS = [
  {
    name: 'bulwark / baseline',
    num: 'bulwark @requiresScopes (reject)',
    den: 'baseline (no authz)',
    max: 1.1,
  },
  {
    name: 'shield / bulwark',
    num: 'graphql-shield hasScopes',
    den: 'bulwark @requiresScopes (reject)',
    min: 3,
  },
];

async function buildRunner(name, transport) {
  const spec = CASES[name];
  const { execute, parse } = await import('graphql');
  const { makeExecutableSchema } = await import('@graphql-tools/schema');
  const { createPrincipal } = await import('@bulwark/core');
  const users = Array.from({ length: ITEMS }, (_, i) => ({
    id: String(i),
    name: `user ${i}`,
    email: `user${i}@example.com`,
  }));
  // Everyone owns their own row in the owner case, so all 1,000 checks pass and the output is
  // the same in every case.
  const principal = createPrincipal({ subject: 'reader', scopes: ['users:read'] });
  const owner = {
    on: 'object',
    check: ({ principal: p, object }) => p !== null && object.id !== undefined,
  };
  const resolvers = { Query: { users: () => users } };
  const document = parse(QUERY);

  let schema;
  let run;
  let plugins = [];
  if (spec.kind === 'plain') {
    schema = makeExecutableSchema({ typeDefs: SDL(''), resolvers });
    run = () => execute({ schema, document, contextValue: { auth: { principal } } });
  } else if (spec.kind === 'bulwark') {
    const { createAuthz, authzPlugin } = await import('@bulwark/authz');
    const authz = createAuthz({ defaultPolicy: 'allow', mode: spec.mode, policies: { owner } });
    schema = authz.wrapSchema(makeExecutableSchema({ typeDefs: SDL(spec.rule), resolvers }));
    plugins = [authzPlugin(authz)];
    run = () => authz.execute({ schema, document, contextValue: { auth: { principal } } });
  } else {
    const { shield, allow } = await import('graphql-shield');
    const { applyMiddleware } = await import('graphql-middleware');
    const { createShieldRules } = await import('@bulwark/authz/shield');
    const rules = createShieldRules({ policies: { owner } });
    const rule =
      spec.shieldRule === 'owner' ? rules.policy('owner') : rules.hasScopes('users:read');
    schema = applyMiddleware(
      makeExecutableSchema({ typeDefs: SDL(''), resolvers }),
      shield({ User: { email: rule } }, { fallbackRule: allow }),
    );
    run = () => execute({ schema, document, contextValue: { auth: { principal } } });
  }

  if (transport === 'inprocess') {
    return {
      async once() {
        const r = await run();
        if (r.errors || r.data.users.length !== ITEMS || r.data.users[1].email === null)
          throw new Error(`${name}: unexpected result ${JSON.stringify(r).slice(0, 300)}`);
      },
      async close() {},
    };
  }
  // Over HTTP: Apollo Server 5 on Express 5, one keep-alive connection, requests in sequence.
  const { ApolloServer } = await import('@apollo/server');
  const { expressMiddleware } = await import('@as-integrations/express5');
  const express = (await import('express')).default;
  const server = new ApolloServer({ schema, plugins });
  await server.start();
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(server, { context: async () => ({ auth: { principal } }) }),
  );
  const httpServer = http.createServer(app);
  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  const { port } = httpServer.address();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ query: QUERY });
  const request = () =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return {
    async once() {
      const r = await request();
      if (r.status !== 200 || r.text.includes('"errors"'))
        throw new Error(`${name}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    },
    async close() {
      agent.destroy();
      await server.stop();
      await new Promise((r) => httpServer.close(r));
    },
  };
}

/** Child: time one case; prints the median ms per operation as JSON. */
async function child(name, transport, quick) {
  const runner = await buildRunner(name, transport);
  const http = transport === 'http';
  const warmup = quick ? 20 : http ? 100 : 200;
  const rounds = quick ? 5 : 15;
  const perRound = quick ? 5 : http ? 20 : 30;
  for (let i = 0; i < warmup; i++) await runner.once();
  const samples = [];
  for (let r = 0; r < rounds; r++) samples.push(await batch(runner, perRound));
  await runner.close();
  process.stdout.write(JSON.stringify({ median: median(samples), samples }));
}

/**
 * Child: two cases in one process, timed in alternating small batches (the order flips every
 * round), so that both see the same load; prints the median of the per-round ratios.
 */
async function pairChild(num, den, transport, quick) {
  const a = await buildRunner(num, transport);
  const b = await buildRunner(den, transport);
  const http = transport === 'http';
  const warmup = quick ? 20 : http ? 100 : 200;
  const rounds = quick ? 10 : http ? 40 : 80;
  const perRound = quick ? 3 : http ? 5 : 10;
  for (let i = 0; i < warmup; i++) {
    await a.once();
    await b.once();
  }
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    let ta;
    let tb;
    if (r % 2 === 0) {
      ta = await batch(a, perRound);
      tb = await batch(b, perRound);
    } else {
      tb = await batch(b, perRound);
      ta = await batch(a, perRound);
    }
    ratios.push(ta / tb);
  }
  await a.close();
  await b.close();
  process.stdout.write(JSON.stringify({ ratio: median(ratios), ratios }));
}

async function batch(runner, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await runner.once();
  return (performance.now() - t0) / n;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function spawnChild(args) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`child ${args.join(' ')} failed`);
  }
  return JSON.parse(r.stdout);
}

async function main() {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const transportArg = args.includes('--http') ? 'http' : 'inprocess';
  const caseArg = args.find((a) => a.startsWith('--case='));
  if (caseArg) return child(caseArg.slice('--case='.length), transportArg, quick);
  const pairArg = args.find((a) => a.startsWith('--pair='));
  if (pairArg) {
    const [num, den] = pairArg.slice('--pair='.length).split('|');
    return pairChild(num, den, transportArg, quick);
  }

  const transports = args.includes('--no-http') ? ['inprocess'] : ['inprocess', 'http'];
  const extra = (transport) => [
    ...(transport === 'http' ? ['--http'] : []),
    ...(quick ? ['--quick'] : []),
  ];
  const report = { transports: {}, targets: [] };
  for (const transport of transports) {
    const repeats = quick ? 1 : transport === 'http' ? 2 : 3;
    const names = transport === 'http' ? Object.keys(CASES).slice(0, 3) : Object.keys(CASES);
    const runs = {};
    for (let rep = 0; rep < repeats; rep++)
      for (const name of names)
        (runs[name] ??= []).push(spawnChild([`--case=${name}`, ...extra(transport)]).median);

    const base = median(runs['baseline (no authz)']);
    console.log(
      `\n${transport === 'http' ? 'Over HTTP (Apollo Server 5, Express 5, sequential requests)' : 'In process (graphql-js execute)'}: ${QUERY} over ${ITEMS} items`,
    );
    console.log('case'.padEnd(46) + 'median ms/op'.padStart(14) + 'vs baseline'.padStart(14));
    report.transports[transport] = {};
    for (const [name, list] of Object.entries(runs)) {
      const m = median(list);
      report.transports[transport][name] = { medianMs: m, runs: list };
      console.log(
        name.padEnd(46) + m.toFixed(3).padStart(14) + `${(m / base).toFixed(2)}x`.padStart(14),
      );
    }
    for (const t of TARGETS) {
      const pairs = [];
      for (let rep = 0; rep < repeats; rep++)
        pairs.push(spawnChild([`--pair=${t.num}|${t.den}`, ...extra(transport)]).ratio);
      const ratio = median(pairs);
      const met = t.max !== undefined ? ratio <= t.max : ratio >= t.min;
      const target = t.max !== undefined ? `<= ${t.max}x` : `>= ${t.min}x`;
      report.targets.push({ transport, name: t.name, ratio, runs: pairs, target, met });
      console.log(
        `  ${t.name}: ${ratio.toFixed(2)}x, interleaved in one process (target ${target}) ${met ? 'met' : 'MISSED'}`,
      );
    }
  }

  const out = {
    script: 'authz.bench.mjs',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadavg: os.loadavg(),
    quick,
    items: ITEMS,
    query: QUERY,
    ...report,
  };
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}authz.bench.json`, JSON.stringify(out, null, 2) + '\n');
  console.log(
    `\nload average at the end: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; written to bench/results/authz.bench.json`,
  );
}

await main();
