// @bulwark/limits against graphql-js and the peers it replaces, on the same documents.
//
//   pnpm bench limits        (or: pnpm build && node bench/limits.bench.mjs)
//
// Every (document, contender) pair runs in its own child process with a timeout, so a peer
// that explodes on an adversarial document cannot stall the run or warm the JIT for another.
// Rules are timed on freshly parsed documents (no cache can help), as what they add to
// graphql-js's validation traversal (see `marginal`); parse is timed alone.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { analyzeDocument } from '@bulwark/core';
import { createLimits } from '@bulwark/limits';
import { median, printTable, ratio, runChild, timeIt, us, writeResults } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
const sdl = readFileSync(`${here}../examples/server/src/schema.graphql`, 'utf8');

// ---------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------
const fanOut = (n) => {
  let q = 'query Bomb { ...F0 }\n';
  for (let i = 0; i < n; i++) q += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
  return q + `fragment F${n} on Query { me { id } }`;
};
const aliases = (n) =>
  `query A { ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
const directives = (n) => `query D { me { id ${'@include(if: true) '.repeat(n)} } }`;
const nesting = (n) =>
  '{ me { ' + 'friends { nodes { '.repeat(n) + 'id' + ' } }'.repeat(n) + ' } }';
const operations = (n) =>
  Array.from({ length: n }, (_, i) => `query Q${i} { me { id } }`).join('\n');

function documents() {
  const docs = {
    small: readFileSync(`${here}corpus/benign/05-products-page.graphql`, 'utf8'),
    medium: readFileSync(`${here}corpus/medium.graphql`, 'utf8'),
    large: readFileSync(`${here}corpus/large.graphql`, 'utf8'),
  };
  for (const n of [10, 14, 18, 22, 26, 30]) docs[`fanout-${n}`] = fanOut(n);
  for (const n of [250, 500, 1000, 2000]) docs[`aliases-${n}`] = aliases(n);
  for (const n of [250, 500, 1000, 2000]) docs[`directives-${n}`] = directives(n);
  for (const n of [50, 100, 200, 400]) docs[`nesting-${n}`] = nesting(n);
  for (const n of [250, 500, 1000, 2000]) docs[`operations-${n}`] = operations(n);
  return docs;
}

// ---------------------------------------------------------------------------------------
// Contenders (run inside a worker)
// ---------------------------------------------------------------------------------------
const LARGE = 1e9;

function contender(name, schema) {
  const ruleOf = (...rules) => ({ rule: true, fn: (doc) => validate(schema, doc, rules) });
  switch (name) {
    case 'parse':
      return { fn: (source) => parse(source) };
    case 'parse+validate':
      return { fn: (source) => validate(schema, parse(source), specifiedRules) };
    case 'bulwark': {
      // All limits at their defaults, cost included: what a server runs.
      const limits = createLimits();
      return ruleOf(limits.validationRules[0]);
    }
    case 'bulwark-repeated': {
      // A document Apollo has cached: only the plugin's didResolveOperation runs.
      const limits = createLimits();
      const listenerP = limits.plugins[0].requestDidStart();
      let listener;
      return {
        parsed: 'same',
        setup: async () => (listener = await listenerP),
        fn: (doc) => {
          const analysis = analyzeDocument(schema, doc);
          return listener.didResolveOperation({
            schema,
            document: doc,
            operation: analysis.operations[0].node,
            request: { variables: {} },
            contextValue: {},
          });
        },
      };
    }
    case 'bulwark-tokens':
      return { fn: (source) => parse(source, { maxTokens: LARGE }) };
    case 'graphql-depth-limit': {
      const depthLimit = require('graphql-depth-limit');
      return ruleOf(depthLimit(LARGE));
    }
    case 'graphql-query-complexity': {
      const gqc = require('graphql-query-complexity');
      return ruleOf(
        gqc.createComplexityRule({
          maximumComplexity: LARGE,
          estimators: [gqc.simpleEstimator({ defaultComplexity: 1 })],
        }),
      );
    }
    case 'armor': {
      // GraphQL Armor's four validation rules together.
      const { maxDepthRule } = require('@escape.tech/graphql-armor-max-depth');
      const { maxAliasesRule } = require('@escape.tech/graphql-armor-max-aliases');
      const { maxDirectivesRule } = require('@escape.tech/graphql-armor-max-directives');
      const { costLimitRule } = require('@escape.tech/graphql-armor-cost-limit');
      const rules = [
        maxDepthRule({ n: LARGE }),
        maxAliasesRule({ n: LARGE }),
        maxDirectivesRule({ n: LARGE }),
        costLimitRule({ maxCost: LARGE }),
      ];
      return ruleOf(...rules);
    }
    case 'armor-tokens': {
      // Armor's Apollo token limit parses the source a second time with a counting lexer.
      const { MaxTokensParserWLexer } = require('@escape.tech/graphql-armor-max-tokens');
      return {
        fn: (source) => {
          new MaxTokensParserWLexer(source, { n: LARGE }).parseDocument();
          return parse(source);
        },
      };
    }
    default:
      throw new Error(`unknown contender ${name}`);
  }
}

/**
 * A validation rule runs inside graphql-js's one traversal of the document (with TypeInfo),
 * which every rule shares and which costs the same whatever the rules do. A rule's own cost is
 * what it adds to that traversal: rounds alternate a no-op rule and the contender on fresh
 * documents, and the figure is the median of the per-round differences.
 */
function marginal(schema, source, fn, batch) {
  const noop = () => ({});
  const base = (doc) => validate(schema, doc, [noop]);
  const fresh = () => Array.from({ length: batch }, () => parse(source));
  for (let i = 0; i < 20; i++) {
    base(parse(source));
    fn(parse(source));
  }
  const diffs = [];
  const start = Date.now();
  for (let r = 0; r < 31; r++) {
    const a = fresh();
    let t0 = process.hrtime.bigint();
    for (const d of a) base(d);
    const tb = Number(process.hrtime.bigint() - t0);
    const b = fresh();
    t0 = process.hrtime.bigint();
    for (const d of b) fn(d);
    const tx = Number(process.hrtime.bigint() - t0);
    diffs.push((tx - tb) / 1000 / batch);
    if (Date.now() - start > 6000 && r >= 8) break;
  }
  return Math.max(0, median(diffs));
}

async function worker(contenderName, docName) {
  const schema = buildSchema(sdl);
  const source = documents()[docName];
  const c = contender(contenderName, schema);
  if (c.setup) await c.setup();
  const batch = source.length > 50_000 ? 5 : 40;
  let micros;
  if (c.rule) micros = marginal(schema, source, c.fn, batch);
  else {
    const same = parse(source);
    micros = timeIt(c.fn, { prepare: () => (c.parsed === 'same' ? same : source), batch });
  }
  console.log(JSON.stringify({ us: micros }));
}

// ---------------------------------------------------------------------------------------
// Orchestration
// ---------------------------------------------------------------------------------------
const PEERS = ['graphql-depth-limit', 'graphql-query-complexity', 'armor'];

async function main(filter) {
  const self = fileURLToPath(import.meta.url);
  const docs = documents();
  const results = {};
  const measure = async (c, d) => {
    const r = await runChild(self, ['--worker', c, d], { timeoutMs: 20_000 });
    (results[d] ??= {})[c] = r.timeout ? 'timeout' : r.error ? r.error : r.us;
    return results[d][c];
  };

  const realistic = ['small', 'medium', 'large'];
  for (const d of realistic) {
    for (const c of [
      'parse',
      'parse+validate',
      'bulwark',
      'bulwark-repeated',
      'bulwark-tokens',
      'armor-tokens',
      ...PEERS,
    ]) {
      await measure(c, d);
    }
  }
  const fmt = (v) => (typeof v === 'number' ? us(v) : String(v));
  const rat = (v, base) =>
    typeof v === 'number' && typeof base === 'number' ? ratio(v, base) : String(v);
  const rows = [];
  for (const d of realistic) {
    const r = results[d];
    const size = `${(docs[d].length / 1024).toFixed(1)} KB`;
    for (const c of ['parse', 'parse+validate', 'bulwark', ...PEERS, 'bulwark-repeated']) {
      rows.push([d, size, c, fmt(r[c]), rat(r[c], r.parse), rat(r[c], r['parse+validate'])]);
    }
    rows.push([
      d,
      size,
      'bulwark token limit (parse with maxTokens)',
      fmt(r['bulwark-tokens']),
      rat(r['bulwark-tokens'], r.parse),
      '',
    ]);
    rows.push([
      d,
      size,
      'armor token limit (re-parse + parse)',
      fmt(r['armor-tokens']),
      rat(r['armor-tokens'], r.parse),
      '',
    ]);
  }
  const t1 = printTable(
    'Realistic documents (median per document)',
    ['document', 'size', 'contender', 'time', 'vs parse', 'vs parse+validate'],
    rows,
  );

  if (filter !== 'realistic') {
    const families = ['fanout', 'aliases', 'directives', 'nesting', 'operations'];
    const frows = [];
    for (const fam of families) {
      let dead = new Set();
      for (const d of Object.keys(docs).filter((k) => k.startsWith(`${fam}-`))) {
        await measure('parse', d);
        await measure('bulwark', d);
        for (const p of PEERS) {
          // A peer that timed out at a smaller N will time out again: do not wait for it.
          if (dead.has(p)) (results[d] ??= {})[p] = 'timeout';
          else if ((await measure(p, d)) === 'timeout') dead.add(p);
        }
        const r = results[d];
        frows.push([
          d,
          fmt(r.parse),
          fmt(r.bulwark),
          rat(r.bulwark, r.parse),
          ...PEERS.map((p) => fmt(r[p])),
        ]);
      }
    }
    printTable(
      'Adversarial families (median per document; timeout = 20 s)',
      ['document', 'parse', 'bulwark', 'bulwark vs parse', ...PEERS],
      frows,
    );
  }
  const large = results.large;
  const summary = {
    'all limits on the large document, vs parse (target <= 0.5x)': large.bulwark / large.parse,
    'token limit, parse with maxTokens vs parse (target <= 1.05x)':
      large['bulwark-tokens'] / large.parse,
    'armor token limit vs parse': large['armor-tokens'] / large.parse,
    'graphql-depth-limit vs parse': large['graphql-depth-limit'] / large.parse,
    'graphql-query-complexity vs parse': large['graphql-query-complexity'] / large.parse,
    'armor four rules vs parse': large.armor / large.parse,
    'repeated document (µs)': large['bulwark-repeated'],
  };
  console.log('\nSummary (large document):');
  for (const [k, v] of Object.entries(summary))
    console.log(`  ${k}: ${typeof v === 'number' ? v.toFixed(3) : v}`);
  writeResults('limits', { results, summary, table: t1 });
  void median;
}

if (process.argv[2] === '--worker') await worker(process.argv[3], process.argv[4]);
else await main(process.argv[2]);
