import { KeyObject, createPublicKey, webcrypto } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { assertKnownKeys, emitEvent, parseDuration } from '@bulwark/core';
import type { OnSecurityEvent } from '@bulwark/core';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors } from 'jose';
import type { CryptoKey, FetchImplementation, JSONWebKeySet, JWK, JWTVerifyGetKey } from 'jose';
import { isHmacAlgorithm, keyTypeFor, minimumSecretBytes } from './algorithms.js';
import type { AsymmetricAlgorithm, HmacAlgorithm, JwtAlgorithm } from './algorithms.js';
import type {
  KeySourceOptions,
  LocalJwksKeys,
  PublicKeyMaterial,
  PublicKeysKeys,
  RemoteJwksKeys,
  SecretKeys,
} from './options.js';
import { JWT_AUTH_DEFAULTS } from './options.js';

/** Largest JWKS response read; a bigger one is a failed fetch. */
const MAX_JWKS_BYTES = 512 * 1024;

/**
 * The keys could not be obtained (JWKS endpoint down, timed out or answering garbage, and no
 * key fetched before fits). Authentication answers 503, not 401: the token may well be good.
 */
export class KeysUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeysUnavailableError';
  }
}

/** Where verification keys come from, as the verifier uses them. */
export interface KeySource {
  /** jose key resolver: picks the key for a token's header among the configured keys only. */
  readonly getKey: JWTVerifyGetKey;
  /** Changes whenever the key set may have changed; a cached verification from another generation is redone. */
  generation(): number;
  /** False when a remote key set is due for a refresh: cached verifications are redone (which refreshes it). */
  fresh(): boolean;
  /** Fetches remote keys ahead of the first request (a no-op for local keys). */
  warm(): Promise<void>;
}

function isKeyObject(value: unknown): value is KeyObject {
  return value instanceof KeyObject;
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'CryptoKey'
  );
}

function toPublicKeyObject(name: string, material: PublicKeyMaterial): KeyObject {
  const privateKey = new TypeError(`\`${name}\` is a private key: give the public key only.`);
  try {
    if (typeof material === 'string') {
      if (/PRIVATE KEY/.test(material)) throw privateKey;
      return createPublicKey(material);
    }
    if (material instanceof Uint8Array) {
      return createPublicKey({ key: Buffer.from(material), format: 'der', type: 'spki' });
    }
    if (isKeyObject(material)) {
      if (material.type !== 'public') throw privateKey;
      return material;
    }
    if (isCryptoKey(material)) {
      if (material.type !== 'public') throw privateKey;
      return KeyObject.from(material as unknown as webcrypto.CryptoKey);
    }
    if (typeof material === 'object' && material !== null) {
      const jwk = material as JWK;
      if (jwk.d !== undefined || jwk.kty === 'oct' || 'priv' in jwk) throw privateKey;
      return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    }
  } catch (error) {
    if (error === privateKey) throw error;
    throw new TypeError(
      `\`${name}\` is not a usable public key (PEM or DER SPKI, public JWK, KeyObject or CryptoKey).`,
      { cause: error },
    );
  }
  throw new TypeError(
    `\`${name}\` must be a public key (PEM or DER SPKI, public JWK, KeyObject or CryptoKey).`,
  );
}

/** The algorithms among `algorithms` that `key` can verify. */
function usableAlgorithms(key: KeyObject, algorithms: readonly JwtAlgorithm[]): JwtAlgorithm[] {
  return algorithms.filter((alg) => {
    if (isHmacAlgorithm(alg)) return false;
    const need = keyTypeFor(alg as AsymmetricAlgorithm);
    if (key.asymmetricKeyType !== need.type) return false;
    return need.curve === undefined || key.asymmetricKeyDetails?.namedCurve === need.curve;
  });
}

function checkPublicKey(name: string, key: KeyObject, algorithms: readonly JwtAlgorithm[]): void {
  if (usableAlgorithms(key, algorithms).length === 0) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    throw new TypeError(
      `\`${name}\` is a ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''} key, which verifies none of \`algorithms\` (${algorithms.join(', ')}).`,
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType === 'rsa' && (bits === undefined || bits < 2048)) {
    throw new TypeError(`\`${name}\` is an RSA key of ${bits} bits; at least 2048 are required.`);
  }
}

function staticSource(getKey: JWTVerifyGetKey): KeySource {
  return { getKey, generation: () => 0, fresh: () => true, warm: async () => {} };
}

function localJwksSource(options: LocalJwksKeys, algorithms: readonly JwtAlgorithm[]): KeySource {
  const jwks = options.jwks as unknown;
  if (
    jwks === null ||
    typeof jwks !== 'object' ||
    !Array.isArray((jwks as JSONWebKeySet).keys) ||
    (jwks as JSONWebKeySet).keys.length === 0
  ) {
    throw new TypeError(
      '`keys.jwks` must be a JSON Web Key Set: `{ keys: [...] }` with at least one key.',
    );
  }
  let usable = 0;
  (jwks as JSONWebKeySet).keys.forEach((jwk, i) => {
    const key = toPublicKeyObject(`keys.jwks.keys[${i}]`, jwk);
    if (usableAlgorithms(key, algorithms).length > 0) {
      checkPublicKey(`keys.jwks.keys[${i}]`, key, algorithms);
      usable += 1;
    }
  });
  if (usable === 0) {
    throw new TypeError(
      `No key in \`keys.jwks\` verifies any of \`algorithms\` (${algorithms.join(', ')}).`,
    );
  }
  let local;
  try {
    local = createLocalJWKSet(jwks as JSONWebKeySet);
  } catch (error) {
    throw new TypeError('`keys.jwks` is not a valid JSON Web Key Set.', { cause: error });
  }
  return staticSource(local);
}

