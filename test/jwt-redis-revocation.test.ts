import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { principalFromContext } from '@bulwark/core';
import type { RevocationList } from '@bulwark/core';
import { AUTH_UNAVAILABLE_MESSAGE, UNAUTHENTICATED_MESSAGE, createJwtAuth } from '@bulwark/jwt';
import { RedisRevocationList } from '@bulwark/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer } from './support/http.js';
import type { TestServer } from './support/http.js';
import { describeRedis } from './support/redis.js';
import {
  AUDIENCE,
  ISSUER,
  claims,
  makeKey,
  recorder,
  sign,
  startKeyServer,
} from '../packages/jwt/test/support.js';
import type { KeyServer, TestKey } from '../packages/jwt/test/support.js';

const typeDefs = /* GraphQL */ `
  type Query {
    me: String
  }
  type Mutation {
    logout: Boolean!
  }
`;

/** A server whose `logout` revokes the caller's token in `list`. */
function resolversFor(list: RevocationList) {
  return {
    Query: {
      me: (_: unknown, __: unknown, ctx: unknown) => principalFromContext(ctx)?.subject ?? null,
    },
    Mutation: {
      logout: async (_: unknown, __: unknown, ctx: unknown) => {
        const principal = principalFromContext(ctx)!;
        await list.revoke(principal.tokenId!, new Date(principal.expiresAt! * 1000));
        return true;
      },
    },
  };
}

/** Claims valid for ten minutes from now (Redis expires revocations on the real clock). */
function live(overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return claims({
    iat: now - 10,
    exp: now + 600,
    jti: `jti-${randomBytes(8).toString('hex')}`,
    ...overrides,
  });
}

async function startPrivateRedis(): Promise<{ url: string; kill(): Promise<void> }> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error('redis-server is not installed: this test spawns a private one to kill.');
  }
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

describeRedis('JWT revocation shared through Redis', (url) => {
  const prefix = `bulwark:test:jwt-revoked:${randomBytes(6).toString('hex')}:`;
  let key: TestKey;
  let idp: KeyServer;
  const clients: Redis[] = [];
  const servers: TestServer[] = [];

  async function instance(client: Redis, onError: 'fail-closed' | 'fail-open' = 'fail-closed') {
    const list = new RedisRevocationList({ client, prefix });
    const { events, onEvent } = recorder();
    const jwt = createJwtAuth({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['ES256'],
      keys: { type: 'remote-jwks', url: idp.jwksUrl },
      revocation: { list, onError },
      onEvent,
    });
    const server = await startTestServer({
      typeDefs,
      resolvers: resolversFor(list),
      context: jwt.context(),
      plugins: [jwt.plugin()],
      includeStacktraceInErrorResponses: false,
    });
    servers.push(server);
    return Object.assign(server, { events });
  }

  beforeAll(async () => {
    key = await makeKey('ES256', 'k');
    idp = await startKeyServer([key.jwk]);
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    const admin = new Redis(url);
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
    for (const c of clients) c.disconnect();
    await idp?.close();
  });

  it('a logout on one instance is refused by the other, whose cache already held the token', async () => {
    const [ca, cb] = [new Redis(url), new Redis(url)];
    clients.push(ca, cb);
    const a = await instance(ca);
    const b = await instance(cb);
    const token = await sign(key, live());
    const other = await sign(key, live({ sub: 'user-2' }));
    const auth = { authorization: `Bearer ${token}` };

    expect((await a.post({ query: '{ me }' }, auth)).body).toEqual({ data: { me: 'user-1' } });
    expect((await b.post({ query: '{ me }' }, auth)).body).toEqual({ data: { me: 'user-1' } });

    expect((await a.post({ query: 'mutation { logout }' }, auth)).body).toEqual({
      data: { logout: true },
    });

    for (const server of [a, b]) {
      const res = await server.post({ query: '{ me }' }, auth);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(res.body).toEqual({
        errors: [
          {
            message: UNAUTHENTICATED_MESSAGE,
            extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' },
          },
        ],
      });
      expect(server.events.at(-1)).toMatchObject({
        code: 'UNAUTHENTICATED',
        subject: 'user-1',
        detail: { check: 'revocation' },
      });
    }
    expect((await b.post({ query: '{ me }' }, { authorization: `Bearer ${other}` })).body).toEqual({
      data: { me: 'user-2' },
    });
  });

  it('fails closed with 503 (or open, if so configured) when Redis dies', async () => {
    const redis = await startPrivateRedis();
    const [cc, cd] = [0, 1].map(() => {
      const client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      clients.push(client);
      return client;
    }) as [Redis, Redis];
    await Promise.all([once(cc, 'ready'), once(cd, 'ready')]);
    try {
      const closed = await instance(cc, 'fail-closed');
      const open = await instance(cd, 'fail-open');
      const auth = { authorization: `Bearer ${await sign(key, live())}` };
      expect((await closed.post({ query: '{ me }' }, auth)).status).toBe(200);

      const gone = Promise.all([once(cc, 'close'), once(cd, 'close')]);
      await redis.kill();
      await gone;

      const refused = await closed.post({ query: '{ me }' }, auth);
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({
        errors: [
          { message: AUTH_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } },
        ],
      });
      expect(closed.events.at(-1)).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        detail: { check: 'revocation' },
      });

      const letThrough = await open.post({ query: '{ me }' }, auth);
      expect(letThrough.status).toBe(200);
      expect(letThrough.body).toEqual({ data: { me: 'user-1' } });
      expect(open.events.at(-1)).toMatchObject({
        outcome: 'warning',
        code: 'REVOCATION_CHECK_FAILED',
      });
    } finally {
      await redis.kill();
    }
  });
});
