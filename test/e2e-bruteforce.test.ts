import { afterEach, describe, expect, it } from 'vitest';
import {
  ACCOUNTS,
  LOGIN,
  T0,
  codes,
  passwordOf,
  startTarget,
} from '../examples/server/test/harness.js';
import type { Reply, Target, Who } from '../examples/server/test/harness.js';

// Login brute force, credential stuffing, password spraying and request floods (OWASP API2,
// API4, API6) against the example server's rate limits and jails:
//   Mutation.login  @rateLimit(limit: 10, window: "1m", by: ["ip", "arg:email"],
//                              jail: { after: 5, within: "15m", for: "15m" })
//   every mutation  60 a minute per user (or IP); every operation 600 a minute.
// Time is the target's injected clock: no test sleeps.

let t: Target | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** A login attempt from `ip` (honoured only by a target that trusts the loopback proxy). */
function attempt(target: Target, who: Who | string, password: string, ip?: string): Promise<Reply> {
  const email = who in ACCOUNTS ? ACCOUNTS[who as Who].email : who;
  return target.gql(LOGIN, {
    variables: { email, password },
    ...(ip ? { headers: { 'x-forwarded-for': ip } } : {}),
  });
}

function expectWrongPassword(res: Reply): void {
  expect(res.status).toBe(401);
  expect(res.body.errors?.[0]?.message).toBe('Invalid email or password.');
  expect(codes(res)).toEqual(['UNAUTHENTICATED']);
}

function expectJailed(res: Reply, retryAfter: number): void {
  expect(res.status).toBe(429);
  expect(res.body.data).toBeUndefined();
  expect(res.headers.get('retry-after')).toBe(String(retryAfter));
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors?.[0]).toMatchObject({
    message: `Too many failed attempts on "Mutation.login"; retry after ${retryAfter} ${retryAfter === 1 ? 'second' : 'seconds'}.`,
    extensions: { code: 'RATE_LIMITED', retryAfter },
  });
}

describe('max retry and jail', () => {
  it('jails the account after five wrong passwords: the right one is refused for 15 minutes', async () => {
    t = await startTarget();
    for (let i = 0; i < 5; i++) {
      t.clock.now = T0 + i * 1000;
      expectWrongPassword(await attempt(t, 'grace', `guess-${i}`));
    }
    t.clock.now = T0 + 5000;
    expectJailed(await attempt(t, 'grace', passwordOf('grace')), 899);
    const jailed = t.events.filter((e) => e.code === 'RATE_LIMIT_JAILED');
    expect(jailed.map((e) => e.detail?.['identity']).sort()).toEqual(['arg:email', 'ip']);
    // Still jailed a second before the end, free at the end.
    t.clock.now = T0 + 4000 + 900_000 - 1000;
    expectJailed(await attempt(t, 'grace', passwordOf('grace')), 1);
    t.clock.now = T0 + 4000 + 900_000;
    const res = await attempt(t, 'grace', passwordOf('grace'));
    expect(res.status).toBe(200);
    expect(res.body.data?.['login']).toMatchObject({ expiresIn: 900 });
  });

  it('does not check the password of a jailed account at all', async () => {
    t = await startTarget();
    for (let i = 0; i < 5; i++) await attempt(t, 'alan', `guess-${i}`);
    const failures = () => t!.events.filter((e) => e.code === 'LOGIN_FAILED').length;
    const before = failures();
    for (let i = 0; i < 20; i++) expect((await attempt(t, 'alan', `more-${i}`)).status).toBe(429);
    expect(failures()).toBe(before);
  });

  it('ignores X-Forwarded-For from an untrusted client: rotating it does not escape the jail', async () => {
    t = await startTarget();
    for (let i = 0; i < 5; i++) await attempt(t, 'grace', `guess-${i}`, `198.51.100.${i}`);
    const res = await attempt(t, 'barbara', passwordOf('barbara'), '203.0.113.77');
    expect(res.status).toBe(429);
    expect(codes(res)).toEqual(['RATE_LIMITED']);
  });
});