function publicKeysSource(options: PublicKeysKeys, algorithms: readonly JwtAlgorithm[]): KeySource {
  if (!Array.isArray(options.keys) || options.keys.length === 0) {
    throw new TypeError('`keys.keys` must be a non-empty array of public keys.');
  }
  const entries = options.keys.map((entry, i) => {
    const name = `keys.keys[${i}]`;
    const wrapped =
      typeof entry === 'object' && entry !== null && 'key' in entry && !('kty' in entry);
    const material = wrapped
      ? (entry as { key: PublicKeyMaterial }).key
      : (entry as PublicKeyMaterial);
    const kid = wrapped ? (entry as { kid?: unknown }).kid : undefined;
    if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
      throw new TypeError(`\`${name}.kid\` must be a non-empty string.`);
    }
    const key = toPublicKeyObject(name, material);
    checkPublicKey(name, key, algorithms);
    return { kid: kid as string | undefined, key, algorithms: usableAlgorithms(key, algorithms) };
  });
  const kids = entries.flatMap((e) => (e.kid === undefined ? [] : [e.kid]));
  if (new Set(kids).size !== kids.length) {
    throw new TypeError('`keys.keys` gives one `kid` to several keys.');
  }
  // A key given without a kid verifies tokens whatever kid they name; a key with a kid only
  // those naming it. Anything ambiguous is refused rather than tried key after key.
  return staticSource(async (header) => {
    const fits = entries.filter((e) => e.algorithms.includes(header.alg as JwtAlgorithm));
    const named = header.kid === undefined ? undefined : fits.find((e) => e.kid === header.kid);
    if (named) return named.key as unknown as CryptoKey;
    const unnamed = fits.filter((e) => e.kid === undefined);
    const pool = header.kid === undefined ? fits : unnamed;
    if (pool.length === 1) return pool[0]!.key as unknown as CryptoKey;
    throw pool.length === 0
      ? new errors.JWKSNoMatchingKey()
      : new errors.JWKSMultipleMatchingKeys();
  });
}

function secretSource(options: SecretKeys, algorithms: readonly HmacAlgorithm[]): KeySource {
  const { secret } = options as { secret: unknown };
  let bytes: Uint8Array;
  if (typeof secret === 'string') bytes = new TextEncoder().encode(secret);
  else if (secret instanceof Uint8Array) bytes = new Uint8Array(secret);
  else throw new TypeError('`keys.secret` must be a string or a Uint8Array.');
  const minimum = minimumSecretBytes(algorithms);
  if (bytes.byteLength < minimum) {
    throw new TypeError(
      `\`keys.secret\` has ${bytes.byteLength * 8} bits; ${algorithms.join(', ')} need at least ${minimum * 8}. Generate one with \`crypto.randomBytes(${minimum})\`.`,
    );
  }
  const imported = new Map<string, Promise<CryptoKey>>();
  return staticSource(async (header) => {
    const alg = header.alg as string;
    let key = imported.get(alg);
    if (!key) {
      key = webcrypto.subtle.importKey(
        'raw',
        bytes,
        { name: 'HMAC', hash: `SHA-${alg.slice(2)}` },
        false,
        ['verify'],
      ) as Promise<unknown> as Promise<CryptoKey>;
      imported.set(alg, key);
    }
    return key;
  });
}

