import { performance } from 'node:perf_hooks';
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDocument } from '@bulwark/core';
import { checkOperation, createLimits } from '@bulwark/limits';
import type { LimitsOptions } from '@bulwark/limits';
import { startTestServer } from '../../../test/support/http.js';
import type { TestServer } from '../../../test/support/http.js';
import { shopSchema, shopSdl } from '../../../test/support/corpus.js';

/** Hostile documents. Each must be answered 400 with a coded error, never 500, in < 50 ms. */
function fanOut(levels: number): string {
  let q = 'query Bomb { ...F0 }\n';
  for (let i = 0; i < levels; i++) q += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
  return q + `fragment F${levels} on Query { me { id } }`;
}
const cycle =
  'query Loop { ...A } fragment A on Query { ...B } fragment B on Query { ...C } fragment C on Query { ...A }';
const unknown = `query Lost { ${Array.from({ length: 200 }, (_, i) => `...Missing${i}`).join(' ')} }`;
const aliases = (n: number) =>
  `query Aliases { ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;
const nesting = (n: number) =>
  '{ me { ' + 'friends { nodes { '.repeat(n / 2) + 'id' + ' } }'.repeat(n / 2) + ' } }';
const operations = (n: number) =>
  Array.from({ length: n }, (_, i) => `query Q${i} { __typename }`).join('\n');
const commas = `{ me ${','.repeat(1_000_000)} { id } }`;

const HOSTILE: [string, string, string][] = [
  ['fragment fan-out, 30 levels (2^30 paths)', fanOut(30), 'ROOT_FIELD_LIMIT_EXCEEDED'],
  ['a fragment cycle with no field between', cycle, 'GRAPHQL_VALIDATION_FAILED'],
  ['200 unknown fragments', unknown, 'GRAPHQL_VALIDATION_FAILED'],
  ['10,000 aliases', aliases(10_000), 'TOKEN_LIMIT_EXCEEDED'],
  ['1,000-deep nesting', nesting(1000), 'DEPTH_LIMIT_EXCEEDED'],
  ['5,000 operations in one document', operations(5000), 'TOKEN_LIMIT_EXCEEDED'],
  ['a 1 MB document of commas', commas, 'DOCUMENT_SIZE_LIMIT_EXCEEDED'],
];

function codeOf(body: { errors?: { extensions?: Record<string, unknown> }[] }): unknown {
  const ext = body.errors?.[0]?.extensions ?? {};
  return ext['validationErrorCode'] ?? ext['code'];
}

async function serve(options: LimitsOptions): Promise<TestServer> {
  const limits = createLimits(options);
  return startTestServer({
    typeDefs: shopSdl,
    resolvers: { Query: { me: () => ({ id: 'u1' }) } },
    plugins: [...limits.plugins],
    validationRules: [...limits.validationRules],
    parseOptions: limits.parseOptions,
    // Every document is new, as an attacker makes it.
    documentStore: null,
  });
}

async function timed(server: TestServer, query: string) {
  const start = performance.now();
  const res = await server.post({ query });
  return { res, ms: performance.now() - start };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe('hostile documents over HTTP, default limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await serve({});
    await server.post({ query: '{ me { id } }' }); // warm up the server
  });
  afterAll(() => server.stop());

  for (const [name, query, code] of HOSTILE) {
    it(`answers ${name} with 400 ${code} in under 50 ms`, async () => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const { res, ms } = await timed(server, query);
        expect(res.status).toBe(400);
        expect(codeOf(res.body)).toBe(code);
        runs.push(ms);
      }
      // Median of five: a figure, not a flake.
      expect(median(runs)).toBeLessThan(50);
    });
  }
});

/**
 * With the token and size limits off, the documents reach the analysis. Parsing them is then
 * the dominant cost (a 10,000-alias document takes graphql-js 30-80 ms to parse here), and
 * `validate` walks every node with TypeInfo whatever the rules do (20-60 ms on 5,000
 * operations, with no rule at all): this times what the limits rule itself does, the one walk
 * and the checks of every operation, on the parsed document.
 */
describe('hostile documents reaching the analysis (token and size limits off)', () => {
  const schema = shopSchema();
  const options = createLimits({ maxTokens: false, maxDocumentLength: false }).options;
  const cases: [string, string, string | null][] = [
    ['fragment fan-out, 30 levels', fanOut(30), 'ROOT_FIELD_LIMIT_EXCEEDED'],
    ['10,000 aliases', aliases(10_000), 'ALIAS_LIMIT_EXCEEDED'],
    ['1,000-deep nesting', nesting(1000), 'DEPTH_LIMIT_EXCEEDED'],
    ['5,000 operations in one document', operations(5000), null],
    ['a 1 MB document of commas', commas, null],
    ['a fragment cycle with no field between', cycle, null],
  ];
  for (const [name, query, code] of cases) {
    it(`analyses and checks ${name} in under 50 ms${code ? `, refusing it with ${code}` : ''}`, () => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const document = parse(query);
        const start = performance.now();
        const violations = analyzeDocument(schema, document).operations.flatMap((op) =>
          checkOperation(op, options, { schema, document, phase: 'static' }),
        );
        runs.push(performance.now() - start);
        expect(violations[0]?.code ?? null).toBe(code);
      }
      expect(median(runs)).toBeLessThan(50);
    });
  }
  it('the rule itself refuses them under graphql-js validate', () => {
    const rule = createLimits({ maxTokens: false, maxDocumentLength: false }).validationRules[0]!;
    for (const [, query, code] of cases.filter((c) => c[2] !== null)) {
      const errors = validate(schema, parse(query), [rule]);
      expect(errors[0]!.extensions['validationErrorCode']).toBe(code);
    }
  });
});
