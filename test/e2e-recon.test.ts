import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientSchema, getIntrospectionQuery } from 'graphql';
import type { IntrospectionQuery } from 'graphql';
import { codes, startTarget } from '../examples/server/test/harness.js';
import type { Reply, Target } from '../examples/server/test/harness.js';

// Reconnaissance: what an attacker learns about the schema and the engine before attacking.
// Introspection is for admins only; suggestions ("Did you mean ...?") and the engine's
// wording never reach a client (clairvoyance rebuilds schemas from both); nothing names the
// libraries the server runs on (graphw00f fingerprints them).

let t: Target;
let customer: string;
let support: string;
let admin: string;
beforeAll(async () => {
  t = await startTarget();
  customer = (await t.login('grace')).accessToken;
  support = (await t.login('sam')).accessToken;
  admin = (await t.login('ada')).accessToken;
});
afterAll(() => t.stop());

function expectIntrospectionRefused(res: Reply, field: '__schema' | '__type'): void {
  expect(res.status).toBe(403);
  expect(res.body.data).toBeUndefined();
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors?.[0]).toMatchObject({
    message: `Introspection is not allowed: the operation selects "${field}".`,
    extensions: { code: 'INTROSPECTION_DISABLED' },
  });
  expect(res.text).not.toContain('"Query"');
}

describe('introspection probes', () => {
  const probes: [string, string, '__schema' | '__type'][] = [
    ['the standard query', getIntrospectionQuery(), '__schema'],
    ['a short query', '{ __schema { types { name } } }', '__schema'],
    ['an alias', '{ s: __schema { queryType { name } } }', '__schema'],
    [
      'a named fragment',
      '{ ...F } fragment F on Query { __schema { types { name } } }',
      '__schema',
    ],
    [
      'an inline fragment',
      '{ ... on Query { __type(name: "User") { fields { name } } } }',
      '__type',
    ],
    ['__type alone', '{ __type(name: "Mutation") { fields { name } } }', '__type'],
    [
      'next to an innocent field',
      '{ categories { id } __type(name: "AdminArea") { name } }',
      '__type',
    ],
  ];

  for (const [how, query, field] of probes) {
    it(`refuses ${how}, anonymously and as a customer or support`, async () => {
      expectIntrospectionRefused(await t.gql(query), field);
      expectIntrospectionRefused(await t.gql(query, { token: customer }), field);
      expectIntrospectionRefused(await t.gql(query, { token: support }), field);
    });
  }

  it('refuses __schema in a mutation (graphql-js allows it on the query type only)', async () => {
    const res = await t.gql('mutation { logout __schema { types { name } } }', { token: customer });
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.text).not.toContain('"types"');
  });

  it('refuses introspection over GET', async () => {
    const res = await t.send({
      method: 'GET',
      search: `?query=${encodeURIComponent('{ __schema { types { name } } }')}`,
      headers: { 'apollo-require-preflight': 'true' },
    });
    expectIntrospectionRefused(res, '__schema');
  });

  it('refuses introspection hidden in the operation that runs, not in a decoy', async () => {
    const res = await t.post({
      query: 'query Decoy { categories { id } } query Real { __schema { types { name } } }',
      operationName: 'Real',
    });
    expectIntrospectionRefused(res, '__schema');
  });

  it('still answers __typename (clients need it)', async () => {
    const res = await t.gql('{ __typename categories { __typename id } }');
    expect(res.status).toBe(200);
    expect(res.body.data?.['__typename']).toBe('Query');
  });

  it('gives an admin the whole schema, and never the password hash', async () => {
    const res = await t.gql(getIntrospectionQuery(), { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const schema = buildClientSchema(res.body.data as unknown as IntrospectionQuery);
    expect(Object.keys(schema.getQueryType()!.getFields())).toContain('admin');
    expect(res.text).not.toMatch(/passwordHash/i);
  });
});

describe('suggestion probes (clairvoyance)', () => {
  const probes: [string, string, Record<string, unknown>?][] = [
    ['a misspelt root field', '{ usr { id } }'],
    ['a misspelt nested field', '{ categories { nme } }'],
    ['a misspelt argument', '{ products(frist: 1) { totalCount } }'],
    ['a misspelt type in a fragment', '{ ...F } fragment F on Quer { categories { id } }'],
    ['a wrong enum literal', '{ products(first: 1, sort: DSC) { totalCount } }'],
    ['a missing selection', '{ categories }'],
    ['a selection on a scalar', '{ categories { id { x } } }'],
    ['a missing argument', '{ product { id } }'],
    [
      'a wrong enum value in a variable',
      'query Q($s: SortOrder) { products(first: 1, sort: $s) { totalCount } }',
      { s: 'DES' },
    ],
    [
      'a misspelt input field in a variable',
      'mutation M($i: ReviewInput!) { addReview(input: $i) { id } }',
      { i: { productd: 'p1', ratin: 5 } },
    ],
  ];

  for (const [how, query, variables] of probes) {
    it(`answers ${how} with a generic 400 that names nothing`, async () => {
      const res = await t.post(
        { query, ...(variables ? { variables } : {}) },
        { authorization: `Bearer ${customer}` },
      );
      expect(res.status).toBe(400);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors?.length).toBeGreaterThan(0);
      for (const error of res.body.errors ?? []) {
        // Documents fail validation; variables fail coercion.
        expect(error.extensions?.['code']).toBe(
          variables ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED',
        );
        expect(error.message).toMatch(
          /^(The document is not valid for this schema\.|Variable "\$[a-z]+" has an invalid value\.)$/,
        );
      }
      expect(res.text).not.toMatch(/Did you mean/i);
      // No name the schema has and the probe did not send.
      for (const name of [
        'user',
        'users',
        'name',
        'first',
        'Query',
        'Category',
        'SortOrder',
        'DESC',
        'ReviewInput',
        'productId',
        'rating',
        'String',
        'ID',
      ]) {
        if (!query.includes(name) && !JSON.stringify(variables ?? {}).includes(name)) {
          expect(res.text).not.toContain(`"${name}"`);
          expect(res.text).not.toMatch(new RegExp(`\\b${name}\\b`));
        }
      }
    });
  }
});

