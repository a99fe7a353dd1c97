import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ACCOUNTS, LOGIN, passwordOf, startTarget } from '../examples/server/test/harness.js';
import type { Target } from '../examples/server/test/harness.js';
import { describeRedis } from './support/redis.js';

// The example server with REDIS_URL set, as two instances behind a load balancer: the login
// jail and the rate limits hold across instances, and a logout is written to Redis.

describeRedis('example server on Redis (two instances)', (url) => {
  const prefix = `e2e-${randomUUID()}:`;
  let a: Target;
  let b: Target;
  let redis: Redis;

  beforeAll(async () => {
    const config = { redisUrl: url, redisPrefix: prefix, trustProxy: ['127.0.0.1'] };
    a = await startTarget(config);
    b = await startTarget(config);
    // Redis expires revocations at absolute times (the token's exp): run on the real clock.
    a.clock.now = Date.now();
    b.clock.now = a.clock.now;
    redis = new Redis(url);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    if (redis) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('jails an account on both instances after failures spread over them', async () => {
    for (let i = 0; i < 5; i++) {
      const target = i % 2 === 0 ? a : b;
      const res = await target.gql(LOGIN, {
        variables: { email: ACCOUNTS.grace.email, password: `guess-${i}` },
        headers: { 'x-forwarded-for': '198.51.100.7' },
      });
      expect(res.status).toBe(401);
    }
    for (const target of [a, b]) {
      // From another address: the account itself is jailed.
      const res = await target.gql(LOGIN, {
        variables: { email: ACCOUNTS.grace.email, password: passwordOf('grace') },
        headers: { 'x-forwarded-for': '198.51.100.8' },
      });
      expect(res.status).toBe(429);
      expect(res.body.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
    }
    // The keys hold hashes of the email, never the email itself.
    const keys = await redis.keys(`${prefix}rl:*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toContain('grace@example.com');
  });

  it('writes a logout to the shared revocation list, which refuses the token', async () => {
    const session = await a.login('alan');
    const jti = JSON.parse(Buffer.from(session.accessToken.split('.')[1]!, 'base64url').toString())
      .jti as string;
    expect((await a.gql('mutation { logout }', { token: session.accessToken })).status).toBe(200);
    expect(await redis.exists(`${prefix}revoked:${jti}`)).toBe(1);
    const res = await a.gql('{ me { id } }', { token: session.accessToken });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_REVOKED',
    });
  });
});
