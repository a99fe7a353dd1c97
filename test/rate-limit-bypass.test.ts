import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RIGHT_PASSWORD,
  aliases,
  startLimitedServer,
} from '../packages/rate-limit/test/fixtures.js';
import type { LimitedServer } from '../packages/rate-limit/test/fixtures.js';
import type { GraphQLBody } from './support/http.js';

// The bypasses peers fall to (graphql-rate-limit, envelop's rate limiter, express-rate-limit):
// aliases, batches, fragments, same field name on two types, renamed operations, forged
// forwarded headers, rotating IPv6 addresses, case variants of one account.
describe('rate limits resist known bypasses', () => {
  let s: LimitedServer;
  beforeAll(async () => {
    s = await startLimitedServer({
      directive: false,
      rules: [
        { id: 'login', match: { field: 'Mutation.login' }, limit: 150, window: '1m', by: 'ip' },
        {
          id: 'login-account',
          match: { field: 'Mutation.login' },
          limit: 10,
          window: '1m',
          by: 'arg:email',
        },
        {
          match: { field: 'Mutation.loginWith' },
          limit: 2,
          window: '1m',
          by: 'arg:input.email',
        },
        { match: { field: 'User.secret' }, limit: 5, window: '1m', by: 'principal' },
        { match: { field: 'Group.secret' }, limit: 5, window: '1m', by: 'principal' },
        { match: { field: 'User.email' }, limit: 25, window: '1m', by: 'principal' },
        { match: { field: 'Query.ping' }, limit: 2, window: '1m', by: 'ip' },
      ],
    });
  });
  afterAll(() => s.stop());

  const login = (email: string, password = 'wrong') =>
    `login(email: ${JSON.stringify(email)}, password: ${JSON.stringify(password)})`;
  const remaining = (res: { headers: Headers }, policy: string): number | undefined => {
    const m = new RegExp(`"${policy.replace(/[$.]/g, '\\$&')}";r=(\\d+)`).exec(
      res.headers.get('ratelimit') ?? '',
    );
    return m ? Number(m[1]) : undefined;
  };

  it('counts 100 aliased login calls in one request as 100', async () => {
    const ip = { 'x-test-ip': '198.51.100.1' };
    const emails = (n: number, from: number) =>
      aliases(n, (i) => login(`user${from + i}@example.com`, RIGHT_PASSWORD));
    const first = await s.post({ query: `mutation { ${emails(100, 0)} }` }, ip);
    expect(first.status).toBe(200);
    expect(remaining(first, 'login/ip')).toBe(50);
    expect(s.calls.login).toBe(100);
    const over = await s.post({ query: `mutation { ${emails(51, 100)} }` }, ip);
    expect(over.status).toBe(429);
    expect(over.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 150 });
    expect(s.calls.login).toBe(100);
    const fits = await s.post({ query: `mutation { ${emails(50, 200)} }` }, ip);
    expect(fits.status).toBe(200);
    expect(remaining(fits, 'login/ip')).toBe(0);
    expect(s.calls.login).toBe(150);
  });

  it('counts aliased attempts on one account against that account', async () => {
    const before = s.calls.login;
    const res = await s.post(
      { query: `mutation { ${aliases(11, () => login('victim@example.com'))} }` },
      { 'x-test-ip': '198.51.100.2' },
    );
    expect(res.status).toBe(429);
    expect(res.body.errors?.[0]?.message).toBe(
      'Rate limit exceeded on "login-account": 10 per 60 seconds; retry after 60 seconds.',
    );
    expect(s.calls.login).toBe(before);
  });

  it('keys an account by its normalized value: case and spaces do not make a new account', async () => {
    const ip = { 'x-test-ip': '198.51.100.3' };
    const variants = ['Carol@Example.com', ' carol@example.com', 'CAROL@EXAMPLE.COM '];
    const query = `mutation { ${variants.map((v, i) => `v${i}: ${login(v)}`).join(' ')} ${aliases(7, () => login('carol@example.com'))} }`;
    const first = await s.post({ query }, ip);
    expect(first.status).toBe(200);
    expect(remaining(first, 'login-account/arg:email')).toBe(0);
    const again = await s.post(
      {
        query: 'mutation($e: String!) { login(email: $e, password: "x") }',
        variables: { e: 'cArOl@example.COM' },
      },
      ip,
    );
    expect(again.status).toBe(429);
  });

  it('does not let skipped decoys dilute an account count', async () => {
    const ip = { 'x-test-ip': '198.51.100.4' };
    const real = aliases(10, () => login('dave@example.com'));
    const decoys = Array.from(
      { length: 300 },
      (_, i) => `d${i}: ${login(`decoy${i}@example.com`)} @skip(if: $yes)`,
    ).join(' ');
    const res = await s.post(
      { query: `mutation($yes: Boolean!) { ${real} ${decoys} }`, variables: { yes: true } },
      ip,
    );
    expect(res.status).toBe(200);
    expect(remaining(res, 'login-account/arg:email')).toBe(0);
    const next = await s.post({ query: `mutation { ${login('dave@example.com')} }` }, ip);
    expect(next.status).toBe(429);
  });

  it('reads nested argument paths (arg:input.email), literals and variables alike', async () => {
    const literal = 'mutation { loginWith(input: { email: "erin@example.com", password: "x" }) }';
    expect((await s.post({ query: literal })).status).toBe(200);
    const viaVariable = await s.post({
      query: 'mutation($i: LoginInput!) { loginWith(input: $i) }',
      variables: { i: { email: 'ERIN@example.com', password: 'y' } },
    });
    expect(viaVariable.status).toBe(200);
    expect((await s.post({ query: literal })).status).toBe(429);
  });

  it('counts an HTTP batch of N as N', async () => {
    const ip = { 'x-test-ip': '198.51.100.5' };
    const before = s.calls.ping;
    const batch = Array.from({ length: 5 }, () => ({ query: '{ ping }' }));
    const res = await s.post<GraphQLBody[]>(batch, ip);
    expect(res.status).toBe(429);
    expect(res.body).toHaveLength(5);
    const admitted = res.body.filter((b) => b.data?.['ping'] === 'pong');
    const refused = res.body.filter((b) => b.errors?.[0]?.extensions?.['code'] === 'RATE_LIMITED');
    expect(admitted).toHaveLength(2);
    expect(refused).toHaveLength(3);
    expect(s.calls.ping - before).toBe(2);
    expect(res.headers.get('ratelimit')).toBe('"Query.ping/ip";r=0;t=120');
    expect(res.headers.get('retry-after')).toBe('90');
  });

  it('counts one fragment spread five times as five, nested fragments multiplied', async () => {
    const user = { 'x-test-user': 'frank' };
    const five = 'query { me { ...S ...S ...S ...S ...S } } fragment S on User { secret }';
    const res = await s.post({ query: five }, user);
    expect(res.status).toBe(200);
    expect(remaining(res, 'User.secret/principal')).toBe(0);
    expect((await s.post({ query: '{ me { secret } }' }, user)).status).toBe(429);

    const nested =
      'query { me { ...A ...A } } fragment A on User { ...B ...B ...B } fragment B on User { s: secret }';
    const grace = { 'x-test-user': 'grace' };
    const six = await s.post({ query: nested }, grace);
    expect(six.status).toBe(429);
    expect(six.body.errors?.[0]?.message).toBe(
      'Rate limit exceeded on "User.secret": 5 per 60 seconds; retry after 60 seconds.',
    );
  });

  it('keys by type and field: User.secret and Group.secret have separate buckets', async () => {
    const user = { 'x-test-user': 'heidi' };
    for (let i = 0; i < 5; i++) {
      expect((await s.post({ query: '{ me { secret } }' }, user)).status).toBe(200);
    }
    expect((await s.post({ query: '{ me { secret } }' }, user)).status).toBe(429);
    const group = await s.post({ query: '{ group { secret } }' }, user);
    expect(group.status).toBe(200);
    expect(remaining(group, 'Group.secret/principal')).toBe(4);
  });

  it('does not reset when the operation name rotates', async () => {
    const user = { 'x-test-user': 'ivan' };
    for (let i = 0; i < 5; i++) {
      const res = await s.post({ query: `query Name${i} { me { secret } }` }, user);
      expect(res.status).toBe(200);
    }
    const renamed = await s.post({ query: 'query Fresh { me { secret } }' }, user);
    expect(renamed.status).toBe(429);
    const anonymous = await s.post({ query: '{ me { secret } }' }, user);
    expect(anonymous.status).toBe(429);
  });

  it("leaves a second identity unaffected by the first one's burst", async () => {
    const judy = { 'x-test-user': 'judy' };
    const burst = await s.post({ query: `{ me { ${aliases(6, () => 'secret')} } }` }, judy);
    expect(burst.status).toBe(429);
    const mallory = await s.post({ query: '{ me { secret } }' }, { 'x-test-user': 'mallory' });
    expect(mallory.status).toBe(200);
    expect(remaining(mallory, 'User.secret/principal')).toBe(4);
  });

  it('counts selections through an interface and multiplies by list sizes', async () => {
    const user = { 'x-test-user': 'kim' };
    // accounts is @listSize(assumedSize: 2); Account.email may resolve User.email.
    const viaInterface = await s.post({ query: '{ accounts { email } }' }, user);
    expect(viaInterface.status).toBe(200);
    expect(remaining(viaInterface, 'User.email/principal')).toBe(23);
    const viaFragment = await s.post({ query: '{ accounts { ... on User { email } } }' }, user);
    expect(remaining(viaFragment, 'User.email/principal')).toBe(21);
    // users(first: $n) resolves User.email n times.
    const listed = await s.post(
      { query: 'query($n: Int!) { users(first: $n) { email } }', variables: { n: 20 } },
      user,
    );
    expect(listed.status).toBe(200);
    expect(remaining(listed, 'User.email/principal')).toBe(1);
    const tooMany = await s.post({ query: '{ users { email } }' }, user);
    expect(tooMany.status).toBe(429);
  });

  it('ignores X-Forwarded-For without a trusted proxy', async () => {
    const forged = (i: number) => ({ 'x-forwarded-for': `203.0.113.${i}` });
    expect((await s.post({ query: '{ ping }' }, forged(1))).status).toBe(200);
    expect((await s.post({ query: '{ ping }' }, forged(2))).status).toBe(200);
    const third = await s.post({ query: '{ ping }' }, forged(3));
    expect(third.status).toBe(429);
  });

  it('counts IPv6 addresses of one /56 as one client', async () => {
    const from = (ip: string) => s.post({ query: '{ ping }' }, { 'x-test-ip': ip });
    expect((await from('2001:db8:0:1::1')).status).toBe(200);
    expect((await from('2001:db8:0:2::abcd')).status).toBe(200);
    expect((await from('2001:db8:0:ff:1:2:3:4')).status).toBe(429);
    expect((await from('2001:db8:0:100::1')).status).toBe(200);
  });
});
