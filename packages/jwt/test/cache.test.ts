import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryRevocationList, createJwtAuth } from '@bulwark/jwt';
import type { JwtAuthOptions } from '@bulwark/jwt';
import { VerifiedTokenCache, checkTokenTimes } from '../src/cache.js';
import { AUDIENCE, ISSUER, NOW, NOW_MS, claims, makeKey, recorder, sign } from './support.js';
import type { TestKey } from './support.js';

let key: TestKey;
let now: number;
let verify: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  key = await makeKey('RS256', 'k');
});

beforeEach(() => {
  now = NOW_MS;
  // jose verifies every signature through WebCrypto: counting calls shows when it ran.
  verify = vi.spyOn(globalThis.crypto.subtle, 'verify');
});

afterEach(() => {
  verify.mockRestore();
});

function auth(extra: Partial<JwtAuthOptions> = {}) {
  const { events, onEvent } = recorder();
  const jwt = createJwtAuth({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256'],
    keys: { type: 'jwks', jwks: { keys: [key.jwk] } },
    now: () => now,
    onEvent,
    ...extra,
  } as JwtAuthOptions);
  return {
    events,
    jwt,
    run: (token: string) => jwt.authenticate({ headers: { authorization: `Bearer ${token}` } }),
  };
}

async function reasonOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { extensions?: { reason?: unknown } }).extensions?.reason;
  }
}

describe('verified-token cache', () => {
  it('skips the signature check for a repeated token, not for another one', async () => {
    const { run } = auth();
    const token = await sign(key);
    const first = await run(token);
    const second = await run(token);
    await run(token);
    expect(verify).toHaveBeenCalledTimes(1);
    expect(second).toBe(first);
    await run(await sign(key));
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('verifies every time with `cache: false`', async () => {
    const { run } = auth({ cache: false });
    const token = await sign(key);
    for (let i = 0; i < 3; i++) await run(token);
    expect(verify).toHaveBeenCalledTimes(3);
  });

  it('checks exp on every use, with the same tolerance as a fresh verification', async () => {
    const token = await sign(key, claims({ exp: NOW + 600 }));
    const cached = auth();
    const uncached = auth({ cache: false });
    await cached.run(token);
    expect(verify).toHaveBeenCalledTimes(1);
    // exp + 4 s is inside the 5 s tolerance, exp + 5 s is not: both paths agree.
    now = (NOW + 604) * 1000;
    expect(await reasonOf(cached.run(token))).toBe('accepted');
    expect(await reasonOf(uncached.run(token))).toBe('accepted');
    now = (NOW + 605) * 1000;
    const calls = verify.mock.calls.length;
    expect(await reasonOf(cached.run(token))).toBe('TOKEN_EXPIRED');
    expect(verify).toHaveBeenCalledTimes(calls);
    expect(cached.events.at(-1)?.detail).toMatchObject({
      check: 'time',
      claim: 'exp',
      cached: true,
    });
    expect(await reasonOf(uncached.run(token))).toBe('TOKEN_EXPIRED');
  });

  it('checks nbf on every use (a clock that steps back)', async () => {
    const token = await sign(key, claims({ nbf: NOW - 10 }));
    const { run, events } = auth();
    await run(token);
    now = (NOW - 20) * 1000;
    expect(await reasonOf(run(token))).toBe('TOKEN_INVALID');
    expect(events.at(-1)?.detail).toMatchObject({ check: 'time', claim: 'nbf', cached: true });
  });

  it('checks maxTokenAge on every use', async () => {
    const token = await sign(key, claims({ iat: NOW - 60, exp: NOW + 3600 }));
    const { run, events } = auth({ maxTokenAge: '10m' });
    await run(token);
    now = (NOW + 540) * 1000;
    expect(await reasonOf(run(token))).toBe('accepted');
    now = (NOW + 546) * 1000;
    expect(await reasonOf(run(token))).toBe('TOKEN_EXPIRED');
    expect(events.at(-1)?.detail).toMatchObject({ check: 'time', claim: 'iat', cached: true });
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('checks revocation on every use', async () => {
    const list = new MemoryRevocationList({ now: () => now });
    const { run } = auth({ revocation: { list } });
    const token = await sign(key, claims({ jti: 'j-1' }));
    await run(token);
    await list.revoke('j-1', new Date((NOW + 600) * 1000));
    expect(await reasonOf(run(token))).toBe('TOKEN_REVOKED');
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('is bounded: the least recently used token is verified again', async () => {
    const { run } = auth({ cache: { max: 2 } });
    const [a, b, c] = await Promise.all([sign(key), sign(key), sign(key)]);
    await run(a);
    await run(b);
    await run(c);
    expect(verify).toHaveBeenCalledTimes(3);
    await run(c);
    await run(b);
    expect(verify).toHaveBeenCalledTimes(3);
    await run(a);
    expect(verify).toHaveBeenCalledTimes(4);
  });

  it('does not cache a refused token', async () => {
    const { run } = auth();
    const [h, p] = (await sign(key)).split('.');
    const bad = `${h}.${p}.${Buffer.from('forged').toString('base64url')}`;
    expect(await reasonOf(run(bad))).toBe('TOKEN_INVALID');
    expect(await reasonOf(run(bad))).toBe('TOKEN_INVALID');
    expect(verify).toHaveBeenCalledTimes(2);
  });
});

describe('VerifiedTokenCache', () => {
  it('keys entries by a hash of the token, never the token', () => {
    const cache = new VerifiedTokenCache(10, () => 0);
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';
    expect(cache.key(token)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cache.key(token)).not.toContain('eyJ');
    expect(cache.key(token)).toBe(cache.key(token));
    expect(cache.key(`${token}x`)).not.toBe(cache.key(token));
  });

  it('drops an entry when its ttl (the token lifetime) has passed', () => {
    let t = 1_000_000;
    const cache = new VerifiedTokenCache(10, () => t);
    const entry = { principal: {} as never, exp: 0, nbf: undefined, iat: undefined, generation: 0 };
    cache.set('k', entry, 5_000);
    t += 4_999;
    expect(cache.get('k')).toBe(entry);
    t += 2;
    expect(cache.get('k')).toBeUndefined();
    cache.set('expired', entry, 0);
    expect(cache.size).toBe(0);
  });

  it('applies the time checks of jose', () => {
    const at = (s: number) => s * 1000;
    const entry = { exp: 100, nbf: 50, iat: 40 };
    expect(checkTokenTimes(entry, at(99), 0, undefined)).toBeUndefined();
    expect(checkTokenTimes(entry, at(100), 0, undefined)).toBe('exp');
    expect(checkTokenTimes(entry, at(104), 5, undefined)).toBeUndefined();
    expect(checkTokenTimes(entry, at(49), 0, undefined)).toBe('nbf');
    expect(checkTokenTimes(entry, at(45), 5, undefined)).toBeUndefined();
    expect(checkTokenTimes(entry, at(61), 0, 20)).toBe('iat-too-old');
    expect(checkTokenTimes({ exp: 100, nbf: undefined, iat: 90 }, at(80), 0, 20)).toBe(
      'iat-in-future',
    );
  });
});
