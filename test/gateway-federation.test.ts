import type { Principal, SecurityEvent } from '@bulwark/core';
import { createPrincipal } from '@bulwark/core';
import { DEMO_USERS, GATEWAY_LIMITS, createDevIssuer, startStack } from '@bulwark/example-gateway';
import type { RunningStack } from '@bulwark/example-gateway';
import { PRINCIPAL_HEADER, createPrincipalSigner } from '@bulwark/gateway';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GraphQLBody } from './support/http.js';

// The example over real HTTP: both subgraphs and the gateway in this process, each on its own
// port. Subgraph request counters show what reached a subgraph.

const SECRET = 'federation-test-secret-of-at-least-32-bytes';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

let stack: RunningStack;
let tokens: Record<'alice' | 'bob' | 'carol', string>;
const events: SecurityEvent[] = [];
const subgraphEvents: SecurityEvent[] = [];
const seen: { subgraph: string; principal: Principal | null }[] = [];
const now = T0;

beforeAll(async () => {
  const issuer = await createDevIssuer();
  tokens = {
    alice: await issuer.issue(DEMO_USERS['alice']!),
    bob: await issuer.issue(DEMO_USERS['bob']!),
    carol: await issuer.issue(DEMO_USERS['carol']!),
  };
  stack = await startStack({
    secret: SECRET,
    security: {
      jwt: issuer.jwt,
      limits: GATEWAY_LIMITS,
      rateLimitRules: [
        { match: { field: 'Mutation.placeOrder' }, limit: 2, window: '1m', by: 'principal' },
      ],
      // The rate limiter's clock is fixed: its windows never roll during the run.
      now: () => now,
      onEvent: (e) => events.push(e),
    },
    onSubgraphEvent: (e) => subgraphEvents.push(e),
    onSubgraphPrincipal: (subgraph, principal) => seen.push({ subgraph, principal }),
  });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  events.length = 0;
  subgraphEvents.length = 0;
  seen.length = 0;
});

function post(body: unknown, token?: string) {
  return stack.gateway.url
    ? fetch(stack.gateway.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      }).then(async (res) => ({
        status: res.status,
        headers: res.headers,
        text: await res.text(),
      }))
    : Promise.reject(new Error('no gateway'));
}

async function gql(query: string, token?: string, variables?: Record<string, unknown>) {
  const res = await post({ query, ...(variables ? { variables } : {}) }, token);
  return { ...res, body: JSON.parse(res.text) as GraphQLBody };
}

function requests() {
  return { accounts: stack.accounts.requests, orders: stack.orders.requests };
}

describe('field rules at the gateway', () => {
  it('denies a protected field of one subgraph before any subgraph call', async () => {
    const before = requests();
    const res = await gql('{ users { name } }', tokens.alice);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      errors: [
        {
          message: 'Access denied to "users".',
          extensions: { code: 'FORBIDDEN', deniedPaths: ['users'] },
        },
      ],
      extensions: expect.any(Object),
    });
    expect(requests()).toEqual(before);
    expect(events.find((e) => e.source === 'authz')).toMatchObject({
      outcome: 'rejected',
      code: 'FORBIDDEN',
      subject: 'u1',
    });
  });

  it("denies a request policy on the second subgraph's field before any call (admin only)", async () => {
    const before = requests();
    const res = await gql('{ products { name stock } }', tokens.alice);
    expect(res.status).toBe(403);
    expect(res.body.errors?.[0]?.message).toBe('Access denied to "products.stock".');
    expect(requests()).toEqual(before);
    const admin = await gql('{ products(first: 1) { name stock } }', tokens.carol);
    expect(admin.body.data).toEqual({ products: [{ name: 'Keyboard', stock: 12 }] });
  });

  it("answers an authenticated response with no-store and the HTTP layer's headers", async () => {
    const res = await post({ query: '{ me { name } }' }, tokens.alice);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses an invalid token at the edge, and lets anonymous callers read public fields only', async () => {
    const before = requests();
    const bad = await gql('{ products { name } }', `${tokens.alice.slice(0, -4)}AAAA`);
    expect(bad.status).toBe(401);
    expect(bad.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    const anonymous = await gql('{ me { name } }');
    expect(anonymous.status).toBe(403);
    expect(requests()).toEqual(before);
    const catalog = await gql('{ products { name price } }');
    expect(catalog.status).toBe(200);
    expect(catalog.body.data?.['products']).toHaveLength(3);
  });
});

