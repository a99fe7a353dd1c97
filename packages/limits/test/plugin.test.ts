import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPrincipal } from '@bulwark/core';
import type { Principal, SecurityEvent } from '@bulwark/core';
import {
  batchLimitMiddleware,
  createLimits,
  documentSources,
  limitsPlugin,
  sourceLimitMiddleware,
} from '@bulwark/limits';
import type { LimitsOptions } from '@bulwark/limits';
import { startTestServer } from '../../../test/support/http.js';
import type { Middleware, TestServer } from '../../../test/support/http.js';
import { shopSdl } from '../../../test/support/corpus.js';

const me = vi.fn(() => ({ id: 'u1', handle: 'ada', displayName: 'Ada', role: 'CUSTOMER' }));
const products = vi.fn((_: unknown, args: { first: number }) => ({
  totalCount: 3,
  nodes: Array.from({ length: Math.min(args.first, 3) }, (_x, i) => ({
    id: `p${i}`,
    name: `P${i}`,
  })),
}));
const resolvers = {
  Query: { me, products },
  Product: { category: () => ({ id: 'c1', name: 'Lamps', slug: 'lamps' }) },
};

/** A server with all of `createLimits` (rule, plugin, parse options), or the plugin alone. */
async function serve(
  options: LimitsOptions,
  extra: { pluginOnly?: boolean; principal?: Principal | null } = {},
): Promise<TestServer> {
  const limits = createLimits(options);
  return startTestServer({
    typeDefs: shopSdl,
    resolvers,
    ...(extra.pluginOnly
      ? { plugins: [limitsPlugin(options)] }
      : {
          plugins: [...limits.plugins],
          validationRules: [...limits.validationRules],
          parseOptions: limits.parseOptions,
        }),
    context: async () => ({ auth: { principal: extra.principal ?? null } }),
  });
}

const deep = (n: number) =>
  '{ me { ' + 'friends { nodes { '.repeat(n) + 'id' + ' } }'.repeat(n) + ' } }';