function checkJwksUrl(value: unknown): URL {
  let url: URL;
  try {
    url = new URL(value instanceof URL ? value.href : (value as string));
  } catch {
    throw new TypeError(
      `\`keys.url\` must be an absolute URL, got ${JSON.stringify(String(value))}.`,
    );
  }
  if (url.username || url.password) {
    throw new TypeError('`keys.url` must not carry credentials.');
  }
  const loopback =
    url.hostname === 'localhost' ||
    url.hostname === '[::1]' ||
    /^127(\.\d{1,3}){3}$/.test(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url;
  throw new TypeError(
    `\`keys.url\` must use https: (plain http: only on a loopback host), got ${JSON.stringify(url.href)}.`,
  );
}

async function readCapped(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_JWKS_BYTES) {
    await response.body?.cancel();
    throw new KeysUnavailableError(
      `The JWKS response declares ${declared} bytes, more than ${MAX_JWKS_BYTES}.`,
    );
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_JWKS_BYTES) {
      await reader.cancel();
      throw new KeysUnavailableError(`The JWKS response is larger than ${MAX_JWKS_BYTES} bytes.`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isKeySelectionError(error: unknown): boolean {
  return (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSENotSupported
  );
}

function remoteJwksSource(
  options: RemoteJwksKeys,
  now: () => number,
  onEvent: OnSecurityEvent | undefined,
): KeySource {
  const url = checkJwksUrl(options.url);
  const timeout = Math.round(
    parseDuration(options.timeout ?? JWT_AUTH_DEFAULTS.jwksTimeout, 'keys.timeout'),
  );
  const cooldown = parseDuration(
    options.cooldown ?? JWT_AUTH_DEFAULTS.jwksCooldown,
    'keys.cooldown',
  );
  const cacheMaxAge = parseDuration(
    options.cacheMaxAge ?? JWT_AUTH_DEFAULTS.jwksCacheMaxAge,
    'keys.cacheMaxAge',
  );
  if (timeout < 1) throw new TypeError('`keys.timeout` must be at least 1 ms.');

  let lastFailureAt: number | undefined;
  let lastBody: string | undefined;
  let generation = 0;
  let stale: { generation: number; getKey: JWTVerifyGetKey } | undefined;

  // jose measures its cooldown from the last *successful* fetch, so while the endpoint is down
  // every unknown kid would try again. This gate allows one attempt per cooldown after a failure.
  const guardedFetch: FetchImplementation = async (href, init) => {
    if (lastFailureAt !== undefined && now() - lastFailureAt < cooldown) {
      throw new KeysUnavailableError('The JWKS endpoint failed less than `keys.cooldown` ago.');
    }
    try {
      const response = await fetch(href, init);
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new KeysUnavailableError(`The JWKS endpoint answered HTTP ${response.status}.`);
      }
      const body = await readCapped(response);
      const parsed = JSON.parse(body) as { keys?: unknown };
      if (typeof parsed !== 'object' || parsed === null || !Array.isArray(parsed.keys)) {
        throw new KeysUnavailableError(
          'The JWKS endpoint answered something that is not a key set.',
        );
      }
      if (body !== lastBody) {
        lastBody = body;
        generation += 1;
      }
      lastFailureAt = undefined;
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (error) {
      lastFailureAt = now();
      emitEvent(onEvent, {
        source: 'jwt',
        outcome: 'warning',
        code: 'JWKS_FETCH_FAILED',
        reason: 'The JWKS endpoint could not be read; the keys fetched before stay in use.',
        detail: { url: url.href, error: error instanceof Error ? error.message : String(error) },
      });
      throw error;
    }
  };

  const remote = createRemoteJWKSet(url, {
    timeoutDuration: timeout,
    cooldownDuration: cooldown,
    cacheMaxAge,
    [customFetch]: guardedFetch,
  });

  function staleKeys(): JWTVerifyGetKey | undefined {
    if (stale?.generation === generation) return stale.getKey;
    const jwks = remote.jwks();
    if (!jwks) return undefined;
    stale = { generation, getKey: createLocalJWKSet(jwks) };
    return stale.getKey;
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (isKeySelectionError(error)) throw error;
      // The endpoint failed: keep verifying with the keys fetched before.
      const last = staleKeys();
      if (!last) throw new KeysUnavailableError('No JWKS could be fetched yet.', { cause: error });
      try {
        return await last(header, token);
      } catch (staleError) {
        if (staleError instanceof errors.JWKSNoMatchingKey) {
          throw new KeysUnavailableError(
            'No key fetched before matches the token and the JWKS endpoint is unavailable.',
            { cause: error },
          );
        }
        throw staleError;
      }
    }
  };

  return {
    getKey,
    generation: () => generation,
    fresh: () => remote.fresh,
    async warm() {
      try {
        await remote.reload();
      } catch {
        // Reported by guardedFetch; the first request tries again after the cooldown.
      }
    },
  };
}

const KNOWN_KEY_OPTIONS: Record<KeySourceOptions['type'], readonly string[]> = {
  'remote-jwks': ['type', 'url', 'timeout', 'cooldown', 'cacheMaxAge'],
  jwks: ['type', 'jwks'],
  'public-keys': ['type', 'keys'],
  secret: ['type', 'secret'],
};

/**
 * Builds the key source of `createJwtAuth` from its `keys` option, checking the key material
 * against the algorithm allow-list. Throws a `TypeError` naming the option for unusable keys:
 * a private key, an RSA key under 2048 bits, a key no allowed algorithm can use, a short HMAC
 * secret, a JWKS URL that is not https (outside loopback).
 */
export function createKeySource(
  keys: KeySourceOptions,
  algorithms: readonly JwtAlgorithm[],
  now: () => number,
  onEvent: OnSecurityEvent | undefined,
): KeySource {
  assertKnownKeys('keys', keys, KNOWN_KEY_OPTIONS[keys.type]);
  switch (keys.type) {
    case 'remote-jwks':
      return remoteJwksSource(keys, now, onEvent);
    case 'jwks':
      return localJwksSource(keys, algorithms);
    case 'public-keys':
      return publicKeysSource(keys, algorithms);
    case 'secret':
      return secretSource(keys, algorithms as readonly HmacAlgorithm[]);
  }
}