describe('an entity field of the second subgraph behind an owner rule', () => {
  it('gives the owner their orders, resolved across both subgraphs', async () => {
    const res = await gql('{ me { name orders { id total } } }', tokens.alice);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      me: {
        name: 'Alice',
        orders: [
          { id: 'o1', total: 49.5 },
          { id: 'o2', total: 39.8 },
        ],
      },
    });
  });

  it("refuses another user's orders in the orders subgraph, where the object is known", async () => {
    const before = requests();
    const res = await gql('{ user(id: "u2") { name orders { id } } }', tokens.alice);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ user: { name: 'Bob', orders: null } });
    expect(res.body.errors).toEqual([
      {
        message: 'Access denied to "User.orders".',
        path: ['user', 'orders'],
        extensions: { code: 'FORBIDDEN' },
      },
    ]);
    // The gateway let the residual owner rule through; the orders subgraph decided it.
    expect(requests().orders).toBe(before.orders + 1);
    expect(subgraphEvents.find((e) => e.code === 'FORBIDDEN')).toMatchObject({
      source: 'authz',
      subject: 'u1',
      detail: { coordinate: 'User.orders', path: ['_entities', 0, 'orders'] },
    });
    expect(res.text).not.toContain('o3');
  });

  it("lets an admin read any user's orders", async () => {
    const res = await gql('{ user(id: "u2") { orders { id } } }', tokens.carol);
    expect(res.body).toMatchObject({ data: { user: { orders: [{ id: 'o3' }] } } });
    expect(res.body.errors).toBeUndefined();
  });
});

describe('cost from @listSize across subgraphs', () => {
  const query = (users: number, orders: number) =>
    `{ users(first: ${users}) { name orders(first: ${orders}) { items { product { name } } } } }`;

  it("prices the operation with both subgraphs' list sizes", async () => {
    const res = await gql(query(3, 2), tokens.carol);
    expect(res.status).toBe(200);
    // users: 1 + 3 × orders; orders: 1 + 2 × items; items (assumedSize 5): 1 + 5 × product (1).
    expect(res.body.extensions?.['cost']).toMatchObject({
      requestedQueryCost: 1 + 3 * (1 + 2 * (1 + 5 * 1)),
      maximumQueryCost: 5000,
    });
  });

  it('refuses an operation over the maximum before any subgraph call', async () => {
    const before = requests();
    const res = await gql(query(50, 20), tokens.carol);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        message: 'Query cost 6051 exceeds the maximum of 5000.',
        locations: [{ line: 1, column: 1 }],
        extensions: {
          code: 'GRAPHQL_VALIDATION_FAILED',
          validationErrorCode: 'COST_LIMIT_EXCEEDED',
        },
      },
    ]);
    expect(requests()).toEqual(before);
  });

  it('prices sizes given in variables per request', async () => {
    const q =
      'query ($n: Int) { users(first: $n) { orders(first: 20) { items { product { name } } } } }';
    const small = await gql(q, tokens.carol, { n: 2 });
    expect(small.body.extensions?.['cost']).toMatchObject({
      requestedQueryCost: 1 + 2 * (1 + 20 * 6),
    });
    const big = await gql(q, tokens.carol, { n: 50 });
    expect(big.status).toBe(400);
    expect(big.body.errors?.[0]).toMatchObject({
      message: 'Query cost 6051 exceeds the maximum of 5000.',
      extensions: { code: 'COST_LIMIT_EXCEEDED' },
    });
  });
});

