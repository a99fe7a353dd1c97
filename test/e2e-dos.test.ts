import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTarget } from '../examples/server/test/harness.js';
import type { Reply, Target } from '../examples/server/test/harness.js';

// Denial of service by document shape, size and volume (OWASP API4), against the example
// server as an anonymous attacker would send it. Every request is refused before execution
// with a 4xx and a coded error; the server keeps answering.

let t: Target;
beforeAll(async () => {
  t = await startTarget();
});
afterAll(() => t.stop());

/** A refusal by a validation rule: Apollo's code, ours in `validationErrorCode`. */
function expectValidationRefusal(res: Reply, code: string, message: string | RegExp): void {
  expect(res.status).toBe(400);
  expect(res.body.data).toBeUndefined();
  const first = res.body.errors?.[0];
  expect(first?.extensions).toEqual({
    code: 'GRAPHQL_VALIDATION_FAILED',
    validationErrorCode: code,
  });
  if (typeof message === 'string') expect(first?.message).toBe(message);
  else expect(first?.message).toMatch(message);
}

/** A refusal before parsing: `{ errors: [{ message, extensions: { code } }] }`. */
function expectHttpRefusal(res: Reply, status: number, code: string, message: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ errors: [{ message, extensions: { code } }] });
}

describe('fragment bombs', () => {
  it('refuses a 2^30 fan-out of fragments spread twice each, in linear time', async () => {
    let doc = 'query Bomb { ...F0 }\n';
    for (let i = 0; i < 30; i++) doc += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
    doc += 'fragment F30 on Query { categories { id } }';
    const started = performance.now();
    const res = await t.post({ query: doc });
    expect(performance.now() - started).toBeLessThan(2000);
    expectValidationRefusal(
      res,
      'ROOT_FIELD_LIMIT_EXCEEDED',
      'Root field count 1073741824 exceeds the maximum of 20.',
    );
  });

  it('refuses a fan-out below the root that multiplies aliases', async () => {
    let doc = '{ product(id: "p1") { ...P0 } }\n';
    for (let i = 0; i < 20; i++)
      doc += `fragment P${i} on Product { a${i}: id ...P${i + 1} ...P${i + 1} }\n`;
    doc += 'fragment P20 on Product { id }';
    const res = await t.post({ query: doc });
    expectValidationRefusal(
      res,
      'ALIAS_LIMIT_EXCEEDED',
      /^Alias count \d+ exceeds the maximum of 15\.$/,
    );
  });

  it('refuses fragment cycles (graphql-js) without looping', async () => {
    const res = await t.post({
      query: '{ ...A } fragment A on Query { ...B categories { id } } fragment B on Query { ...A }',
    });
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    // Production redacts graphql-js's wording: no fragment or field names echoed back.
    expect(res.body.errors?.[0]?.message).toBe('The document is not valid for this schema.');
  });
});

