import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  JWT_AUTH_DEFAULTS,
  MemoryRevocationList,
  createJwtAuth,
  resolveJwtAuthOptions,
} from '@bulwark/jwt';
import type { JwtAuthOptions } from '@bulwark/jwt';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const secret = randomBytes(32);

const base = {
  issuer: 'https://idp.test/',
  audience: 'https://api.test',
  algorithms: ['RS256'],
  keys: { type: 'public-keys', keys: [rsaPem] },
} as const satisfies JwtAuthOptions;

/** Builds with `base` overridden; `undefined` removes a key. */
function build(overrides: Record<string, unknown>) {
  const options: Record<string, unknown> = { ...base, ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete options[k];
  return () => createJwtAuth(options as unknown as JwtAuthOptions);
}

describe('required options', () => {
  it('refuses a missing or empty issuer or audience', () => {
    expect(build({ issuer: undefined })).toThrow(
      new TypeError(
        '`issuer` must be a non-empty string or a non-empty array of strings, got nothing.',
      ),
    );
    expect(build({ issuer: '' })).toThrow(
      new TypeError('`issuer` must be a non-empty string, got "".'),
    );
    expect(build({ audience: undefined })).toThrow(
      new TypeError(
        '`audience` must be a non-empty string or a non-empty array of strings, got nothing.',
      ),
    );
    expect(build({ audience: [] })).toThrow(
      new TypeError(
        '`audience` must be a non-empty string or a non-empty array of strings, got [].',
      ),
    );
    expect(build({ audience: ['a', 3] })).toThrow(
      new TypeError('`audience[1]` must be a non-empty string, got 3.'),
    );
  });

  it('refuses a missing or empty algorithm list', () => {
    const message =
      '`algorithms` must be a non-empty array such as ["RS256"]: the server pins the algorithms, never the token.';
    expect(build({ algorithms: undefined })).toThrow(new TypeError(message));
    expect(build({ algorithms: [] })).toThrow(new TypeError(message));
    expect(build({ algorithms: 'RS256' })).toThrow(new TypeError(message));
  });

  it('refuses a missing key source', () => {
    expect(build({ keys: undefined })).toThrow(
      new TypeError('`keys` must be an object, got undefined.'),
    );
    expect(build({ keys: { type: 'magic' } })).toThrow(
      new TypeError(
        '`keys.type` must be one of "remote-jwks", "jwks", "public-keys", "secret", got "magic".',
      ),
    );
  });

  it('refuses a misspelled option instead of ignoring it', () => {
    expect(build({ audiance: 'x' })).toThrow(/`createJwtAuth` has an unknown option "audiance"/);
    expect(
      build({ keys: { type: 'secret', secret, algorithm: 'HS256' }, algorithms: ['HS256'] }),
    ).toThrow(/`keys` has an unknown option "algorithm"/);
  });
});

describe('algorithms', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses %j', (alg) => {
    expect(build({ algorithms: ['RS256', alg] })).toThrow(
      new TypeError('`algorithms` must not include "none": unsigned tokens are never accepted.'),
    );
  });

  it.each(['XS256', 'rs256', 'HS1', 'ML-DSA-44', 'RSA-OAEP'])(
    'refuses the unknown algorithm %j',
    (alg) => {
      expect(build({ algorithms: [alg] })).toThrow(
        new TypeError(
          `\`algorithms\` has an unknown algorithm ${JSON.stringify(alg)}; supported: HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519.`,
        ),
      );
    },
  );

  it('refuses symmetric and asymmetric algorithms mixed', () => {
    expect(build({ algorithms: ['RS256', 'HS256'] })).toThrow(
      new TypeError(
        '`algorithms` mixes symmetric (HS256) and asymmetric (RS256) algorithms: a public key must never be usable as an HMAC secret.',
      ),
    );
  });

  it('refuses a secret with asymmetric algorithms and public keys with HMAC', () => {
    expect(build({ keys: { type: 'secret', secret } })).toThrow(
      new TypeError(
        '`keys` is a shared secret but `algorithms` are asymmetric (RS256): a secret verifies only HS256, HS384, HS512.',
      ),
    );
    expect(build({ algorithms: ['HS256'] })).toThrow(
      /`algorithms` are HMAC \(HS256\) but `keys` holds public keys/,
    );
  });
});

describe('HMAC secrets', () => {
  it('refuses a secret shorter than 256 bits', () => {
    expect(
      build({ algorithms: ['HS256'], keys: { type: 'secret', secret: 'x'.repeat(31) } }),
    ).toThrow(
      new TypeError(
        '`keys.secret` has 248 bits; HS256 need at least 256. Generate one with `crypto.randomBytes(32)`.',
      ),
    );
    expect(
      build({ algorithms: ['HS256'], keys: { type: 'secret', secret: randomBytes(16) } }),
    ).toThrow(/has 128 bits/);
    expect(
      build({ algorithms: ['HS256'], keys: { type: 'secret', secret: 'x'.repeat(32) } }),
    ).not.toThrow();
  });

  it('asks as many bits as the hash for HS384 and HS512', () => {
    expect(
      build({ algorithms: ['HS256', 'HS512'], keys: { type: 'secret', secret: randomBytes(48) } }),
    ).toThrow(
      new TypeError(
        '`keys.secret` has 384 bits; HS256, HS512 need at least 512. Generate one with `crypto.randomBytes(64)`.',
      ),
    );
    expect(
      build({ algorithms: ['HS384'], keys: { type: 'secret', secret: randomBytes(48) } }),
    ).not.toThrow();
  });

  it('refuses a secret that is neither a string nor bytes', () => {
    expect(build({ algorithms: ['HS256'], keys: { type: 'secret', secret: 42 } })).toThrow(
      new TypeError('`keys.secret` must be a string or a Uint8Array.'),
    );
  });
});

