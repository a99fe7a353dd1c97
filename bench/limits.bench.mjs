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
import { checkOperation, createLimits } from '@bulwark/limits';
import { median, printTable, runChild, us, writeResults } from './lib/harness.mjs';

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
  // A peer that refuses by throwing from its visitor (graphql-query-complexity past its node
  // budget, Armor past a limit) has finished its check: the time to the throw is its cost.
  const ruleOf = (...rules) => ({
    rule: true,
    fn: (doc) => {
      try {
        return validate(schema, doc, rules);
      } catch (error) {
        return [error];
      }
    },
  });
  switch (name) {
    case 'parse':
      return { fn: (source) => parse(source) };
    case 'parse+validate':
      return { fn: (source) => validate(schema, parse(source), specifiedRules) };
    case 'no-op-rule':
      // The method's zero: a rule that does nothing, timed as the rules are (its run minus a
      // no-op rule's run on another fresh document). What it reads is the noise of that
      // difference, which every rule's figure carries too.
      return ruleOf(() => ({}));
    case 'bulwark': {
      // All limits at their defaults, cost included: what a server runs.
      const limits = createLimits();
      return ruleOf(limits.validationRules[0]);
    }
    case 'bulwark-direct': {
      // The rule's own work without graphql-js's traversal: the one walk and every check.
      const { options } = createLimits();
      return {
        fresh: true,
        fn: (doc) => {
          for (const op of analyzeDocument(schema, doc).operations) {
            checkOperation(op, options, { schema, document: doc, phase: 'static' });
          }
        },
      };
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
 * One worker measures one contender on one document, and `parse` of the same document in the
 * same process, in alternating rounds: the ratio to parse comes from one process, immune to
 * the drift between processes. A validation rule runs inside graphql-js's one traversal of the
 * document (with TypeInfo), which every rule shares and which costs the same whatever the
 * rules do: a rule's own cost is what it adds to that traversal (the contender's round minus a
 * no-op rule's round, on fresh documents). The garbage collector runs before each timed batch,
 * so that one batch does not pay for the garbage of the one before.
 */
/** What both timings need: the no-op baseline and what a contender is called with. */
function setupFor(schema, source, c) {
  const noop = () => ({});
  const same = parse(source);
  return {
    base: (doc) => validate(schema, doc, [noop]),
    // A rule or a direct call gets a freshly parsed document (`fresh` one, when given), a cached
    // document the same one each time, a parse-like contender the source.
    inputOf: (fresh) =>
      c.rule || c.fresh ? (fresh ?? parse(source)) : c.parsed === 'same' ? same : source,
  };
}

function measureRounds(schema, source, c, batch, marginalRule = true) {
  const { base, inputOf } = setupFor(schema, source, c);
  const timeBatch = (fn, inputs) => {
    globalThis.gc?.();
    const t0 = process.hrtime.bigint();
    for (const x of inputs) fn(x);
    return Number(process.hrtime.bigint() - t0) / 1000 / inputs.length;
  };
  for (let i = 0; i < 30; i++) {
    parse(source);
    if (c.rule) base(parse(source));
    c.fn(inputOf());
  }
  const parses = [];
  const values = [];
  const start = Date.now();
  for (let r = 0; r < 41; r++) {
    parses.push(
      timeBatch(
        (s) => parse(s),
        Array.from({ length: batch }, () => source),
      ),
    );
    const x = timeBatch(
      c.fn,
      Array.from({ length: batch }, () => inputOf()),
    );
    values.push(
      c.rule && marginalRule
        ? x -
            timeBatch(
              base,
              Array.from({ length: batch }, () => parse(source)),
            )
        : x,
    );
    if (Date.now() - start > 8000 && r >= 10) break;
  }
  // Not clamped at 0: a rule's figure below zero is the method's noise, and shows as such.
  return { us: median(values), parseUs: median(parses) };
}

/**
 * The server's path: each document is validated right after it is parsed, one at a time, with
 * no forced collection. The batches above force a full collection before each batch, so that
 * no batch pays for another's garbage; but then nothing a document needed is alive, V8 drops the
 * hidden classes of the parser's and the rules' objects, and their optimized code is thrown
 * away every round (`--trace-deopt`: "weak objects"). That inflates parse about 5x and a rule's
 * walk several times. A server always has documents and analyses alive, so this run is the one
 * that resembles it; both are reported.
 */
function measureInterleaved(schema, source, c, marginalRule = true) {
  const { base, inputOf } = setupFor(schema, source, c);
  const now = () => process.hrtime.bigint();
  const parses = [];
  const values = [];
  const bases = [];
  const start = Date.now();
  for (let i = 0; i < 3000; i++) {
    const t0 = now();
    const doc = parse(source);
    const t1 = now();
    c.fn(inputOf(doc));
    const t2 = now();
    if (i >= 300) {
      parses.push(Number(t1 - t0) / 1000);
      values.push(Number(t2 - t1) / 1000);
    }
    if (c.rule && marginalRule) {
      const other = parse(source);
      const t3 = now();
      base(other);
      if (i >= 300) bases.push(Number(now() - t3) / 1000);
    }
    if (Date.now() - start > 8000 && i >= 600) break;
  }
  const us = median(values) - (bases.length > 0 ? median(bases) : 0);
  return { us, parseUs: median(parses) };
}

async function worker(contenderName, docName) {
  const schema = buildSchema(sdl);
  const source = documents()[docName];
  const c = contender(contenderName, schema);
  if (c.setup) await c.setup();
  // Hostile documents: what validation with this rule costs in all (a rule that refuses early
  // spares the traversal, which is the point), against parse; realistic ones: what the rule
  // adds to the traversal.
  const realistic = ['small', 'medium', 'large'].includes(docName);
  const batch = realistic ? 40 : 5;
  const batched = measureRounds(schema, source, c, batch, realistic);
  const serverLike = realistic ? measureInterleaved(schema, source, c) : undefined;
  console.log(JSON.stringify({ ...batched, serverLike }));
}

// ---------------------------------------------------------------------------------------
// Orchestration
// ---------------------------------------------------------------------------------------
const PEERS = ['graphql-depth-limit', 'graphql-query-complexity', 'armor'];

async function main(filter) {
  const self = fileURLToPath(import.meta.url);
  const docs = documents();
  const results = {};
  // The parse time each worker measured beside its contender: ratios come from one process.
  const parses = {};
  // The same pairs measured the server's way (see `measureInterleaved`).
  const serverLike = {};
  const measure = async (c, d) => {
    const r = await runChild(self, ['--worker', c, d], {
      timeoutMs: 20_000,
      nodeArgs: ['--expose-gc'],
    });
    (results[d] ??= {})[c] = r.timeout ? 'timeout' : r.error ? r.error : r.us;
    if (typeof r.us === 'number') (parses[d] ??= {})[c] = r.parseUs;
    if (r.serverLike) (serverLike[d] ??= {})[c] = r.serverLike;
    return results[d][c];
  };

  const realistic = filter === 'families' ? [] : ['small', 'medium', 'large'];
  for (const d of realistic) {
    for (const c of [
      'parse',
      'parse+validate',
      'no-op-rule',
      'bulwark',
      'bulwark-direct',
      'bulwark-repeated',
      'bulwark-tokens',
      'armor-tokens',
      ...PEERS,
    ]) {
      await measure(c, d);
    }
  }
  const fmt = (v) => (typeof v === 'number' ? us(v) : String(v));
  // A contender's time over the parse time measured in its own worker.
  const norm = (d, c) => {
    const v = results[d]?.[c];
    const p = parses[d]?.[c];
    return typeof v === 'number' && typeof p === 'number' ? v / p : v;
  };
  const x = (v) => (typeof v === 'number' ? `${v.toFixed(2)}x` : String(v));
  const sl = (d, c) => serverLike[d]?.[c];
  const slNorm = (d, c) => (sl(d, c) ? sl(d, c).us / sl(d, c).parseUs : undefined);
  const rows = [];
  for (const d of realistic) {
    const r = results[d];
    const size = `${(docs[d].length / 1024).toFixed(1)} KB`;
    for (const c of [
      'parse',
      'parse+validate',
      'no-op-rule',
      'bulwark',
      'bulwark-direct',
      ...PEERS,
      'bulwark-repeated',
    ]) {
      const pv = norm(d, 'parse+validate');
      rows.push([
        d,
        size,
        c,
        fmt(r[c]),
        x(norm(d, c)),
        typeof pv === 'number' ? x(norm(d, c) / pv) : 'n/a',
        sl(d, c) ? fmt(sl(d, c).us) : 'n/a',
        sl(d, c) ? x(slNorm(d, c)) : 'n/a',
      ]);
    }
    for (const [c, label] of [
      ['bulwark-tokens', 'bulwark token limit (parse with maxTokens)'],
      ['armor-tokens', 'armor token limit (re-parse + parse)'],
    ]) {
      rows.push([
        d,
        size,
        label,
        fmt(r[c]),
        x(norm(d, c)),
        '',
        sl(d, c) ? fmt(sl(d, c).us) : 'n/a',
        sl(d, c) ? x(slNorm(d, c)) : 'n/a',
      ]);
    }
  }
  const t1 =
    realistic.length === 0
      ? ''
      : printTable(
          'Realistic documents (median per document)',
          [
            'document',
            'size',
            'contender',
            'time',
            'vs parse',
            'vs parse+validate',
            'server-like time',
            'server-like vs parse',
          ],
          rows,
        );

  let t2 = '';
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
          x(norm(d, 'bulwark')),
          ...PEERS.map((p) => fmt(r[p])),
        ]);
      }
    }
    t2 = printTable(
      'Adversarial families: parse, and validate() with only this rule (median per document; a peer past the timeout is not run at larger N)',
      ['document', 'parse', 'bulwark', 'bulwark vs parse', ...PEERS],
      frows,
    );
  }
  const large = results.large;
  if (!large) {
    writeResults('limits-families', { results, parses, table: t2 });
    return;
  }
  const summary = {
    'all limits on the large document, vs parse (target <= 0.5x)': norm('large', 'bulwark'),
    'the same, own work outside validate, vs parse': norm('large', 'bulwark-direct'),
    "a no-op rule timed as the rules are, vs parse (the method's zero)": norm(
      'large',
      'no-op-rule',
    ),
    'token limit, parse with maxTokens vs parse (target <= 1.05x)': norm('large', 'bulwark-tokens'),
    'armor token limit vs parse': norm('large', 'armor-tokens'),
    'graphql-depth-limit vs parse': norm('large', 'graphql-depth-limit'),
    'graphql-query-complexity vs parse': norm('large', 'graphql-query-complexity'),
    'armor four rules vs parse': norm('large', 'armor'),
    'repeated document (µs)': large['bulwark-repeated'],
    'server-like: all limits vs parse (target <= 0.5x)': slNorm('large', 'bulwark'),
    'server-like: own work outside validate vs parse': slNorm('large', 'bulwark-direct'),
    "server-like: a no-op rule vs parse (the method's zero)": slNorm('large', 'no-op-rule'),
    'server-like: token limit vs parse (target <= 1.05x)': slNorm('large', 'bulwark-tokens'),
    'server-like: graphql-depth-limit vs parse': slNorm('large', 'graphql-depth-limit'),
    'server-like: graphql-query-complexity vs parse': slNorm('large', 'graphql-query-complexity'),
    'server-like: armor four rules vs parse': slNorm('large', 'armor'),
  };
  console.log('\nSummary (large document):');
  for (const [k, v] of Object.entries(summary))
    console.log(`  ${k}: ${typeof v === 'number' ? v.toFixed(3) : v}`);
  writeResults(filter === 'realistic' ? 'limits-realistic' : 'limits', {
    results,
    parses,
    serverLike,
    summary,
    tables: [t1, t2],
  });
}

if (process.argv[2] === '--worker') await worker(process.argv[3], process.argv[4]);
else await main(process.argv[2]);