describe('floods', () => {
  it('refuses an alias flood of a public field', async () => {
    const query = `{ ${Array.from({ length: 16 }, (_, i) => `p${i}: product(id: "p1") { id }`).join(' ')} }`;
    const res = await t.post({ query });
    expectValidationRefusal(
      res,
      'ALIAS_LIMIT_EXCEEDED',
      'Alias count 16 exceeds the maximum of 15.',
    );
  });

  it('refuses a flood of aliased __typename (which reaches no resolver but costs a response)', async () => {
    const query = `{ ${Array.from({ length: 100 }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    const res = await t.post({ query });
    expectValidationRefusal(
      res,
      'ALIAS_LIMIT_EXCEEDED',
      'Alias count 100 exceeds the maximum of 15.',
    );
  });

  it('refuses a directive flood on one field', async () => {
    const query = `{ __typename${' @include(if: true)'.repeat(51)} }`;
    const res = await t.post({ query });
    expectValidationRefusal(
      res,
      'DIRECTIVE_LIMIT_EXCEEDED',
      'Directive count 51 exceeds the maximum of 50.',
    );
  });

  it('refuses too many root fields', async () => {
    const query = `{ ${Array.from({ length: 21 }, () => 'categories { id }').join(' ')} }`;
    const res = await t.post({ query });
    expectValidationRefusal(
      res,
      'ROOT_FIELD_LIMIT_EXCEEDED',
      'Root field count 21 exceeds the maximum of 20.',
    );
  });

  it('refuses a token flood before parsing', async () => {
    const res = await t.post({ query: `{${' a'.repeat(10_001)} }` });
    expectHttpRefusal(
      res,
      400,
      'TOKEN_LIMIT_EXCEEDED',
      'Document token count exceeds the maximum of 10000.',
    );
  });

  it('refuses an alias flood sent by GET too', async () => {
    const query = `{ ${Array.from({ length: 16 }, (_, i) => `p${i}: product(id: "p1") { id }`).join(' ')} }`;
    const res = await t.send({
      method: 'GET',
      search: `?query=${encodeURIComponent(query)}`,
      headers: { 'apollo-require-preflight': 'true' },
    });
    expectValidationRefusal(
      res,
      'ALIAS_LIMIT_EXCEEDED',
      'Alias count 16 exceeds the maximum of 15.',
    );
  });

  it('refuses a token flood sent by GET before parsing', async () => {
    // `!` needs no escaping in a URL: 10,001 tokens in a 10 KB query string.
    const res = await t.send({
      method: 'GET',
      search: `?query=${encodeURIComponent(`{${'!'.repeat(10_001)}}`)}`,
      headers: { 'apollo-require-preflight': 'true' },
    });
    expectHttpRefusal(
      res,
      400,
      'TOKEN_LIMIT_EXCEEDED',
      'Document token count exceeds the maximum of 10000.',
    );
  });

  it('leaves a token flood in a GET URL to Node, which refuses URLs over 16 KB with 431', async () => {
    const query = `{${' a'.repeat(10_001)} }`;
    const res = await t.send({
      method: 'GET',
      search: `?query=${encodeURIComponent(query)}`,
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(431);
    expect(res.text).toBe('');
  });
});

describe('deep nesting', () => {
  // `parent` is not a list: the depth grows, the list depth does not.
  const nest = (levels: number) =>
    `{ categories { ${'parent { '.repeat(levels)}id${' }'.repeat(levels)} } }`;

  it('accepts the depth limit and refuses one more level', async () => {
    const ok = await t.post({ query: nest(9) });
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
    const res = await t.post({ query: nest(10) });
    expectValidationRefusal(
      res,
      'DEPTH_LIMIT_EXCEEDED',
      'Query depth 11 exceeds the maximum of 10.',
    );
  });

  it('refuses depth hidden in fragments spread at different depths', async () => {
    const query =
      '{ categories { ...C } } fragment C on Category { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } }';
    const res = await t.post({ query });
    expectValidationRefusal(
      res,
      'DEPTH_LIMIT_EXCEEDED',
      'Query depth 11 exceeds the maximum of 10.',
    );
  });

  it('answers a parser-busting 3,000-level document with a masked 400, not a crash', async () => {
    const query = `{${' a {'.repeat(3000)} b${' }'.repeat(3000)} }`;
    const res = await t.post({ query });
    expect(res.status).toBe(400);
    const error = res.body.errors?.[0];
    expect(error?.extensions?.['code']).toBe('GRAPHQL_PARSE_FAILED');
    expect(error?.message).toBe('The document could not be parsed.');
    expect(res.text).not.toMatch(/call stack|RangeError/i);
    // The server still answers.
    expect((await t.post({ query: '{ __typename }' })).status).toBe(200);
  });

  it('refuses deeply nested lists', async () => {
    const query =
      '{ categories { children { children { children { products(first: 1) { nodes { related(first: 1) { id } } } } } } } }';
    const res = await t.post({ query });
    expectValidationRefusal(
      res,
      'LIST_DEPTH_LIMIT_EXCEEDED',
      'List nesting depth 6 exceeds the maximum of 5.',
    );
  });
});

describe('cost', () => {
  // The cost limit depends on the principal (admins may introspect), so it is checked per
  // request, in the plugin: our code in both `code` and `validationErrorCode`.
  it('refuses a query whose page sizes multiply past the cost limit', async () => {
    const res = await t.post({
      query:
        '{ products(first: 100) { nodes { related(first: 100) { related(first: 100) { id } } } } }',
    });
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors?.[0]).toMatchObject({
      message: 'Query cost 50502 exceeds the maximum of 5000.',
      extensions: { code: 'COST_LIMIT_EXCEEDED', validationErrorCode: 'COST_LIMIT_EXCEEDED' },
    });
  });

  it('refuses a page size given through a variable (checked per request)', async () => {
    const res = await t.post({
      query:
        'query Page($n: Int!) { products(first: $n) { nodes { related(first: $n) { related(first: $n) { id } } } } }',
      variables: { n: 100 },
    });
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['COST_LIMIT_EXCEEDED']);
    expect(res.body.errors?.[0]?.message).toBe('Query cost 50502 exceeds the maximum of 5000.');
  });

  it('does not let a negative page size cancel a huge one', async () => {
    const res = await t.post({
      query:
        '{ a: products(first: -100000) { totalCount } products(first: 100) { nodes { related(first: 100) { related(first: 100) { id } } } } }',
    });
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['COST_LIMIT_EXCEEDED']);
    expect(res.body.errors?.[0]?.message).toBe('Query cost 50503 exceeds the maximum of 5000.');
  });

  it('spends the per-IP cost budget of anonymous clients, then answers 429 with Retry-After', async () => {
    const budgetTarget = await startTarget({
      costBudget: { limit: 100, window: '1m', by: 'principal' },
    });
    try {
      const page = '{ products(first: 20) { nodes { id reviews(first: 2) { nodes { id } } } } }';
      const first = await budgetTarget.post({ query: page });
      expect(first.status).toBe(200);
      expect(first.body.extensions?.['cost']).toEqual({
        requestedQueryCost: 42,
        throttleStatus: { maximumAvailable: 100, currentlyAvailable: 58, restoreRate: 100 / 60 },
      });
      expect((await budgetTarget.post({ query: page })).status).toBe(200);
      const third = await budgetTarget.post({ query: page });
      expect(third.status).toBe(429);
      expect(codes(third)).toEqual(['RATE_LIMITED']);
      expect(third.body.data).toBeUndefined();
      // 26 points missing at 100/60 points per second: 16 seconds.
      expect(third.headers.get('retry-after')).toBe('16');
      // The budget refills with time: no sleeping, the clock moves.
      budgetTarget.clock.now += 60_000;
      expect((await budgetTarget.post({ query: page })).status).toBe(200);
    } finally {
      await budgetTarget.stop();
    }
  });
});

describe('bodies and batches', () => {
  it('refuses a body over 100 KB with 413 before parsing it', async () => {
    const res = await t.post({ query: '{ __typename }', variables: { pad: 'x'.repeat(110_000) } });
    expectHttpRefusal(
      res,
      413,
      'PAYLOAD_TOO_LARGE',
      'The request body exceeds the maximum of 102400 bytes.',
    );
  });

  it('stops inflating a gzip bomb at 100 KB and answers 413', async () => {
    const { gzipSync } = await import('node:zlib');
    const bomb = gzipSync(
      JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(5_000_000) } }),
    );
    expect(bomb.length).toBeLessThan(10_000);
    const res = await t.send({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bomb,
    });
    expectHttpRefusal(
      res,
      413,
      'PAYLOAD_TOO_LARGE',
      'The request body exceeds the maximum of 102400 bytes.',
    );
  });

  it('refuses malformed JSON with a coded 400', async () => {
    const res = await t.post('{"query": "{ __typename }"');
    expectHttpRefusal(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON.');
  });

  it('refuses 20,000-level nested JSON variables before graphql-js coerces them, for anyone', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const body = (x: string) =>
      `{"query":"mutation($x: [UpdateUserInput!]!) { updateUsers(inputs: $x) { id } }","variables":{"x":${x}}}`;
    const refusal = {
      errors: [
        {
          message: 'Variable "$x" is nested deeper than the maximum of 64 levels.',
          extensions: { code: 'VARIABLES_DEPTH_LIMIT_EXCEEDED' },
        },
      ],
    };
    const anonymous = await t.post(body(deep));
    expect(anonymous.status).toBe(400);
    expect(anonymous.body).toEqual(refusal);
    const { accessToken } = await t.login('ada');
    const admin = await t.post(body(deep), { authorization: `Bearer ${accessToken}` });
    expect(admin.status).toBe(400);
    expect(admin.body).toEqual(refusal);
    // Within the limit, authorization still refuses the anonymous client.
    const shallow = await t.post(body('[{"displayName":"x"}]'));
    expect(shallow.status).toBe(403);
    expect(codes(shallow)).toEqual(['FORBIDDEN']);
  });

  it('answers deep variables on the rate-limited login with a 400, not a 503', async () => {
    // The login limit keys on the email argument; a 6,000-level value made the limiter's
    // JSON.stringify overflow, and the limiter failed closed with 503.
    const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
    const res = await t.post(
      `{"query":"mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }","variables":{"e":${deep},"p":"x"}}`,
    );
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['VARIABLES_DEPTH_LIMIT_EXCEEDED']);
  });

  it('refuses HTTP batches: batching is off by default', async () => {
    const res = await t.post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        message: 'The request is not a valid GraphQL request.',
        extensions: { code: 'BAD_REQUEST' },
      },
    ]);
  });

  describe('with batching on (maxBatchSize 3)', () => {
    let b: Target;
    beforeAll(async () => {
      b = await startTarget({ maxBatchSize: 3 });
    });
    afterAll(() => b.stop());

    it('runs a batch up to the cap', async () => {
      const res = await b.post([{ query: '{ __typename }' }, { query: '{ categories { id } }' }]);
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
    });

    it('refuses a larger batch before parsing any of it', async () => {
      const res = await b.post(Array.from({ length: 4 }, () => ({ query: '{ __typename }' })));
      expectHttpRefusal(res, 400, 'BATCH_LIMIT_EXCEEDED', 'Batch size 4 exceeds the maximum of 3.');
    });

    it('checks the document limits of every entry of a batch', async () => {
      const res = await b.post([
        { query: '{ __typename }' },
        { query: `{${' a'.repeat(10_001)} }` },
      ]);
      expectHttpRefusal(
        res,
        400,
        'TOKEN_LIMIT_EXCEEDED',
        'Document token count exceeds the maximum of 10000.',
      );
    });
  });
});

it('never answered a hostile request with a 5xx, and logged every refusal', () => {
  const statuses = t.logs
    .filter((l) => l['bulwark'] === 'request')
    .map((l) => l['status'] as number);
  expect(statuses.length).toBeGreaterThan(20);
  expect(statuses.filter((s) => s >= 500)).toEqual([]);
  const refusals = t.events.filter((e) => e.outcome === 'rejected').map((e) => e.code);
  expect(new Set(refusals)).toEqual(
    new Set([
      'ROOT_FIELD_LIMIT_EXCEEDED',
      'ALIAS_LIMIT_EXCEEDED',
      'DIRECTIVE_LIMIT_EXCEEDED',
      'DEPTH_LIMIT_EXCEEDED',
      'LIST_DEPTH_LIMIT_EXCEEDED',
      'COST_LIMIT_EXCEEDED',
      'VARIABLES_DEPTH_LIMIT_EXCEEDED',
      'FORBIDDEN',
      // Not RATE_LIMITED: an operation refused by a limit or by authorization is never charged
      // to the cost budget (the preset runs the rate limiter last).
      // Refused by the HTTP layer, before GraphQL.
      'TOKEN_LIMIT_EXCEEDED',
      'PAYLOAD_TOO_LARGE',
      'BAD_REQUEST',
    ]),
  );
});