const cases: [string, string, string, string][] = [
  ['depth', deep(5), 'DEPTH_LIMIT_EXCEEDED', 'Query depth 11 exceeds the maximum of 10.'],
  [
    'aliases',
    `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
    'ALIAS_LIMIT_EXCEEDED',
    'Alias count 16 exceeds the maximum of 15.',
  ],
  [
    'root fields',
    `{ ${Array.from({ length: 21 }, () => '__typename').join(' ')} }`,
    'ROOT_FIELD_LIMIT_EXCEEDED',
    'Root field count 21 exceeds the maximum of 20.',
  ],
  [
    'directives',
    `{ me { ${Array.from({ length: 51 }, () => 'id @include(if: true)').join(' ')} } }`,
    'DIRECTIVE_LIMIT_EXCEEDED',
    'Directive count 51 exceeds the maximum of 50.',
  ],
  [
    'list depth',
    '{ categories { children { children { children { children { children { id } } } } } } }',
    'LIST_DEPTH_LIMIT_EXCEEDED',
    'List nesting depth 6 exceeds the maximum of 5.',
  ],
  [
    'cost',
    // products 1 + nodes (1 + 100 × related (5 + 10 × 0))
    '{ products(first: 100) { nodes { related(first: 10) { id } } } }',
    'COST_LIMIT_EXCEEDED',
    'Query cost 502 exceeds the maximum of 500.',
  ],
];

describe('createLimits over HTTP', () => {
  const events: SecurityEvent[] = [];
  let server: TestServer;
  let alone: TestServer;
  beforeAll(async () => {
    server = await serve({ onEvent: (e) => events.push(e), maxCost: 500 });
    alone = await serve({ maxCost: 500 }, { pluginOnly: true });
  });
  afterAll(async () => {
    await server.stop();
    await alone.stop();
  });

  for (const [name, query, code, message] of cases) {
    it(`refuses ${name} in validation: 400, validationErrorCode ${code}, no resolver run`, async () => {
      me.mockClear();
      const res = await server.post({ query });
      expect(res.status).toBe(400);
      // Apollo rewrites the code of every validation error; ours stays in validationErrorCode.
      // The rule reports every exceeded limit, in a stable order (depth first, cost last).
      expect(res.body.errors![0]).toEqual({
        message,
        locations: [{ line: 1, column: 1 }],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED', validationErrorCode: code },
      });
      expect(res.body.data).toBeUndefined();
      expect(me).not.toHaveBeenCalled();
      expect(events).toContainEqual(
        expect.objectContaining({ source: 'limits', outcome: 'rejected', code, reason: message }),
      );
    });

    it(`refuses ${name} with the plugin alone too: 400, code ${code}`, async () => {
      me.mockClear();
      const res = await alone.post({ query });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        errors: [
          {
            message,
            locations: [{ line: 1, column: 1 }],
            extensions: { code, validationErrorCode: code },
          },
        ],
      });
      expect(me).not.toHaveBeenCalled();
    });
  }

  it('answers a normal operation', async () => {
    const res = await server.post({ query: '{ me { id handle } }' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { me: { id: 'u1', handle: 'ada' } } });
  });

  it("checks the cost again with each request's variables on a cached document", async () => {
    // products 1 + nodes (1 + n × category 1)
    const query = 'query Page($n: Int) { products(first: $n) { nodes { id category { id } } } }';
    const ok = await server.post({ query, variables: { n: 3 } });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({
      products: { nodes: [0, 1, 2].map((i) => ({ id: `p${i}`, category: { id: 'c1' } })) },
    });
    products.mockClear();
    const big = await server.post({ query, variables: { n: 1000 } });
    expect(big.status).toBe(400);
    expect(big.body.errors).toEqual([
      {
        message: 'Query cost 1002 exceeds the maximum of 500.',
        locations: [{ line: 1, column: 1 }],
        extensions: { code: 'COST_LIMIT_EXCEEDED', validationErrorCode: 'COST_LIMIT_EXCEEDED' },
      },
    ]);
    expect(products).not.toHaveBeenCalled();
    expect(events.at(-1)).toMatchObject({ operationName: 'Page', code: 'COST_LIMIT_EXCEEDED' });
    const again = await server.post({ query, variables: { n: 2 } });
    expect(again.status).toBe(200);
  });

  it('does not let a negative first cancel a huge sibling', async () => {
    const res = await server.post({
      query:
        '{ a: products(first: -100000) { nodes { category { id } } } b: products(first: 600) { nodes { category { id } } } }',
    });
    expect(res.status).toBe(400);
    // a: 1 + (1 + 0 × 1) = 2; b: 1 + (1 + 600 × 1) = 602. Unclamped, a would cancel b.
    expect(res.body.errors![0]!.message).toBe('Query cost 604 exceeds the maximum of 500.');
  });

  it('refuses a document longer than maxDocumentLength', async () => {
    const res = await server.post({ query: `{ me { id } } # ${'x'.repeat(100_000)}` });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        message: 'Document length 100016 exceeds the maximum of 100000 characters.',
        extensions: {
          code: 'GRAPHQL_VALIDATION_FAILED',
          validationErrorCode: 'DOCUMENT_SIZE_LIMIT_EXCEEDED',
        },
      },
    ]);
  });

  it('stops the parser at maxTokens and answers TOKEN_LIMIT_EXCEEDED', async () => {
    const res = await server.post({ query: `{ me { ${'id '.repeat(10_001)} } }` });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        message: 'Document token count exceeds the maximum of 10000.',
        locations: [{ line: 1, column: 29_999 }],
        extensions: { code: 'TOKEN_LIMIT_EXCEEDED' },
      },
    ]);
    expect(events.at(-1)).toMatchObject({ code: 'TOKEN_LIMIT_EXCEEDED', outcome: 'rejected' });
  });
});