describe('remote JWKS URL', () => {
  it.each([
    'http://idp.example.com/jwks.json',
    'http://10.0.0.1/jwks.json',
    'http://127.0.0.1.nip.io/jwks.json',
    'ftp://idp.example.com/jwks.json',
  ])('refuses %s', (url) => {
    expect(build({ keys: { type: 'remote-jwks', url } })).toThrow(
      new TypeError(
        `\`keys.url\` must use https: (plain http: only on a loopback host), got ${JSON.stringify(new URL(url).href)}.`,
      ),
    );
  });

  it.each([
    'https://idp.example.com/jwks.json',
    'http://127.0.0.1:8080/jwks.json',
    'http://localhost/jwks.json',
    'http://[::1]:9000/jwks.json',
  ])('accepts %s', (url) => {
    expect(build({ keys: { type: 'remote-jwks', url } })).not.toThrow();
    expect(build({ keys: { type: 'remote-jwks', url: new URL(url) } })).not.toThrow();
  });

  it('refuses credentials in the URL, a relative URL and bad durations', () => {
    expect(build({ keys: { type: 'remote-jwks', url: 'https://u:p@idp.test/jwks' } })).toThrow(
      new TypeError('`keys.url` must not carry credentials.'),
    );
    expect(build({ keys: { type: 'remote-jwks', url: '/jwks.json' } })).toThrow(
      new TypeError('`keys.url` must be an absolute URL, got "/jwks.json".'),
    );
    expect(
      build({ keys: { type: 'remote-jwks', url: 'https://idp.test/j', cooldown: '-1s' } }),
    ).toThrow(/`keys.cooldown` must be a duration/);
    expect(build({ keys: { type: 'remote-jwks', url: 'https://idp.test/j', timeout: 0 } })).toThrow(
      new TypeError('`keys.timeout` must be at least 1 ms.'),
    );
  });
});

describe('public keys and local JWKS', () => {
  it('refuses a private key in any form', () => {
    const name = (i = 0) =>
      new TypeError(`\`keys.keys[${i}]\` is a private key: give the public key only.`);
    const pkcs8 = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    expect(build({ keys: { type: 'public-keys', keys: [pkcs8] } })).toThrow(name());
    expect(build({ keys: { type: 'public-keys', keys: [rsa.privateKey] } })).toThrow(name());
    expect(
      build({ keys: { type: 'public-keys', keys: [rsa.privateKey.export({ format: 'jwk' })] } }),
    ).toThrow(name());
    expect(
      build({ keys: { type: 'jwks', jwks: { keys: [rsa.privateKey.export({ format: 'jwk' })] } } }),
    ).toThrow(new TypeError('`keys.jwks.keys[0]` is a private key: give the public key only.'));
  });

  it('refuses an RSA key under 2048 bits', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(build({ keys: { type: 'public-keys', keys: [small] } })).toThrow(
      new TypeError('`keys.keys[0]` is an RSA key of 1024 bits; at least 2048 are required.'),
    );
  });

  it('refuses a key that none of the algorithms can use', () => {
    expect(build({ keys: { type: 'public-keys', keys: [ec.publicKey] } })).toThrow(
      new TypeError(
        '`keys.keys[0]` is a ec (prime256v1) key, which verifies none of `algorithms` (RS256).',
      ),
    );
    expect(
      build({ keys: { type: 'jwks', jwks: { keys: [ec.publicKey.export({ format: 'jwk' })] } } }),
    ).toThrow(new TypeError('No key in `keys.jwks` verifies any of `algorithms` (RS256).'));
  });

  it('accepts PEM, DER, JWK, KeyObject and CryptoKey, with or without a kid', async () => {
    const der = rsa.publicKey.export({ format: 'der', type: 'spki' });
    const cryptoKey = await crypto.subtle.importKey(
      'spki',
      der,
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      true,
      ['verify'],
    );
    const keys = [
      rsaPem,
      new Uint8Array(der),
      rsa.publicKey.export({ format: 'jwk' }),
      rsa.publicKey,
      cryptoKey,
      { key: rsaPem, kid: 'a' },
    ];
    for (const key of keys)
      expect(build({ keys: { type: 'public-keys', keys: [key] } })).not.toThrow();
    expect(build({ keys: { type: 'public-keys', keys: ['not a key'] } })).toThrow(
      /`keys.keys\[0\]` is not a usable public key/,
    );
    expect(build({ keys: { type: 'public-keys', keys: [{ key: rsaPem, kid: '' }] } })).toThrow(
      new TypeError('`keys.keys[0].kid` must be a non-empty string.'),
    );
    expect(build({ keys: { type: 'public-keys', keys: [] } })).toThrow(
      new TypeError('`keys.keys` must be a non-empty array of public keys.'),
    );
    expect(build({ keys: { type: 'jwks', jwks: { keys: [] } } })).toThrow(
      /`keys.jwks` must be a JSON Web Key Set/,
    );
  });
});

