import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RIGHT_PASSWORD, startLimitedServer, T0 } from '../packages/rate-limit/test/fixtures.js';
import type { LimitedServer } from '../packages/rate-limit/test/fixtures.js';

const LOGIN =
  'mutation($email: String!, $password: String!) { login(email: $email, password: $password) }';

// Mutation.login: @rateLimit(limit: 10, window: "1m", by: ["ip", "arg:email"],
//                            jail: { after: 5, within: "15m", for: "15m" })
describe('login brute force: max retry and jail', () => {
  let s: LimitedServer;
  beforeAll(async () => {
    s = await startLimitedServer();
  });
  afterAll(() => s.stop());

  const attempt = (email: string, password: string, ip: string) =>
    s.post({ query: LOGIN, variables: { email, password } }, { 'x-test-ip': ip });

  it('jails the account and the IP after five wrong passwords, under the rate limit', async () => {
    for (let i = 0; i < 5; i++) {
      s.clock.now = T0 + i * 1000;
      const res = await attempt('alice@example.com', `guess-${i}`, '192.0.2.10');
      expect(res.status).toBe(200);
      expect(res.body.errors?.[0]?.message).toBe('Invalid email or password.');
    }
    expect(s.calls.login).toBe(5);
    const jailed = s.events.filter((e) => e.code === 'RATE_LIMIT_JAILED');
    expect(jailed.map((e) => e.detail?.['identity']).sort()).toEqual(['arg:email', 'ip']);
    expect(jailed[0]).toMatchObject({
      source: 'rate-limit',
      outcome: 'flagged',
      detail: { policy: 'Mutation.login', jailedUntil: T0 + 4000 + 900_000 },
    });
    // No password or email in clear in any event.
    expect(JSON.stringify(s.events)).not.toMatch(/alice@example\.com|guess-/);
  });

  it('refuses the right password while jailed, without running the resolver', async () => {
    s.clock.now = T0 + 5000;
    const res = await attempt('alice@example.com', RIGHT_PASSWORD, '192.0.2.10');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('899');
    expect(res.body).toEqual({
      errors: [
        {
          message: 'Too many failed attempts on "Mutation.login"; retry after 899 seconds.',
          extensions: {
            code: 'RATE_LIMITED',
            retryAfter: 899,
            limit: 10,
            remaining: 0,
            resetAt: new Date(T0 + 904_000).toISOString(),
          },
        },
      ],
    });
    expect(s.calls.login).toBe(5);
  });

  it('jails the account from any IP, and the IP for any account', async () => {
    const otherIp = await attempt('alice@example.com', RIGHT_PASSWORD, '192.0.2.99');
    expect(otherIp.status).toBe(429);
    const otherAccount = await attempt('bob@example.com', RIGHT_PASSWORD, '192.0.2.10');
    expect(otherAccount.status).toBe(429);
    const unrelated = await attempt('bob@example.com', RIGHT_PASSWORD, '192.0.2.99');
    expect(unrelated.status).toBe(200);
    expect(unrelated.body.data).toEqual({ login: 'token' });
    expect(s.calls.login).toBe(6);
  });

  it('ends the jail on time', async () => {
    s.clock.now = T0 + 904_000 - 1;
    expect((await attempt('alice@example.com', RIGHT_PASSWORD, '192.0.2.10')).status).toBe(429);
    s.clock.now = T0 + 904_000;
    const res = await attempt('alice@example.com', RIGHT_PASSWORD, '192.0.2.10');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ login: 'token' });
  });
});

describe('jail after repeated rejections by the limiter', () => {
  let s: LimitedServer;
  beforeAll(async () => {
    s = await startLimitedServer({
      directive: false,
      rules: [
        {
          match: { field: 'Mutation.reset' },
          limit: 2,
          window: '1m',
          by: 'ip',
          jail: { after: 3, within: '10m', for: '1h' },
        },
      ],
    });
  });
  afterAll(() => s.stop());

  const reset = () => s.post({ query: 'mutation { reset(email: "x@example.com") }' });

  it('jails an identity that keeps hammering past the limit, beyond the window', async () => {
    expect((await reset()).status).toBe(200);
    expect((await reset()).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const res = await reset();
      expect(res.status).toBe(429);
    }
    s.clock.now = T0 + 5 * 60_000;
    const later = await reset();
    expect(later.status).toBe(429);
    expect(later.headers.get('retry-after')).toBe(String(3600 - 300));
    expect(later.body.errors?.[0]?.message).toBe(
      'Too many failed attempts on "Mutation.reset"; retry after 3300 seconds.',
    );
    s.clock.now = T0 + 3_600_000;
    expect((await reset()).status).toBe(200);
    expect(s.calls.reset).toBe(3);
  });
});
