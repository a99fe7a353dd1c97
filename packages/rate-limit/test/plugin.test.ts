import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumeRequest, ConsumeResult, RateLimitStore } from '@bulwark/core';
import { startLimitedServer, T0 } from './fixtures.js';
import type { LimitedServer } from './fixtures.js';

const alice = { 'x-test-user': 'alice' };

describe('rateLimitPlugin: responses', () => {
  let s: LimitedServer;
  beforeAll(async () => {
    s = await startLimitedServer();
  });
  afterAll(() => s.stop());

  it('admits under the limit with the IETF headers, and nothing on unlimited operations', async () => {
    const res = await s.post({ query: '{ me { secret } }' }, alice);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { me: { secret: 's-me' } } });
    expect(res.headers.get('ratelimit-policy')).toBe('"User.secret/principal";q=3;w=60');
    expect(res.headers.get('ratelimit')).toBe('"User.secret/principal";r=2;t=120');
    expect(res.headers.get('retry-after')).toBeNull();

    const plain = await s.post({ query: '{ ping }' }, alice);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('ratelimit')).toBeNull();
    expect(plain.headers.get('ratelimit-policy')).toBeNull();
  });

  it('refuses over the limit with 429, RATE_LIMITED, Retry-After and no resolver run', async () => {
    await s.post({ query: '{ me { secret } }' }, alice);
    await s.post({ query: '{ me { secret } }' }, alice);
    const before = { ...s.calls };
    s.clock.now = T0 + 10_000;
    const res = await s.post({ query: '{ me { secret } ping }' }, alice);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('70');
    expect(res.headers.get('ratelimit-policy')).toBe('"User.secret/principal";q=3;w=60');
    expect(res.headers.get('ratelimit')).toBe('"User.secret/principal";r=0;t=110');
    expect(res.body).toEqual({
      errors: [
        {
          message:
            'Rate limit exceeded on "User.secret": 3 per 60 seconds; retry after 70 seconds.',
          extensions: {
            code: 'RATE_LIMITED',
            retryAfter: 70,
            limit: 3,
            remaining: 0,
            resetAt: new Date(T0 + 120_000).toISOString(),
          },
        },
      ],
    });
    expect(s.calls).toEqual(before);
    const event = s.events.find((e) => e.code === 'RATE_LIMITED');
    expect(event).toMatchObject({
      source: 'rate-limit',
      outcome: 'rejected',
      subject: 'alice',
      reason: 'Rate limit "User.secret" refused identity "principal".',
      detail: {
        refused: [
          {
            policy: 'User.secret',
            identity: 'principal',
            key: 'User.secret|principal=s:alice',
            cost: 1,
            limit: 3,
            remaining: 0,
            retryAfterMs: 70_000,
          },
        ],
      },
    });
  });

  it('frees the identity when the window has slid far enough', async () => {
    s.clock.now = T0 + 79_999;
    expect((await s.post({ query: '{ me { secret } }' }, alice)).status).toBe(429);
    s.clock.now = T0 + 80_000;
    const res = await s.post({ query: '{ me { secret } }' }, alice);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ me: { secret: 's-me' } });
  });
});

