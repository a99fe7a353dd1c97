// Field authorization overhead: a query over a 1,000-item list with one protected field.
//
//   npx tsc -b packages/authz && node bench/authz.bench.mjs [--quick] [--no-http]
//
// Each case runs in its own child process (own JIT, own heap), several times, interleaved; the
// table shows the median over runs of each run's median time per operation. Ratios against
// the targets are paired: the median, over repeats, of the ratio of two cases run one after
// the other in the same repeat (steadier than a ratio of medians on a shared, loaded machine).
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
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < perRound; i++) await runner.once();
    samples.push((performance.now() - t0) / perRound);
  }
  await runner.close();
  process.stdout.write(JSON.stringify({ median: median(samples), samples }));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const args = process.argv.slice(2);
  const caseArg = args.find((a) => a.startsWith('--case='));
  const quick = args.includes('--quick');
  if (caseArg) {
    const transport = args.includes('--http') ? 'http' : 'inprocess';
    await child(caseArg.slice('--case='.length), transport, quick);
    return;
  }
  const transports = args.includes('--no-http') ? ['inprocess'] : ['inprocess', 'http'];
  const results = {};
  for (const transport of transports) {
    const repeats = quick ? 1 : transport === 'http' ? 3 : 5;
    results[transport] = {};
    const names = transport === 'http' ? Object.keys(CASES).slice(0, 3) : Object.keys(CASES);
    for (let rep = 0; rep < repeats; rep++) {
      for (const name of names) {
        const r = spawnSync(
          process.execPath,
          [
            SCRIPT,
            `--case=${name}`,
            ...(transport === 'http' ? ['--http'] : []),
            ...(quick ? ['--quick'] : []),
          ],
          { encoding: 'utf8' },
        );
        if (r.status !== 0) {
          process.stderr.write(r.stderr);
          throw new Error(`case ${name} (${transport}) failed`);
        }
        const { median: m } = JSON.parse(r.stdout);
        (results[transport][name] ??= []).push(m);
      }
    }
  }

  const report = { transports: {}, targets: [] };
  for (const [transport, cases] of Object.entries(results)) {
    const base = median(cases['baseline (no authz)']);
    console.log(
      `\n${transport === 'http' ? 'Over HTTP (Apollo Server 5, Express 5)' : 'In process (graphql-js execute)'}: ${QUERY} over ${ITEMS} items`,
    );
    console.log('case'.padEnd(46) + 'median ms/op'.padStart(14) + 'vs baseline'.padStart(14));
    report.transports[transport] = {};
    for (const [name, runs] of Object.entries(cases)) {
      const m = median(runs);
      report.transports[transport][name] = { medianMs: m, runs };
      console.log(
        name.padEnd(46) + m.toFixed(3).padStart(14) + `${(m / base).toFixed(2)}x`.padStart(14),
      );
    }
    for (const t of TARGETS) {
      const num = cases[t.num];
      const den = cases[t.den];
      if (!num || !den) continue;
      const ratio = median(num.map((n, i) => n / den[i]));
      const met = t.max !== undefined ? ratio <= t.max : ratio >= t.min;
      const target = t.max !== undefined ? `<= ${t.max}x` : `>= ${t.min}x`;
      report.targets.push({ transport, name: t.name, ratio, target, met });
      console.log(
        `  ${t.name}: ${ratio.toFixed(2)}x paired (target ${target}) ${met ? 'met' : 'MISSED'}`,
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
