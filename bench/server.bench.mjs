// HTTP throughput and p99 latency of the example server: with the full preset, with no
// Bulwark ("bare"), and with GraphQL Armor instead, on the same schema, resolvers and data.
//
//   pnpm bench server        (or: pnpm build && node bench/server.bench.mjs [seconds] [rounds])
//
// Two document modes: "warm" (Apollo's document cache on; the same query again and again, as
// real clients send) and "new" (`documentStore: null`: every request is parsed and validated,
// the path an attacker chooses). Then the same servers under attack: half the connections send
// hostile documents (fan-out bombs, alias and directive floods, deep nesting, each one unique),
// half send the normal query; the figure is the normal queries' throughput and p99.
//
// Each server runs in its own child process; autocannon drives it from this process, one server
// at a time, in short slices rotated round after round (see measureMode). Every request
// carries the same valid bearer token (verified by Bulwark, ignored by the others).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median, printTable, writeResults } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);
const SECONDS = Number(process.argv[2] ?? 4);
const ROUNDS = Number(process.argv[3] ?? 6);
const PASSWORD = 'bench-password-0123456789';

const NORMAL = `query Storefront {
  products(first: 8) {
    nodes {
      id name rating price { amount currency } category { name }
      reviews(first: 2) { nodes { rating title author { handle displayName } } }
    }
  }
  categories { id name }
}`;

// ---------------------------------------------------------------------------------------
// Server (child process)
// ---------------------------------------------------------------------------------------
async function serve(variant, mode) {
  const { createServer } = await import('@bulwark/example-server');
  const huge = 1_000_000_000;
  const config = {
    port: 0,
    log: false,
    metrics: false,
    demoPasswords: { customer: PASSWORD, admin: PASSWORD, support: PASSWORD },
    // Rate limits stay on (their work is measured) but never refuse the benchmark's client.
    rateLimitRules: [
      {
        id: 'operations',
        match: { operationType: 'any' },
        limit: huge,
        window: '1m',
        by: 'principal',
      },
    ],
    costBudget: { limit: huge, window: '1m', by: 'principal' },
    ...(mode === 'new' ? { documentStore: null } : {}),
  };
  if (variant === 'bare') config.protections = 'bare';
  if (variant === 'armor') {
    const { ApolloArmor } = require('@escape.tech/graphql-armor');
    // Armor's documented defaults, plus a cost limit high enough for the normal query.
    const armor = new ApolloArmor({ costLimit: { maxCost: 5000 } }).protect();
    config.protections = 'bare';
    config.apollo = { plugins: armor.plugins, validationRules: armor.validationRules };
  }
  const server = await createServer(config);
  // A token for every variant, issued by the example's own login.
  const login = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': '1' },
    body: JSON.stringify({
      query:
        'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
      variables: { e: 'grace@example.com', p: PASSWORD },
    }),
  }).then((r) => r.json());
  const token = login?.data?.login?.accessToken;
  if (!token) throw new Error(`login failed: ${JSON.stringify(login)}`);
  // The parent asks for this process's CPU time around each measured run.
  process.on('message', (m) => {
    if (m === 'cpu') process.send?.(process.cpuUsage());
  });
  console.log(JSON.stringify({ url: server.url, token }));
}

// ---------------------------------------------------------------------------------------
// Hostile documents, each one unique
// ---------------------------------------------------------------------------------------
let serial = 0;
function hostile() {
  const n = serial++;
  switch (n % 4) {
    case 0: {
      let q = `query Bomb${n} { ...F0 }\n`;
      for (let i = 0; i < 20; i++) q += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
      return (
        q + `fragment F20 on Query { categories { id products(first: 20) { nodes { id name } } } }`
      );
    }
    case 1:
      return `query Aliases${n} { ${Array.from({ length: 500 }, (_, i) => `a${i}: categories { id name }`).join(' ')} }`;
    case 2:
      return `query Directives${n} { categories { id ${'@include(if: true) '.repeat(500)} } }`;
    default:
      return `query Deep${n} { ${'categories { children { '.repeat(60)} id ${'} } '.repeat(60)} }`;
  }
}

// ---------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------
function start(variant, mode) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, '--serve', variant, mode], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, ...JSON.parse(line) });
    });
    child.on('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
}

function load({ url, token, connections, body, setupRequest, duration = SECONDS }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
        },
        ...(setupRequest
          ? { requests: [{ method: 'POST', setupRequest }] }
          : { body: JSON.stringify({ query: body }) }),
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}

const summary = (r) => ({
  rps: r.requests.average,
  p99: r.latency.p99,
  non2xx: r.non2xx,
  // A protection that throws where Apollo Server expects a report answers 500, not 400.
  status5xx: Object.entries(r.statusCodeStats ?? {})
    .filter(([code]) => Number(code) >= 500)
    .reduce((n, [, v]) => n + v.count, 0),
  errors: r.errors,
  requests: r.requests.total,
});

/** The server's CPU time (user + system), µs. */
function cpuOf(child) {
  return new Promise((resolve) => {
    child.once('message', (u) => resolve(u.user + u.system));
    child.send('cpu');
  });
}