describe('rateLimitPlugin: options', () => {
  let s: LimitedServer;
  afterEach(() => s.stop());

  it('sends no RateLimit headers with headers: false, but a 429 keeps Retry-After', async () => {
    s = await startLimitedServer({
      plugin: { headers: false },
      rules: [{ match: { field: 'Query.ping' }, limit: 1, window: '10s', by: 'ip' }],
    });
    const ok = await s.post({ query: '{ ping }' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit')).toBeNull();
    const refused = await s.post({ query: '{ ping }' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('20');
  });

  it('charges the cost budget and reports throttleStatus, as Shopify does', async () => {
    s = await startLimitedServer({ budget: { limit: 100, window: '1m', by: 'principal' } });
    const first = await s.post({ query: '{ report }' }, alice);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      data: { report: 'report' },
      extensions: {
        cost: {
          requestedQueryCost: 40,
          throttleStatus: { maximumAvailable: 100, currentlyAvailable: 60, restoreRate: 100 / 60 },
        },
      },
    });
    expect(first.headers.get('ratelimit-policy')).toBe('"$budget/principal";q=100;w=60');
    expect(first.headers.get('ratelimit')).toBe('"$budget/principal";r=60;t=24');
    const second = await s.post({ query: '{ report }' }, alice);
    expect(second.body.extensions).toMatchObject({
      cost: { throttleStatus: { currentlyAvailable: 20 } },
    });
    const third = await s.post({ query: '{ report }' }, alice);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('12');
    expect(third.body.errors?.[0]?.message).toBe(
      'The cost budget is exhausted: the operation costs 40 points and 20 of 100 are available; retry after 12 seconds.',
    );
    expect(third.body.extensions).toEqual({
      cost: {
        requestedQueryCost: 40,
        throttleStatus: { maximumAvailable: 100, currentlyAvailable: 20, restoreRate: 100 / 60 },
      },
    });
    // A cheap operation still fits, and the budget refills at the restore rate.
    expect((await s.post({ query: '{ ping }' }, alice)).status).toBe(200);
    s.clock.now = T0 + 12_000;
    expect((await s.post({ query: '{ report }' }, alice)).status).toBe(200);
  });

  it('limits operation types and names with code rules, one unit per operation', async () => {
    s = await startLimitedServer({
      rules: [
        { match: { operationType: 'mutation' }, limit: 2, window: '1m', by: 'principal' },
        { match: { operationName: 'Pinger' }, limit: 1, window: '1m', by: 'principal' },
      ],
    });
    const reset = 'mutation { a: reset(email: "x") b: reset(email: "y") }';
    expect((await s.post({ query: reset }, alice)).status).toBe(200);
    expect((await s.post({ query: reset }, alice)).status).toBe(200);
    const third = await s.post({ query: reset }, alice);
    expect(third.status).toBe(429);
    expect(third.body.errors?.[0]?.message).toBe(
      'Rate limit exceeded on "type:mutation": 2 per 60 seconds; retry after 90 seconds.',
    );
    expect(s.calls.reset).toBe(4);
    expect((await s.post({ query: 'query Pinger { ping }' }, alice)).status).toBe(200);
    expect((await s.post({ query: 'query Pinger { ping }' }, alice)).status).toBe(429);
    // A name rule binds only clients that keep the name (documented): limit fields for the rest.
    expect((await s.post({ query: 'query Other { ping }' }, alice)).status).toBe(200);
  });

  it('limits per custom identity, falling back to the IP when it has none', async () => {
    s = await startLimitedServer({
      rules: [
        {
          match: { field: 'Query.ping' },
          limit: 1,
          window: '1m',
          by: {
            name: 'tenant',
            resolve: ({ principal }) => (principal ? principal.subject.split('@')[1] : null),
          },
        },
      ],
    });
    expect((await s.post({ query: '{ ping }' }, { 'x-test-user': 'a@acme' })).status).toBe(200);
    expect((await s.post({ query: '{ ping }' }, { 'x-test-user': 'b@acme' })).status).toBe(429);
    expect((await s.post({ query: '{ ping }' }, { 'x-test-user': 'c@other' })).status).toBe(200);
    expect((await s.post({ query: '{ ping }' })).status).toBe(200);
    expect((await s.post({ query: '{ ping }' })).status).toBe(429);
  });

  it('never answers 500 to odd variables; a huge list size is refused, not admitted', async () => {
    s = await startLimitedServer();
    const query = 'query($n: Int) { users(first: $n) { email } }';
    // Counted before graphql-js coerces variables: a bad one then fails coercion (400).
    const cases: [unknown, number][] = [
      ['abc', 400],
      [-5, 200],
      [1e308, 429],
      [null, 200],
      [{ a: 1 }, 400],
      [[1, 2], 400],
      [true, 400],
    ];
    for (const [n, status] of cases) {
      const res = await s.post({ query, variables: { n } }, { 'x-test-user': `odd-${String(n)}` });
      expect([n, res.status]).toEqual([n, status]);
    }
    const login = 'mutation($e: String!) { login(email: $e, password: "x") }';
    const logins: [unknown, number][] = [
      [{ nested: { deep: [1, 2, 3] } }, 400],
      ['x'.repeat(100_000), 200],
      [42, 400],
      [null, 400],
    ];
    for (const [e, status] of logins) {
      const res = await s.post({ query: login, variables: { e } });
      expect(res.status).toBe(status);
    }
  });

  it('refuses an operation nested too deeply to count (400, no resolver)', async () => {
    s = await startLimitedServer();
    const depth = 520;
    const query = `{ ${'... on Query { '.repeat(depth)} me { secret } ${'} '.repeat(depth)} }`;
    const res = await s.post({ query }, alice);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]).toMatchObject({
      message: 'The operation is nested too deeply to be rate limited.',
      extensions: { code: 'DEPTH_LIMIT_EXCEEDED' },
    });
    expect(s.calls.secret).toBe(0);
  });
});

describe('rateLimitPlugin: store failures', () => {
  class BrokenStore implements RateLimitStore {
    consume(_r: readonly ConsumeRequest[], _now: number): Promise<readonly ConsumeResult[]> {
      return Promise.reject(new Error('disk on fire'));
    }
  }
  let s: LimitedServer;
  afterEach(() => s.stop());

  it('fails closed with 503 SERVICE_UNAVAILABLE and an event when a store throws', async () => {
    s = await startLimitedServer({ store: new BrokenStore() });
    const res = await s.post({ query: '{ me { secret } }' }, alice);
    expect(res.status).toBe(503);
    expect(res.body.errors?.[0]).toMatchObject({
      message: 'The service is temporarily unavailable.',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(JSON.stringify(res.body)).not.toContain('disk on fire');
    expect(s.calls.secret).toBe(0);
    expect(s.events).toContainEqual(
      expect.objectContaining({
        source: 'rate-limit',
        outcome: 'rejected',
        code: 'SERVICE_UNAVAILABLE',
        detail: { error: 'disk on fire' },
      }),
    );
  });

  it('fails closed with 503, not 500, when an identity callback throws', async () => {
    s = await startLimitedServer({
      directive: false,
      rules: [
        {
          match: { field: 'Query.ping' },
          limit: 5,
          window: '1m',
          by: {
            name: 'tenant',
            resolve: () => {
              throw new Error('tenant lookup failed');
            },
          },
        },
      ],
    });
    const res = await s.post({ query: '{ ping }' });
    expect(res.status).toBe(503);
    expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect(s.calls.ping).toBe(0);
    expect(s.events.at(-1)).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      detail: { error: 'tenant lookup failed' },
    });
  });
});

describe('rateLimitPlugin: startup', () => {
  it('stops the server at startup on a rule for a field the schema lacks', async () => {
    await expect(
      startLimitedServer({
        rules: [{ match: { field: 'User.emial' }, limit: 1, window: '1m', by: 'ip' }],
      }),
    ).rejects.toThrow(
      'rules[0]: "User.emial" is not a field of the schema (rules are checked against it so that a typo never leaves a field unlimited).',
    );
  });
});