describe('the subgraphs accept only the gateway', () => {
  const subgraphPost = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as GraphQLBody }));

  it('refuses a direct call without the gateway signature, before any GraphQL work', async () => {
    for (const url of [stack.accounts.url, stack.orders.url]) {
      const res = await subgraphPost(
        url,
        { query: '{ _service { sdl } }' },
        {
          authorization: `Bearer ${tokens.carol}`,
        },
      );
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        errors: [
          {
            message: 'The request was not signed by the gateway.',
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
      });
    }
    expect(subgraphEvents.map((e) => e.detail?.['check'])).toEqual(['missing', 'missing']);
  });

  it('refuses a signature made for the other subgraph or another body', async () => {
    const signer = createPrincipalSigner({ secret: SECRET });
    const request = { query: '{ users { email } }' };
    const admin = createPrincipal({ subject: 'u3', scopes: ['users:read'], roles: ['admin'] });
    const forOrders = signer.sign({ subgraph: 'orders', request, principal: admin });
    const replayed = await subgraphPost(stack.accounts.url, request, {
      [PRINCIPAL_HEADER]: forOrders,
    });
    expect(replayed.status).toBe(401);
    const forAccounts = signer.sign({ subgraph: 'accounts', request, principal: admin });
    const swapped = await subgraphPost(
      stack.accounts.url,
      { query: '{ users(first: 100) { email } }' },
      { [PRINCIPAL_HEADER]: forAccounts },
    );
    expect(swapped.status).toBe(401);
    expect(subgraphEvents.map((e) => e.detail?.['check'])).toEqual(['subgraph', 'binding']);
    const signed = await subgraphPost(stack.accounts.url, request, {
      [PRINCIPAL_HEADER]: forAccounts,
    });
    expect(signed.status).toBe(200);
    expect(signed.body.data?.['users']).toHaveLength(3);
  });

  it('enforces its own rules on a signed request (defense in depth)', async () => {
    const signer = createPrincipalSigner({ secret: SECRET });
    const request = { query: '{ users { email } }' };
    const header = signer.sign({
      subgraph: 'accounts',
      request,
      principal: createPrincipal({ subject: 'u1' }),
    });
    const res = await subgraphPost(stack.accounts.url, request, { [PRINCIPAL_HEADER]: header });
    expect(res.status).toBe(403);
    expect(res.body.errors?.[0]?.message).toBe('Access denied to "users".');
  });

  it('receives exactly the principal the gateway verified, never the token', async () => {
    const res = await gql('{ me { name orders { id } } }', tokens.carol);
    expect(res.status).toBe(200);
    expect(seen.map((s) => s.subgraph).sort()).toEqual(['accounts', 'orders']);
    const claims = JSON.parse(Buffer.from(tokens.carol.split('.')[1]!, 'base64url').toString());
    for (const { principal } of seen) {
      expect(principal).toEqual({
        subject: 'u3',
        scopes: ['users:read', 'orders:write'],
        roles: ['admin'],
        claims: {},
        tokenId: claims.jti,
        issuedAt: claims.iat,
        expiresAt: claims.exp,
      });
      expect(JSON.stringify(principal)).not.toContain(tokens.carol.split('.')[1]);
    }
  });
});