/** One slice of normal traffic on one server: throughput, p99, and its CPU per request. */
async function normalSlice(server) {
  const cpu0 = await cpuOf(server.child);
  const normal = summary(await load({ ...server, connections: 8, body: NORMAL }));
  // CPU per request is steadier than throughput when the load generator shares the machine.
  normal.cpuPerRequest = ((await cpuOf(server.child)) - cpu0) / normal.requests;
  return normal;
}

/** One slice under attack: normal and hostile clients on the same server at once. */
async function attackSlice(server) {
  const [normal, hostileLoad] = await Promise.all([
    load({ ...server, connections: 4, body: NORMAL }),
    load({
      ...server,
      connections: 4,
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ query: hostile() }) }),
    }),
  ]);
  return { normal: summary(normal), hostile: summary(hostileLoad) };
}

/** `xs` rotated left by `n`: round r starts with a different server. */
const rotate = (xs, n) => xs.map((_, i) => xs[(i + n) % xs.length]);

/**
 * All servers of one mode run at once (idle but the one under load), and are loaded in short
 * slices, round after round, each round in a rotated order. A shared machine's speed drifts by
 * tens of percent within a minute: a ratio is taken between slices of the same round, seconds
 * apart, and the median over rounds is reported with its range.
 */
async function measureMode(mode, variants) {
  const servers = {};
  try {
    for (const v of variants) servers[v] = await start(v, mode);
    for (const v of variants)
      await load({ ...servers[v], connections: 8, body: NORMAL, duration: 3 });
    const rounds = Object.fromEntries(variants.map((v) => [v, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of rotate(variants, r)) rounds[v][r] = { normal: await normalSlice(servers[v]) };
      for (const v of rotate(variants, r)) rounds[v][r].attack = await attackSlice(servers[v]);
      console.error(
        `${mode} round ${r + 1}: ` +
          variants
            .map(
              (v) =>
                `${v} ${rounds[v][r].normal.rps.toFixed(0)} req/s (attack ${rounds[v][r].attack.normal.rps.toFixed(0)})`,
            )
            .join(', '),
      );
    }
    return rounds;
  } finally {
    for (const s of Object.values(servers)) s.child.kill('SIGKILL');
  }
}

/** Median and range of a per-round ratio: `f(variant's round) / f(bare's same round)`. */
function ratio(rounds, v, f) {
  const rs = rounds[v].map((r, i) => f(r) / f(rounds.bare[i]));
  return `${median(rs).toFixed(2)}x (${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)})`;
}

async function main() {
  const variants = ['bare', 'bulwark', 'armor'];
  const results = {};
  for (const mode of ['warm', 'new']) results[mode] = await measureMode(mode, variants);
  const rows = [];
  const attackRows = [];
  for (const mode of ['warm', 'new']) {
    const rounds = results[mode];
    for (const v of variants) {
      const rs = rounds[v];
      rows.push([
        mode,
        v,
        median(rs.map((r) => r.normal.rps)).toFixed(0),
        ratio(rounds, v, (r) => r.normal.rps),
        `${median(rs.map((r) => r.normal.p99)).toFixed(1)} ms`,
        `${median(rs.map((r) => r.normal.cpuPerRequest)).toFixed(0)} µs`,
        ratio(rounds, v, (r) => 1 / r.normal.cpuPerRequest),
        String(rs.reduce((s, r) => s + r.normal.non2xx, 0)),
      ]);
      attackRows.push([
        mode,
        v,
        median(rs.map((r) => r.attack.normal.rps)).toFixed(0),
        ratio(rounds, v, (r) => r.attack.normal.rps),
        `${median(rs.map((r) => r.attack.normal.p99)).toFixed(1)} ms`,
        median(rs.map((r) => r.attack.hostile.rps)).toFixed(0),
        `${(
          (100 * rs.reduce((n, r) => n + r.attack.hostile.status5xx, 0)) /
          rs.reduce((n, r) => n + r.attack.hostile.requests, 0)
        ).toFixed(0)}%`,
      ]);
    }
  }
  const t1 = printTable(
    `Normal traffic (8 connections, ${ROUNDS} rounds of ${SECONDS} s per server; medians, ratios to bare in the same round with their range)`,
    [
      'documents',
      'server',
      'req/s',
      'vs bare',
      'p99',
      'server CPU / request',
      'throughput from CPU, vs bare',
      'non-2xx',
    ],
    rows,
  );
  const t2 = printTable(
    'Under attack: 4 connections of normal queries beside 4 of unique hostile documents',
    [
      'documents',
      'server',
      'normal req/s',
      'vs bare',
      'normal p99',
      'hostile answered/s',
      'hostile answered 5xx',
    ],
    attackRows,
  );
  writeResults('server', { seconds: SECONDS, rounds: ROUNDS, results, tables: [t1, t2] });
}

if (process.argv[2] === '--serve') await serve(process.argv[3], process.argv[4]);
else await main();