describe('behind a trusted proxy (TRUST_PROXY=127.0.0.1)', () => {
  it('jails an account attacked from many addresses (password spraying on one account)', async () => {
    t = await startTarget({ trustProxy: ['127.0.0.1'] });
    for (let i = 0; i < 5; i++) {
      expectWrongPassword(await attempt(t, 'grace', `guess-${i}`, `198.51.100.${i + 1}`));
    }
    expectJailed(await attempt(t, 'grace', passwordOf('grace'), '198.51.100.200'), 900);
    // Other accounts from fresh addresses are not affected.
    expect((await attempt(t, 'alan', passwordOf('alan'), '198.51.100.201')).status).toBe(200);
  });

  it('jails an address that tries many accounts (credential stuffing)', async () => {
    t = await startTarget({ trustProxy: ['127.0.0.1'] });
    const accounts: Who[] = ['grace', 'alan', 'barbara', 'ada', 'sam'];
    for (const who of accounts)
      expectWrongPassword(await attempt(t, who, 'Winter2025!', '203.0.113.9'));
    expectJailed(await attempt(t, 'grace', passwordOf('grace'), '203.0.113.9'), 900);
    // The accounts themselves got one strike each: their owners still log in from elsewhere.
    expect((await attempt(t, 'grace', passwordOf('grace'), '192.0.2.1')).status).toBe(200);
  });

  it('counts each aliased login of one request: eleven in one document exceed ten a minute', async () => {
    t = await startTarget({ trustProxy: ['127.0.0.1'] });
    const aliases = Array.from(
      { length: 11 },
      (_, i) => `a${i}: login(email: "grace@example.com", password: "guess-${i}") { accessToken }`,
    ).join(' ');
    const res = await t.post(
      { query: `mutation { ${aliases} }` },
      { 'x-forwarded-for': '203.0.113.50' },
    );
    expect(res.status).toBe(429);
    expect(codes(res)).toEqual(['RATE_LIMITED']);
    expect(res.body.errors?.[0]?.message).toMatch(
      /^Rate limit exceeded on "Mutation\.login": 10 per 60 seconds; retry after \d+ seconds\.$/,
    );
    // No resolver ran: no password was checked.
    expect(t.events.filter((e) => e.code === 'LOGIN_FAILED')).toEqual([]);
  });
});

describe('request floods', () => {
  it('sends the IETF RateLimit headers on limited operations', async () => {
    t = await startTarget();
    const res = await attempt(t, 'grace', 'nope');
    expect(res.headers.get('ratelimit-policy')).toContain('"Mutation.login/ip";q=10;w=60');
    expect(res.headers.get('ratelimit-policy')).toContain('"Mutation.login/arg:email";q=10;w=60');
    expect(res.headers.get('ratelimit')).toContain('"Mutation.login/ip";r=9;');
  });

  it('refuses the 61st mutation of a minute per user, then lets them go on the next window', async () => {
    t = await startTarget();
    const { accessToken } = await t.login('grace');
    t.clock.now = T0 + 120_000; // a fresh aligned window
    const addToCart = 'mutation { updateUser(id: "u2", input: { displayName: "Grace" }) { id } }';
    for (let i = 0; i < 60; i++) {
      expect((await t.gql(addToCart, { token: accessToken })).status).toBe(200);
    }
    const res = await t.gql(addToCart, { token: accessToken });
    expect(res.status).toBe(429);
    expect(res.body.errors?.[0]?.message).toMatch(
      /^Rate limit exceeded on "mutations": 60 per 60 seconds; retry after \d+ seconds\.$/,
    );
    // Another user is not affected.
    const other = await t.login('alan');
    const alan = await t.gql(
      'mutation { updateUser(id: "u3", input: { displayName: "Alan" }) { id } }',
      {
        token: other.accessToken,
      },
    );
    expect(alan.status).toBe(200);
    // Two windows later the user's count is whole again.
    t.clock.now = T0 + 240_000;
    expect((await t.gql(addToCart, { token: accessToken })).status).toBe(200);
  });

  it('counts every entry of a batch of logins when batching is on', async () => {
    t = await startTarget({ maxBatchSize: 11, trustProxy: ['127.0.0.1'] });
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        query: LOGIN,
        variables: { email: 'alan@example.com', password: `guess-${i}` },
      }));
    // Eleven entries are eleven logins: the eleventh is over ten a minute. The entries of a
    // batch are checked before any of them runs, so the jail (five failures) cannot stop a
    // batch half-way: the limit does.
    const over = await t.post(batch(11), { 'x-forwarded-for': '203.0.113.60' });
    const overReplies = over.body as unknown as { errors?: { extensions?: { code?: string } }[] }[];
    expect(overReplies.map((r) => r.errors?.[0]?.extensions?.code)).toEqual([
      ...Array.from({ length: 10 }, () => 'UNAUTHENTICATED'),
      'RATE_LIMITED',
    ]);
    // The entries share one response head: the wrong passwords' 401 is what it carries.
    expect(over.status).toBe(401);
    expect(over.headers.get('ratelimit')).toContain('"Mutation.login/ip";r=0;');
    // Ten wrong passwords went through: the account is jailed, whatever the address.
    expectJailed(await attempt(t, 'alan', passwordOf('alan'), '203.0.113.62'), 900);
  });
});
