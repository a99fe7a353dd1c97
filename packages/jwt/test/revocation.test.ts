import { describe, expect, it } from 'vitest';
import { AUTH_UNAVAILABLE_MESSAGE, MemoryRevocationList, createJwtAuth } from '@bulwark/jwt';
import type { RevocationList } from '@bulwark/core';
import { startTestServer } from '../../../test/support/http.js';
import {
  AUDIENCE,
  ISSUER,
  NOW,
  NOW_MS,
  claims,
  makeKey,
  recorder,
  resolvers,
  sign,
  typeDefs,
} from './support.js';

describe('MemoryRevocationList', () => {
  it('revokes until a date, then forgets', async () => {
    let now = 1_000;
    const list = new MemoryRevocationList({ now: () => now });
    await list.revoke('a', new Date(2_000));
    expect(await list.isRevoked('a')).toBe(true);
    expect(await list.isRevoked('b')).toBe(false);
    now = 1_999;
    expect(await list.isRevoked('a')).toBe(true);
    now = 2_000;
    expect(await list.isRevoked('a')).toBe(false);
    expect(list.size).toBe(0);
  });

  it('ignores a revocation that already ended, and keeps the later of two', async () => {
    let now = 1_000;
    const list = new MemoryRevocationList({ now: () => now });
    await list.revoke('past', new Date(1_000));
    expect(list.size).toBe(0);
    await list.revoke('a', new Date(5_000));
    await list.revoke('a', new Date(3_000));
    now = 4_000;
    expect(await list.isRevoked('a')).toBe(true);
  });

  it('never forgets a revocation in force to make room: it refuses new ones instead', async () => {
    let now = 0;
    const list = new MemoryRevocationList({ max: 2, now: () => now });
    await list.revoke('a', new Date(100));
    await list.revoke('b', new Date(200));
    await expect(list.revoke('c', new Date(300))).rejects.toThrow(
      new RangeError(
        'The revocation list holds 2 revocations in force (`max`): raise `max` or use a shared store.',
      ),
    );
    expect(await list.isRevoked('a')).toBe(true);
    now = 150; // 'a' has ended: its room can be reused
    await list.revoke('c', new Date(300));
    expect(await list.isRevoked('b')).toBe(true);
    expect(await list.isRevoked('c')).toBe(true);
  });

  it('validates its input', async () => {
    const list = new MemoryRevocationList();
    await expect(list.revoke('', new Date())).rejects.toThrow(
      new TypeError('`tokenId` must be a non-empty string, got "".'),
    );
    await expect(list.revoke('a', new Date(Number.NaN))).rejects.toThrow(
      new TypeError('`until` must be a valid Date.'),
    );
    expect(() => new MemoryRevocationList({ max: 0 })).toThrow(
      new TypeError('`max` must be a positive integer, got 0.'),
    );
  });
});

describe('revocation through createJwtAuth', () => {
  async function serve(list: RevocationList, extra: Record<string, unknown> = {}) {
    const key = await makeKey('ES256', 'k');
    const { events, onEvent } = recorder();
    const jwt = createJwtAuth({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['ES256'],
      keys: { type: 'jwks', jwks: { keys: [key.jwk] } },
      now: () => NOW_MS,
      revocation: { list, ...extra },
      onEvent,
    });
    const server = await startTestServer({
      typeDefs,
      resolvers,
      context: jwt.context(),
      includeStacktraceInErrorResponses: false,
    });
    return { key, events, server };
  }

  const broken: RevocationList = {
    revoke: async () => {},
    isRevoked: async () => {
      throw new Error('ECONNREFUSED 127.0.0.1:6390');
    },
  };

  it('fails closed by default: 503 when the list cannot answer', async () => {
    const { key, events, server } = await serve(broken);
    try {
      const res = await server.post(
        { query: '{ me { subject } }' },
        { authorization: `Bearer ${await sign(key)}` },
      );
      expect(res.status).toBe(503);
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(res.body).toEqual({
        errors: [
          { message: AUTH_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } },
        ],
      });
      expect(events.at(-1)).toMatchObject({
        source: 'jwt',
        outcome: 'rejected',
        code: 'SERVICE_UNAVAILABLE',
        subject: 'user-1',
        detail: { check: 'revocation', error: 'ECONNREFUSED 127.0.0.1:6390' },
      });
    } finally {
      await server.stop();
    }
  });

  it("lets the token through with `onError: 'fail-open'`, with a warning event", async () => {
    const { key, events, server } = await serve(broken, { onError: 'fail-open' });
    try {
      const res = await server.post(
        { query: '{ me { subject } }' },
        { authorization: `Bearer ${await sign(key)}` },
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { me: { subject: 'user-1' } } });
      expect(events.at(-1)).toMatchObject({
        outcome: 'warning',
        code: 'REVOCATION_CHECK_FAILED',
        subject: 'user-1',
      });
    } finally {
      await server.stop();
    }
  });

  it('counts anything but `false` from the list as revoked', async () => {
    const odd: RevocationList = {
      revoke: async () => {},
      isRevoked: async () => undefined as unknown as boolean,
    };
    const { key, server } = await serve(odd);
    try {
      const res = await server.post(
        { query: '{ ping }' },
        { authorization: `Bearer ${await sign(key)}` },
      );
      expect(res.status).toBe(401);
      expect(res.body.errors?.[0]?.extensions).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_REVOKED',
      });
    } finally {
      await server.stop();
    }
  });

  it('accepts tokens without jti only with `requireTokenId: false`', async () => {
    const list = new MemoryRevocationList({ now: () => NOW_MS });
    const { key, server } = await serve(list, { requireTokenId: false });
    try {
      const token = await sign(key, claims({ jti: undefined, exp: NOW + 60 }));
      expect(
        (await server.post({ query: '{ ping }' }, { authorization: `Bearer ${token}` })).status,
      ).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
