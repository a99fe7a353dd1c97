import { randomUUID } from 'node:crypto';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { AUTHZ_DIRECTIVES_SDL } from '@bulwark/authz';
import { principalFromContext } from '@bulwark/core';
import { bulwark } from '@bulwark/preset';
import type { Bulwark } from '@bulwark/preset';
import { rateLimitDirectiveTypeDefs } from '@bulwark/rate-limit';
import { RedisRateLimitStore, RedisRevocationList } from '@bulwark/redis';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPresetServer } from '../packages/preset/test/support.js';
import type { PresetServer } from '../packages/preset/test/support.js';
import { describeRedis } from './support/redis.js';

const ISSUER = 'https://idp.test/';
const AUDIENCE = 'https://api.test';
const SECRET = new TextEncoder().encode('redis-preset-test-secret-of-32-bytes!!');

const typeDefs = /* GraphQL */ `
  ${AUTHZ_DIRECTIVES_SDL}
  ${rateLimitDirectiveTypeDefs}
  type Query @public {
    me: String
    search: Int @rateLimit(limit: 2, window: "1m", by: ["ip"])
  }
`;

// Two API instances behind one load balancer: one config, one Redis.
describeRedis('preset: two instances share rate limits and revocations through Redis', (url) => {
  const prefix = `bulwark-test:preset:${randomUUID()}:`;
  let client: Redis;
  let stores: RedisRateLimitStore[];
  let servers: PresetServer[];
  let revocations: RedisRevocationList;

  function instance(store: RedisRateLimitStore): Bulwark {
    return bulwark({
      auth: {
        type: 'jwt',
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        keys: { type: 'secret', secret: SECRET },
        mode: 'optional',
        revocation: { list: revocations },
      },
      authz: { defaultPolicy: 'deny' },
      rateLimit: { store },
    });
  }

  beforeAll(async () => {
    client = new Redis(url);
    revocations = new RedisRevocationList({ client, prefix: `${prefix}revoked:` });
    stores = [0, 1].map(
      () =>
        new RedisRateLimitStore({ client, prefix: `${prefix}rl:`, onStoreError: 'fail-closed' }),
    );
    const schema = () =>
      makeExecutableSchema({
        typeDefs,
        resolvers: {
          Query: {
            me: (_: unknown, __: unknown, ctx: unknown) =>
              principalFromContext(ctx)?.subject ?? null,
            search: () => 1,
          },
        },
      });
    servers = await Promise.all(
      stores.map((store) => startPresetServer(instance(store), schema())),
    );
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('counts one client across both instances', async () => {
    const [a, b] = servers as [PresetServer, PresetServer];
    expect((await a.post({ query: '{ search }' })).status).toBe(200);
    expect((await b.post({ query: '{ search }' })).status).toBe(200);
    const refused = await a.post({ query: '{ search }' });
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions.code).toBe('RATE_LIMITED');
  });

  it('refuses on one instance a token revoked through the other', async () => {
    const [a, b] = servers as [PresetServer, PresetServer];
    const jti = randomUUID();
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .setJti(jti)
      .sign(SECRET);
    const headers = { authorization: `Bearer ${token}` };
    expect((await b.post({ query: '{ me }' }, headers)).body).toEqual({ data: { me: 'u1' } });
    await revocations.revoke(jti, new Date(Date.now() + 600_000));
    const res = await b.post({ query: '{ me }' }, headers);
    expect(res.status).toBe(401);
    expect(res.body.errors[0].extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_REVOKED',
    });
    expect((await a.post({ query: '{ me }' }, headers)).status).toBe(401);
  });
});
