import { buildSchema, execute, parse, validate } from 'graphql';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrincipal, isSecurityError } from '@bulwark/core';
import type { ConsumeRequest, ConsumeResult, RateLimitStore } from '@bulwark/core';
import {
  createRateLimiter,
  MemoryRateLimitStore,
  rateLimitDirectiveTypeDefs,
} from '@bulwark/rate-limit';
import { RIGHT_PASSWORD, startLimitedServer, T0 } from './fixtures.js';
import type { LimitedServer } from './fixtures.js';
import type { GraphQLBody } from '../../../test/support/http.js';

describe('with plain graphql-js', () => {
  const schema = buildSchema(`
    ${rateLimitDirectiveTypeDefs}
    type Query { search(term: String!): [String!]! @rateLimit(limit: 2, window: "1m", by: ["client"]) }
  `);
  const rootValue = { search: ({ term }: { term: string }) => [term] };
  const now = T0;
  const limiter = createRateLimiter({
    store: new MemoryRateLimitStore({ max: 1000 }),
    now: () => now,
  });

  /** The recipe of the README: check after validation, before execution. */
  async function run(source: string, context: unknown): Promise<ExecutionResult> {
    const document = parse(source);
    const errors = validate(schema, document);
    if (errors.length > 0) return { errors };
    try {
      await limiter.check({ schema, document, context });
    } catch (error) {
      if (isSecurityError(error)) return { errors: [error] };
      throw error;
    }
    return execute({ schema, document, rootValue, contextValue: context });
  }

  it('limits per API client id (a verified claim), falling back to the IP', async () => {
    const app = {
      auth: { principal: createPrincipal({ subject: 'svc', claims: { client_id: 'app-1' } }) },
    };
    const other = {
      auth: { principal: createPrincipal({ subject: 'svc', claims: { azp: 'app-2' } }) },
    };
    expect((await run('{ search(term: "a") }', app)).data).toEqual({ search: ['a'] });
    expect((await run('{ a: search(term: "a") }', app)).errors).toBeUndefined();
    const refused = await run('{ search(term: "b") }', app);
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfter: 90,
      limit: 2,
      remaining: 0,
      http: { status: 429 },
    });
    const http = refused.errors?.[0]?.extensions?.['http'] as { headers: Map<string, string> };
    expect(Object.fromEntries(http.headers)).toEqual({
      'retry-after': '90',
      'ratelimit-policy': '"Query.search/client";q=2;w=60',
      ratelimit: '"Query.search/client";r=0;t=120',
    });
    expect((await run('{ search(term: "a") }', other)).errors).toBeUndefined();
    expect((await run('{ search(term: "a") }', { clientIp: '192.0.2.1' })).errors).toBeUndefined();
  });
});