describe('masking at the gateway', () => {
  it("replaces a subgraph's internal error with a generic message and an errorId", async () => {
    const res = await gql('query Points { me { name loyaltyPoints } }', tokens.alice);
    expect(res.status).toBe(200);
    const errorId = res.body.errors?.[0]?.extensions?.['errorId'];
    expect(errorId).toMatch(UUID);
    expect(res.body).toEqual({
      data: { me: { name: 'Alice', loyaltyPoints: null } },
      errors: [
        {
          message: 'An unexpected error occurred.',
          path: ['me', 'loyaltyPoints'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
        },
      ],
      extensions: expect.any(Object),
    });
    for (const leak of [
      'loyalty-svc',
      '10.20.0.7',
      'ECONNREFUSED',
      '/srv/',
      'serviceName',
      'accounts',
    ])
      expect(res.text).not.toContain(leak);
    const masked = events.find((e) => e.outcome === 'masked');
    expect(masked).toMatchObject({
      source: 'masking',
      errorId,
      operationName: 'Points',
      subject: 'u1',
    });
    expect(masked?.detail?.['message']).toBe(
      'loyalty-svc: connect ECONNREFUSED 10.20.0.7:7001 (/srv/accounts/loyalty.js:42)',
    );
  });

  it("passes a subgraph's client error whose code is allow-listed", async () => {
    const res = await gql(
      'mutation { placeOrder(productId: "nope", quantity: 1) { id } }',
      tokens.bob,
    );
    expect(res.body.errors).toEqual([
      {
        message: 'The product is unknown or not available in this quantity.',
        path: ['placeOrder'],
        extensions: { code: 'BAD_USER_INPUT' },
      },
    ]);
  });
});

describe('rate limits at the edge', () => {
  it('counts placeOrder at the gateway and refuses past the limit without calling the subgraph', async () => {
    const order = 'mutation { placeOrder(productId: "p2", quantity: 1) { id status } }';
    for (let i = 0; i < 2; i++) {
      const ok = await gql(order, tokens.alice);
      expect(ok.status).toBe(200);
      expect(ok.body.data).toMatchObject({ placeOrder: { status: 'open' } });
    }
    const before = requests();
    const refused = await gql(order, tokens.alice);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('90');
    expect(refused.body.errors?.[0]).toMatchObject({
      message:
        'Rate limit exceeded on "Mutation.placeOrder": 2 per 60 seconds; retry after 90 seconds.',
      extensions: { code: 'RATE_LIMITED', limit: 2, remaining: 0 },
    });
    expect(requests()).toEqual(before);
    // Another principal has its own bucket.
    expect((await gql(order, tokens.carol)).status).toBe(200);
  });

  it('charges the cost budget and reports it', async () => {
    const res = await gql('{ products(first: 2) { name } }', tokens.bob);
    expect(res.body.extensions?.['cost']).toEqual({
      requestedQueryCost: 1,
      maximumQueryCost: 5000,
      throttleStatus: expect.objectContaining({ maximumAvailable: 20000 }),
    });
    expect(res.headers.get('ratelimit-policy')).toContain('budget');
  });
});

describe('introspection', () => {
  const query = '{ __schema { queryType { name } } }';

  it('is refused to everyone but admins, without calling a subgraph', async () => {
    const before = requests();
    const anonymous = await gql(query);
    expect(anonymous.status).toBe(403);
    expect(anonymous.body.errors?.[0]).toMatchObject({
      message: 'Introspection is not allowed: the operation selects "__schema".',
      extensions: { code: 'INTROSPECTION_DISABLED' },
    });
    expect((await gql(query, tokens.alice)).status).toBe(403);
    const admin = await gql(query, tokens.carol);
    expect(admin.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect(requests()).toEqual(before);
  });

  it("lets an admin run a client's full introspection query: it costs nothing and its depth is not counted", async () => {
    const res = await gql(getIntrospectionQuery(), tokens.carol);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.extensions?.['cost']).toMatchObject({ requestedQueryCost: 0 });
    const types = (res.body.data?.['__schema'] as { types: { name: string }[] }).types;
    expect(types.map((t) => t.name)).toEqual(expect.arrayContaining(['User', 'Order', 'Product']));
    // The API schema: no join__ or link__ machinery, no rule directive.
    expect(res.text).not.toMatch(/join__|link__|requiresScopes/);
  });

  it('strips suggestions from validation errors', async () => {
    const res = await gql('{ product(id: "p1") { nme } }');
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toBe('Cannot query field "nme" on type "Product".');
  });
});