describe('fingerprinting', () => {
  const hostile: [string, () => Promise<Reply>][] = [
    ['a syntax error', () => t.post({ query: '{ categories { id ' })],
    ['an unknown operation name', () => t.post({ query: '{ __typename }', operationName: 'Nope' })],
    ['an empty body', () => t.post({})],
    ['a query that is not a string', () => t.post({ query: { a: 1 } })],
    ['variables that are not an object', () => t.post({ query: '{ __typename }', variables: [1] })],
    ['a subscription (the schema has none)', () => t.post({ query: 'subscription { x }' })],
    ['a batch', () => t.post([{ query: '{ __typename }' }])],
    [
      'a text/plain post',
      () =>
        t.send({
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: '{"query":"{ __typename }"}',
        }),
    ],
    [
      'a GET without query',
      () => t.send({ method: 'GET', headers: { 'apollo-require-preflight': '1' } }),
    ],
    [
      'a PUT',
      () => t.send({ method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }),
    ],
    [
      'a persisted-query hash',
      () => t.post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'ab' } } }),
    ],
    ['an unknown path', () => t.send({ method: 'GET', path: '/graphiql' })],
    ['a path traversal', () => t.send({ method: 'GET', path: '/graphql/..%2f..%2fetc%2fpasswd' })],
  ];

  const LEAKS =
    /apollo|graphql-js|express|node_modules|\/work\/|\bat [\w.]+ \(|stacktrace|Syntax Error|Cannot (GET|POST|PUT)|<html|Did you mean|x-apollo|preflight/i;

  for (const [what, send] of hostile) {
    it(`answers ${what} with a coded 4xx that names no library, file or header`, async () => {
      const res = await send();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body.errors?.length).toBeGreaterThan(0);
      for (const error of res.body.errors ?? [])
        expect(typeof error.extensions?.['code']).toBe('string');
      expect(res.text).not.toMatch(LEAKS);
      expect(res.headers.get('x-powered-by')).toBeNull();
    });
  }

  it('pins the status and code of each', async () => {
    const results = [];
    for (const [what, send] of hostile) {
      const res = await send();
      results.push([what, res.status, codes(res)]);
    }
    expect(results).toEqual([
      ['a syntax error', 400, ['GRAPHQL_PARSE_FAILED']],
      ['an unknown operation name', 400, ['OPERATION_RESOLUTION_FAILURE']],
      ['an empty body', 400, ['BAD_REQUEST']],
      ['a query that is not a string', 400, ['BAD_REQUEST']],
      ['variables that are not an object', 400, ['BAD_REQUEST']],
      ['a subscription (the schema has none)', 400, ['GRAPHQL_VALIDATION_FAILED']],
      ['a batch', 400, ['BAD_REQUEST']],
      ['a text/plain post', 400, ['BAD_REQUEST']],
      ['a GET without query', 400, ['BAD_REQUEST']],
      ['a PUT', 405, ['BAD_REQUEST']],
      ['a persisted-query hash', 400, ['PERSISTED_QUERY_NOT_SUPPORTED']],
      ['an unknown path', 404, ['NOT_FOUND']],
      ['a path traversal', 400, ['BAD_REQUEST']],
    ]);
  });
});

it('answered every probe with a 4xx', () => {
  const statuses = t.logs
    .filter((l) => l['bulwark'] === 'request')
    .map((l) => l['status'] as number);
  expect(statuses.length).toBeGreaterThan(40);
  expect(statuses.filter((s) => s >= 500)).toEqual([]);
  expect(t.events.filter((e) => e.outcome === 'masked')).toEqual([]);
});