describe('reportFailure in an HTTP batch', () => {
  let s: LimitedServer;
  beforeAll(async () => {
    s = await startLimitedServer({
      directive: false,
      rules: [
        {
          match: { field: 'Mutation.login' },
          limit: 100,
          window: '1m',
          by: 'arg:email',
          jail: { after: 2, for: '10m' },
        },
      ],
    });
  });
  afterAll(() => s.stop());

  it('strikes only the account whose password was wrong, though the batch shares a context', async () => {
    const batch = [
      { query: 'mutation { login(email: "mallory@example.com", password: "nope") }' },
      { query: `mutation { login(email: "bob@example.com", password: "${RIGHT_PASSWORD}") }` },
    ];
    for (let i = 0; i < 2; i++) {
      const res = await s.post<GraphQLBody[]>(batch);
      expect(res.status).toBe(200);
      expect(res.body[1]?.data).toEqual({ login: 'token' });
    }
    const next = await s.post<GraphQLBody[]>(batch);
    expect(next.status).toBe(429);
    expect(next.body[0]?.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
    expect(next.body[1]?.data).toEqual({ login: 'token' });
  });
});

describe('a store failing open', () => {
  class OpenStore implements RateLimitStore {
    consume(requests: readonly ConsumeRequest[]): Promise<readonly ConsumeResult[]> {
      return Promise.resolve(
        requests.map((r) => ({
          key: r.key,
          allowed: true,
          limit: r.policy.limit,
          remaining: r.policy.limit,
          resetAt: 0,
          retryAfterMs: 0,
          degraded: true,
        })),
      );
    }
  }
  let s: LimitedServer;
  beforeAll(async () => {
    s = await startLimitedServer({ store: new OpenStore() });
  });
  afterAll(() => s.stop());

  it('admits without advertising figures it does not have', async () => {
    const res = await s.post({ query: '{ me { secret } }' }, { 'x-test-user': 'u' });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit')).toBeNull();
    expect(res.headers.get('ratelimit-policy')).toBeNull();
  });
});

describe('a rule on an interface field', () => {
  const schema = buildSchema(`
    interface Account { email: String }
    type User implements Account { email: String }
    type Robot implements Account { email: String }
    type Query { user: User robot: Robot accounts: [Account!]! }
  `);
  const limiter = createRateLimiter({
    store: new MemoryRateLimitStore({ max: 1000 }),
    now: () => T0,
    rules: [{ match: { field: 'Account.email' }, limit: 12, window: '1m', by: 'global' }],
  });
  const remaining = async (source: string) => {
    const decision = await limiter.check({ schema, document: parse(source), context: {} });
    return decision.entries.map((e) => [e.policy.id, e.cost, e.result.remaining]);
  };

  it('counts the field on every implementation and on the interface, in one bucket', async () => {
    expect(await remaining('{ user { email } }')).toEqual([['Account.email', 1, 11]]);
    expect(await remaining('{ robot { email } }')).toEqual([['Account.email', 1, 10]]);
    expect(await remaining('{ accounts { email } }')).toEqual([['Account.email', 10, 0]]);
    await expect(remaining('{ user { email } }')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('object arguments as identities', () => {
  const schema = buildSchema(`
    input Credentials { email: String! password: String! }
    type Query { ok: Boolean }
    type Mutation { login(input: Credentials!): Boolean }
  `);
  const limiter = createRateLimiter({
    store: new MemoryRateLimitStore({ max: 1000 }),
    rules: [{ match: { field: 'Mutation.login' }, limit: 2, window: '1m', by: 'arg:input' }],
    now: () => T0,
  });
  const LOGIN = 'mutation($c: Credentials!) { login(input: $c) }';
  const check = (variables: Record<string, unknown>) =>
    limiter.check({
      schema,
      document: parse(LOGIN),
      variables,
      context: { clientIp: '192.0.2.9' },
    });

  it('share one key whatever the order of their fields and the case of their strings', async () => {
    await check({ c: { email: 'Eve@Example.com', password: 'p' } });
    // The same credentials, fields reordered and the email's case changed: no fresh bucket.
    await check({ c: { password: 'p', email: ' eve@example.COM' } });
    const refused = await check({ c: { email: 'eve@example.com', password: 'p' } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isSecurityError(refused) && refused.code).toBe('RATE_LIMITED');
  });

  it('nested past JSON.stringify’s reach are keyed, not a 503', async () => {
    // 6,000 levels: JSON.stringify throws a RangeError, and the limiter used to fail closed.
    const deep = JSON.parse('['.repeat(6000) + ']'.repeat(6000)) as unknown;
    const decision = await check({ c: deep });
    expect(decision.allowed).toBe(true);
    expect(decision.entries).toHaveLength(1);
    // Every value that deep shares one key: the second and third such requests spend it.
    const other = JSON.parse('['.repeat(7000) + ']'.repeat(7000)) as unknown;
    await check({ c: other });
    const refused = await check({ c: deep }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isSecurityError(refused) && refused.code).toBe('RATE_LIMITED');
  });
});