describe('source limits before parsing (Express middleware)', () => {
  it('refuses long documents and token floods in POST bodies, batches and GET queries', async () => {
    me.mockClear();
    const server = await startTestServer({
      typeDefs: shopSdl,
      resolvers,
      allowBatchedHttpRequests: true,
      afterBodyParser: [
        sourceLimitMiddleware({ maxTokens: 50, maxDocumentLength: 1000 }) as Middleware,
      ],
    });
    try {
      const flood = `{ me { ${'id '.repeat(60)} } }`;
      const post = await server.post({ query: flood });
      expect(post.status).toBe(400);
      expect(post.body).toEqual({
        errors: [
          {
            message: 'Document token count exceeds the maximum of 50.',
            extensions: { code: 'TOKEN_LIMIT_EXCEEDED' },
          },
        ],
      });
      const batch = await server.post([
        { query: '{ me { id } }' },
        { query: `{ me { id } } #${'x'.repeat(1000)}` },
      ]);
      expect(batch.status).toBe(400);
      expect(batch.body).toEqual({
        errors: [
          {
            message: 'Document length 1015 exceeds the maximum of 1000 characters.',
            extensions: { code: 'DOCUMENT_SIZE_LIMIT_EXCEEDED' },
          },
        ],
      });
      const get = await server.request({
        method: 'GET',
        search: `?query=${encodeURIComponent(flood)}`,
        headers: { 'apollo-require-preflight': '1' },
      });
      expect(get.status).toBe(400);
      expect(get.body.errors![0]!.extensions).toEqual({ code: 'TOKEN_LIMIT_EXCEEDED' });
      expect(me).not.toHaveBeenCalled();
      const ok = await server.post({ query: '{ me { id } }' });
      expect(ok.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe('per principal, measure mode, cost extension', () => {
  it('chooses limits per principal', async () => {
    const staff = createPrincipal({ subject: 's1', roles: ['staff'] });
    const options: LimitsOptions = {
      maxDepth: { max: (p) => (p?.roles.includes('staff') ? 20 : 3) },
    };
    const anon = await serve(options);
    const trusted = await serve(options, { principal: staff });
    try {
      const a = await anon.post({ query: deep(2) });
      expect(a.status).toBe(400);
      expect(a.body.errors![0]!.message).toBe('Query depth 5 exceeds the maximum of 3.');
      expect(a.body.errors![0]!.extensions).toEqual({
        code: 'DEPTH_LIMIT_EXCEEDED',
        validationErrorCode: 'DEPTH_LIMIT_EXCEEDED',
      });
      const t = await trusted.post({ query: deep(2) });
      expect(t.status).toBe(200);
    } finally {
      await anon.stop();
      await trusted.stop();
    }
  });

  it('lets a measured operation run and reports it', async () => {
    const events: SecurityEvent[] = [];
    const server = await serve({
      maxDepth: { max: 1, mode: 'measure' },
      onEvent: (e) => events.push(e),
    });
    try {
      const res = await server.post({ query: 'query Q { me { friends { nodes { id } } } }' });
      expect(res.status).toBe(200);
      expect(events).toMatchObject([
        {
          outcome: 'flagged',
          code: 'DEPTH_LIMIT_EXCEEDED',
          operationName: 'Q',
          detail: { limit: 'maxDepth', value: 3, max: 1 },
        },
      ]);
    } finally {
      await server.stop();
    }
  });

  it('adds extensions.cost when asked', async () => {
    const server = await serve({ maxCost: 1000, cost: { exposeCost: true } });
    try {
      const res = await server.post({ query: '{ me { id } }' });
      expect(res.body).toEqual({
        data: { me: { id: 'u1' } },
        extensions: { cost: { requestedQueryCost: 1, maximumQueryCost: 1000 } },
      });
    } finally {
      await server.stop();
    }
  });

  it('hides figures with exposeLimits: false', async () => {
    const server = await serve({ exposeLimits: false });
    try {
      const res = await server.post({ query: deep(5) });
      expect(res.body.errors![0]!.message).toBe('Query depth exceeds the maximum allowed.');
    } finally {
      await server.stop();
    }
  });
});

describe('batch limit middleware', () => {
  it('refuses a batch larger than maxBatchSize before any operation runs', async () => {
    me.mockClear();
    const server = await startTestServer({
      typeDefs: shopSdl,
      resolvers,
      allowBatchedHttpRequests: true,
      plugins: [limitsPlugin()],
      afterBodyParser: [batchLimitMiddleware({ maxBatchSize: 3 }) as Middleware],
    });
    try {
      const four = await server.post(Array.from({ length: 4 }, () => ({ query: '{ me { id } }' })));
      expect(four.status).toBe(400);
      expect(four.body).toEqual({
        errors: [
          {
            message: 'Batch size 4 exceeds the maximum of 3.',
            extensions: { code: 'BATCH_LIMIT_EXCEEDED' },
          },
        ],
      });
      expect(me).not.toHaveBeenCalled();
      const three = await server.post<unknown[]>(
        Array.from({ length: 3 }, () => ({ query: '{ me { id } }' })),
      );
      expect(three.status).toBe(200);
      expect(three.body).toHaveLength(3);
    } finally {
      await server.stop();
    }
  });
});

describe('documentSources', () => {
  it('lists the body, every batch entry and GET ?query=, and skips the query string when the URL has none', () => {
    expect(documentSources({ body: { query: '{ a }' }, url: '/graphql' })).toEqual(['{ a }']);
    expect(
      documentSources({ body: [{ query: '{ a }' }, { query: 1 }, 'x', null, { query: '{ b }' }] }),
    ).toEqual(['{ a }', '{ b }']);
    expect(documentSources({ query: { query: '{ c }' }, url: '/graphql?query=x' })).toEqual([
      '{ c }',
    ]);
    // No `?` in the URL: the parsed query string is not read at all.
    const req = {
      url: '/graphql',
      get query(): unknown {
        throw new Error('read');
      },
    };
    expect(documentSources(req)).toEqual([]);
  });
});
