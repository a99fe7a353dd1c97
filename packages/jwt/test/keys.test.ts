import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createJwtAuth } from '@bulwark/jwt';
import type { JwtAuthOptions, PublicKeyMaterial } from '@bulwark/jwt';
import { AUDIENCE, ISSUER, NOW_MS, claims, makeKey, recorder, sign } from './support.js';
import type { TestKey } from './support.js';

let rsa: TestKey;
let other: TestKey;

beforeAll(async () => {
  [rsa, other] = await Promise.all([makeKey('RS256', 'r'), makeKey('RS256', 'o')]);
});

function auth(algorithms: string[], keys: JwtAuthOptions['keys']) {
  const { events, onEvent } = recorder();
  const jwt = createJwtAuth({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms,
    keys,
    now: () => NOW_MS,
    onEvent,
  } as JwtAuthOptions);
  return {
    events,
    async outcome(token: string) {
      try {
        return (await jwt.authenticate({ headers: { authorization: `Bearer ${token}` } }))?.subject;
      } catch (error) {
        return (error as { extensions: { reason: string } }).extensions.reason;
      }
    },
  };
}

describe("keys: { type: 'public-keys' }", () => {
  it('verifies with a key given as PEM, DER, JWK, KeyObject or CryptoKey', async () => {
    const { createPublicKey } = await import('node:crypto');
    const keyObject = createPublicKey({ key: rsa.jwk as never, format: 'jwk' });
    const forms: PublicKeyMaterial[] = [
      keyObject.export({ format: 'pem', type: 'spki' }) as string,
      new Uint8Array(keyObject.export({ format: 'der', type: 'spki' })),
      rsa.jwk,
      keyObject,
      rsa.publicKey,
    ];
    const token = await sign(rsa);
    for (const key of forms) {
      expect(await auth(['RS256'], { type: 'public-keys', keys: [key] }).outcome(token)).toBe(
        'user-1',
      );
    }
  });

  it('lets a key given without kid verify a token that names any kid, and no other key', async () => {
    const a = auth(['RS256'], { type: 'public-keys', keys: [rsa.publicKey] });
    expect(await a.outcome(await sign(rsa, claims(), { kid: 'whatever-the-idp-calls-it' }))).toBe(
      'user-1',
    );
    expect(await a.outcome(await sign(rsa, claims(), { kid: undefined }))).toBe('user-1');
    expect(await a.outcome(await sign(other))).toBe('TOKEN_INVALID');
    expect(a.events.at(-1)?.detail).toMatchObject({ check: 'signature' });
  });

  it('picks a named key by kid, and refuses a kid it does not hold when every key is named', async () => {
    const a = auth(['RS256'], {
      type: 'public-keys',
      keys: [
        { key: rsa.publicKey, kid: 'r' },
        { key: other.publicKey, kid: 'o' },
      ],
    });
    expect(await a.outcome(await sign(rsa))).toBe('user-1');
    expect(await a.outcome(await sign(other))).toBe('user-1');
    expect(await a.outcome(await sign(rsa, claims(), { kid: 'o' }))).toBe('TOKEN_INVALID');
    expect(await a.outcome(await sign(rsa, claims(), { kid: 'x' }))).toBe('TOKEN_INVALID');
    expect(a.events.at(-1)?.detail).toMatchObject({ check: 'key' });
  });

  it('refuses a token without kid that two keys could verify, instead of trying each', async () => {
    const a = auth(['RS256'], { type: 'public-keys', keys: [rsa.publicKey, other.publicKey] });
    expect(await a.outcome(await sign(rsa, claims(), { kid: undefined }))).toBe('TOKEN_INVALID');
    expect(a.events.at(-1)?.detail).toMatchObject({
      check: 'key',
      error: 'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
    });
    expect(() =>
      auth(['RS256'], {
        type: 'public-keys',
        keys: [
          { key: rsa.publicKey, kid: 'a' },
          { key: other.publicKey, kid: 'a' },
        ],
      }),
    ).toThrow(new TypeError('`keys.keys` gives one `kid` to several keys.'));
  });

  it('uses one RSA key for RS256 and PS256, and an EC key only for its curve', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKey = pair.privateKey as never;
    const a = auth(['RS256', 'PS256'], { type: 'public-keys', keys: [pair.publicKey] });
    expect(await a.outcome(await sign({ alg: 'PS256', privateKey }))).toBe('user-1');
    expect(await a.outcome(await sign({ alg: 'RS256', privateKey }))).toBe('user-1');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(() => auth(['ES256'], { type: 'public-keys', keys: [p384.publicKey] })).toThrow(
      /is a ec \(secp384r1\) key, which verifies none of `algorithms` \(ES256\)/,
    );
  });
});

describe("keys: { type: 'secret' }", () => {
  it('verifies HS256, HS384 and HS512 with one secret, and nothing signed with another', async () => {
    const secret = randomBytes(64);
    const a = auth(['HS256', 'HS384', 'HS512'], { type: 'secret', secret });
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      expect(await a.outcome(await sign({ alg, privateKey: secret }))).toBe('user-1');
      expect(await a.outcome(await sign({ alg, privateKey: randomBytes(64) }))).toBe(
        'TOKEN_INVALID',
      );
    }
    const text = auth(['HS256'], { type: 'secret', secret: 's'.repeat(40) });
    expect(
      await text.outcome(
        await sign({ alg: 'HS256', privateKey: new TextEncoder().encode('s'.repeat(40)) }),
      ),
    ).toBe('user-1');
  });

  it('refuses an RS256 token even when its signature was made with the secret bytes as a key', async () => {
    const secret = randomBytes(32);
    const a = auth(['HS256'], { type: 'secret', secret });
    expect(await a.outcome(await sign(rsa))).toBe('TOKEN_INVALID');
    expect(a.events.at(-1)?.detail).toMatchObject({ check: 'algorithm', alg: 'RS256' });
  });
});

describe("keys: { type: 'jwks' }", () => {
  it('verifies with a local key set and picks the key by kid', async () => {
    const a = auth(['RS256'], { type: 'jwks', jwks: { keys: [rsa.jwk, other.jwk] } });
    expect(await a.outcome(await sign(rsa))).toBe('user-1');
    expect(await a.outcome(await sign(other))).toBe('user-1');
    expect(await a.outcome(await sign(other, claims(), { kid: 'r' }))).toBe('TOKEN_INVALID');
  });
});