describe('optional settings', () => {
  it('validates each and names it', () => {
    expect(build({ mode: 'maybe' })).toThrow(
      new TypeError('`mode` must be one of "required", "optional", got "maybe".'),
    );
    expect(build({ clockTolerance: '10m' })).toThrow(
      new TypeError(
        '`clockTolerance` must be at most 5 minutes, got 600000 ms: a wide tolerance keeps expired tokens alive.',
      ),
    );
    expect(build({ maxTokenAge: 'soon' })).toThrow(/`maxTokenAge` must be a duration/);
    expect(build({ maxTokenLength: 0 })).toThrow(
      new TypeError('`maxTokenLength` must be a positive integer, got 0.'),
    );
    expect(build({ typ: '' })).toThrow(new TypeError('`typ` must be a non-empty string, got "".'));
    expect(build({ requiredClaims: ['sub', ''] })).toThrow(
      new TypeError('`requiredClaims[1]` must be a non-empty string, got "".'),
    );
    expect(build({ tokenSources: [] })).toThrow(
      new TypeError('`tokenSources` must be a non-empty array.'),
    );
    expect(build({ tokenSources: [{ from: 'query' }] })).toThrow(
      new TypeError(
        '`tokenSources[0].from` must be one of "authorization-header", "cookie", got "query".',
      ),
    );
    expect(build({ tokenSources: [{ from: 'cookie', name: 'a b' }] })).toThrow(
      new TypeError('`tokenSources[0].name` must be a cookie name, got "a b".'),
    );
    expect(build({ claims: { subject: '' } })).toThrow(
      new TypeError('`claims.subject` must be a non-empty string, got "".'),
    );
    expect(build({ claims: { roles: 'a..b' } })).toThrow(
      new TypeError('`claims.roles[1]` must be a non-empty string, got "".'),
    );
    expect(build({ cache: { max: 0 } })).toThrow(
      new TypeError('`cache.max` must be a positive integer, got 0.'),
    );
    expect(build({ cache: true })).toThrow(new TypeError('`cache` must be an object, got true.'));
    expect(build({ revocation: { list: {} } })).toThrow(
      new TypeError(
        '`revocation.list` must be a RevocationList (an object with `isRevoked` and `revoke`).',
      ),
    );
    expect(build({ revocation: { list: new MemoryRevocationList(), onError: 'ignore' } })).toThrow(
      new TypeError(
        '`revocation.onError` must be one of "fail-closed", "fail-open", got "ignore".',
      ),
    );
    expect(build({ realm: 'a"b' })).toThrow(
      new TypeError('`realm` must not contain quotes, backslashes or line breaks.'),
    );
    expect(build({ onEvent: 'log' })).toThrow(
      new TypeError('`onEvent` must be a function, got "log".'),
    );
    expect(build({ now: 5 })).toThrow(new TypeError('`now` must be a function, got 5.'));
  });

  it('resolves defaults once, and an explicit undefined keeps a default', () => {
    const resolved = resolveJwtAuthOptions({
      ...base,
      mode: undefined,
      clockTolerance: undefined,
      maxTokenLength: undefined,
      tokenSources: undefined,
    });
    expect(resolved).toMatchObject({
      issuer: ['https://idp.test/'],
      audience: ['https://api.test'],
      algorithms: ['RS256'],
      mode: 'required',
      clockToleranceMs: 5000,
      maxTokenAgeMs: undefined,
      maxTokenLength: 8192,
      tokenSources: [{ from: 'authorization-header' }],
      subjectClaim: 'sub',
      rolesPath: ['roles'],
      cacheMax: 10_000,
      revocation: undefined,
    });
    expect(JWT_AUTH_DEFAULTS).toMatchObject({
      mode: 'required',
      clockTolerance: '5s',
      maxTokenLength: 8192,
      cacheMax: 10_000,
      revocationOnError: 'fail-closed',
      jwksTimeout: '5s',
      jwksCooldown: '30s',
      jwksCacheMaxAge: '10m',
    });
    expect(
      resolveJwtAuthOptions({ ...base, revocation: { list: new MemoryRevocationList() } })
        .revocation,
    ).toMatchObject({ onError: 'fail-closed', requireTokenId: true });
    expect(resolveJwtAuthOptions({ ...base, cache: false }).cacheMax).toBe(false);
    expect(
      resolveJwtAuthOptions({ ...base, claims: { roles: ['https://x.test/roles'] } }).rolesPath,
    ).toEqual(['https://x.test/roles']);
  });
});
