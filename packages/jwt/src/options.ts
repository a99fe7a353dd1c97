import type { KeyObject } from 'node:crypto';
import {
  assertFunction,
  assertKnownKeys,
  assertNonEmptyString,
  assertObject,
  assertOneOf,
  assertPositiveInteger,
  assertBoolean,
  parseDuration,
  withDefaults,
} from '@bulwark/core';
import type { Duration, OnSecurityEvent, RevocationList } from '@bulwark/core';
import type { CryptoKey, JSONWebKeySet, JWK } from 'jose';
import {
  ASYMMETRIC_ALGORITHMS,
  HMAC_ALGORITHMS,
  JWT_ALGORITHMS,
  isHmacAlgorithm,
  isJwtAlgorithm,
} from './algorithms.js';
import type { AsymmetricAlgorithm, HmacAlgorithm, JwtAlgorithm } from './algorithms.js';

/**
 * Keys from the issuer's JWKS endpoint (its `jwks_uri`), fetched with jose's
 * `createRemoteJWKSet`.
 *
 * Security: the URL is the only place keys come from; a token's `jku`, `x5u`, `jwk` or `kid`
 * never chooses another. Only `https:` is accepted, or `http:` on a loopback host (tests, a
 * sidecar). Redirects are not followed.
 */
export interface RemoteJwksKeys {
  readonly type: 'remote-jwks';
  /** The JWKS URL, e.g. `https://idp.example.com/.well-known/jwks.json`. */
  readonly url: string | URL;
  /** How long one fetch may take before it is abandoned. @default '5s' */
  readonly timeout?: Duration | undefined;
  /**
   * After a fetch, how long before a token with an unknown `kid` may trigger another one; after
   * a failed fetch, how long before the endpoint is tried again. Bounds what a flood of random
   * `kid`s can make us send to the identity provider: one request per cooldown. @default '30s'
   */
  readonly cooldown?: Duration | undefined;
  /**
   * How long fetched keys are used before they are fetched again. When the endpoint is down at
   * that moment, the keys last fetched stay in use. @default '10m'
   */
  readonly cacheMaxAge?: Duration | undefined;
}

/** A JSON Web Key Set held in memory (public keys only). */
export interface LocalJwksKeys {
  readonly type: 'jwks';
  /** `{ keys: [...] }`; every key must be public. */
  readonly jwks: JSONWebKeySet;
}

/** Public key material: a PEM (SPKI) string, DER (SPKI) bytes, a public JWK, a `KeyObject` or a `CryptoKey`. */
export type PublicKeyMaterial = string | Uint8Array | JWK | KeyObject | CryptoKey;

/** Public keys given one by one. */
export interface PublicKeysKeys {
  readonly type: 'public-keys';
  /**
   * The keys. Give each a `kid` when there are several of one type: a token without a `kid`
   * that matches more than one key is refused.
   */
  readonly keys: readonly (
    PublicKeyMaterial | { readonly key: PublicKeyMaterial; readonly kid?: string }
  )[];
}

/**
 * A shared HMAC secret. A string is used as its UTF-8 bytes.
 *
 * Security: refused when shorter than the hash (256 bits for HS256, 384 for HS384, 512 for
 * HS512). Every service holding the secret can mint tokens: prefer asymmetric keys.
 */
export interface SecretKeys {
  readonly type: 'secret';
  readonly secret: string | Uint8Array;
}

/** Where verification keys come from: exactly one source. */
export type KeySourceOptions = RemoteJwksKeys | LocalJwksKeys | PublicKeysKeys | SecretKeys;

/**
 * Where a token is read from. Tokens in the URL query (`?access_token=`) are never read: URLs end
 * up in logs, proxies and browser history.
 */
export type TokenSource =
  | { readonly from: 'authorization-header' }
  | {
      readonly from: 'cookie';
      /**
       * The cookie's name. Security: a cookie is sent by the browser on its own, so keep
       * Apollo's CSRF prevention on and set the cookie `HttpOnly; Secure; SameSite=Strict`.
       */
      readonly name: string;
    };

/** How verified claims become a `Principal`. Scopes always come from `scope` and `scp`. */
export interface ClaimMapping {
  /** The claim holding the subject; it must be a non-empty string. @default 'sub' */
  readonly subject?: string | undefined;
  /**
   * Path to the roles claim: dotted (`'realm_access.roles'`) or as segments when a claim name
   * has dots (`['https://example.com/roles']`). An array of strings or one string. @default 'roles'
   */
  readonly roles?: string | readonly string[] | undefined;
}

/** Revocation: a list of revoked token ids (`jti`) checked on every use of a token. */
export interface RevocationOptions {
  /** The list: `createMemoryRevocationList()`, `RedisRevocationList` from `@bulwark/redis`, or yours. */
  readonly list: RevocationList;
  /**
   * What to do when the list cannot answer (Redis down, timeout): `'fail-closed'` refuses the
   * request with 503 `SERVICE_UNAVAILABLE`; `'fail-open'` lets the token through and emits a
   * warning event. @default 'fail-closed'
   */
  readonly onError?: 'fail-closed' | 'fail-open' | undefined;
  /**
   * Refuse tokens without a `jti`: they could never be revoked. @default true
   */
  readonly requireTokenId?: boolean | undefined;
}

/** The verified-token cache. */
export interface TokenCacheOptions {
  /** Most tokens kept. @default 10000 */
  readonly max?: number | undefined;
}

/** Options every key source shares. */
export interface JwtAuthBaseOptions {
  /** The accepted `iss` value(s). Required: a token from another issuer is refused. */
  readonly issuer: string | readonly string[];
  /** The accepted `aud` value(s); a token must name at least one. Required. */
  readonly audience: string | readonly string[];
  /**
   * `'required'`: a request without a token is refused with 401. `'optional'`: it goes on with
   * `principal: null`; a token that is present but bad is refused either way. @default 'required'
   */
  readonly mode?: 'required' | 'optional' | undefined;
  /** Leeway for `exp`, `nbf` and `iat`, at most 5 minutes. @default '5s' */
  readonly clockTolerance?: Duration | undefined;
  /** Refuse tokens whose `iat` is older than this (and require `iat`). @default undefined (no limit) */
  readonly maxTokenAge?: Duration | undefined;
  /** Claims that must be present, on top of `exp`, `iss`, `aud` and the subject claim. @default [] */
  readonly requiredClaims?: readonly string[] | undefined;
  /** Required `typ` header, e.g. `'at+jwt'` for RFC 9068 access tokens. @default undefined (not checked) */
  readonly typ?: string | undefined;
  /** Longest token accepted, in characters; a longer one is refused before any parsing. @default 8192 */
  readonly maxTokenLength?: number | undefined;
  /** Where tokens are read, in order; a request carrying a token in more than one is refused. @default [{ from: 'authorization-header' }] */
  readonly tokenSources?: readonly TokenSource[] | undefined;
  /** Claims → principal. @default { subject: 'sub', roles: 'roles' } */
  readonly claims?: ClaimMapping | undefined;
  /**
   * Verified-token cache: a repeated token skips the signature check; `exp`, `nbf` and
   * revocation are still checked on every use, and an entry never outlives its token. `false`
   * turns it off. @default { max: 10000 }
   */
  readonly cache?: TokenCacheOptions | false | undefined;
  /** Revocation list checked on every request. @default undefined (no revocation) */
  readonly revocation?: RevocationOptions | undefined;
  /** `realm` of the `WWW-Authenticate` challenge. @default undefined (no realm) */
  readonly realm?: string | undefined;
  /** Receives a `SecurityEvent` for every refusal, with the detail the client is not told. */
  readonly onEvent?: OnSecurityEvent | undefined;
  /** The clock, ms since the epoch (tests inject one). @default Date.now */
  readonly now?: (() => number) | undefined;
}

/**
 * Options of `createJwtAuth`. The algorithm allow-list, issuer and audience are required; the
 * algorithms decide which key source fits: HMAC algorithms take a `secret`, asymmetric ones a
 * JWKS or public keys. Mixing the two families is refused.
 */
export type JwtAuthOptions = JwtAuthBaseOptions &
  (
    | {
        /** The accepted algorithms. The token's `alg` header never widens this list. */
        readonly algorithms: readonly AsymmetricAlgorithm[];
        readonly keys: RemoteJwksKeys | LocalJwksKeys | PublicKeysKeys;
      }
    | {
        /** The accepted algorithms. The token's `alg` header never widens this list. */
        readonly algorithms: readonly HmacAlgorithm[];
        readonly keys: SecretKeys;
      }
  );

/** Defaults of the optional settings of {@link JwtAuthOptions}. */
export const JWT_AUTH_DEFAULTS = Object.freeze({
  mode: 'required' as 'required' | 'optional',
  clockTolerance: '5s' as Duration,
  maxTokenLength: 8192 as number,
  tokenSources: Object.freeze([
    Object.freeze({ from: 'authorization-header' }),
  ]) as readonly TokenSource[],
  subjectClaim: 'sub',
  rolesClaim: 'roles' as string | readonly string[],
  cacheMax: 10_000,
  revocationOnError: 'fail-closed' as 'fail-closed' | 'fail-open',
  requireTokenId: true,
  jwksTimeout: '5s' as Duration,
  jwksCooldown: '30s' as Duration,
  jwksCacheMaxAge: '10m' as Duration,
});

/** The options after validation, with defaults applied and durations in milliseconds. */
export interface ResolvedJwtAuthOptions {
  readonly issuer: readonly string[];
  readonly audience: readonly string[];
  readonly algorithms: readonly JwtAlgorithm[];
  readonly keys: KeySourceOptions;
  readonly mode: 'required' | 'optional';
  readonly clockToleranceMs: number;
  readonly maxTokenAgeMs: number | undefined;
  readonly requiredClaims: readonly string[];
  readonly typ: string | undefined;
  readonly maxTokenLength: number;
  readonly tokenSources: readonly TokenSource[];
  readonly subjectClaim: string;
  readonly rolesPath: readonly string[];
  readonly cacheMax: number | false;
  readonly revocation:
    | { list: RevocationList; onError: 'fail-closed' | 'fail-open'; requireTokenId: boolean }
    | undefined;
  readonly realm: string | undefined;
  readonly onEvent: OnSecurityEvent | undefined;
  readonly now: () => number;
}

const KNOWN_OPTIONS = [
  'issuer',
  'audience',
  'algorithms',
  'keys',
  'mode',
  'clockTolerance',
  'maxTokenAge',
  'requiredClaims',
  'typ',
  'maxTokenLength',
  'tokenSources',
  'claims',
  'cache',
  'revocation',
  'realm',
  'onEvent',
  'now',
];

const MAX_CLOCK_TOLERANCE_MS = 5 * 60_000;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function stringList(name: string, value: unknown): string[] {
  if (typeof value === 'string') {
    assertNonEmptyString(name, value);
    return [value];
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(
      `\`${name}\` must be a non-empty string or a non-empty array of strings, got ${value === undefined ? 'nothing' : JSON.stringify(value)}.`,
    );
  }
  value.forEach((v, i) => assertNonEmptyString(`${name}[${i}]`, v));
  return [...(value as string[])];
}

function resolveAlgorithms(value: unknown): JwtAlgorithm[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(
      `\`algorithms\` must be a non-empty array such as ["RS256"]: the server pins the algorithms, never the token.`,
    );
  }
  const out: JwtAlgorithm[] = [];
  for (const alg of value as unknown[]) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      throw new TypeError(
        '`algorithms` must not include "none": unsigned tokens are never accepted.',
      );
    }
    if (typeof alg !== 'string' || !isJwtAlgorithm(alg)) {
      throw new TypeError(
        `\`algorithms\` has an unknown algorithm ${JSON.stringify(alg)}; supported: ${JWT_ALGORITHMS.join(', ')}.`,
      );
    }
    if (!out.includes(alg)) out.push(alg);
  }
  const hmac = out.filter(isHmacAlgorithm);
  if (hmac.length > 0 && hmac.length < out.length) {
    throw new TypeError(
      `\`algorithms\` mixes symmetric (${hmac.join(', ')}) and asymmetric (${out.filter((a) => !isHmacAlgorithm(a)).join(', ')}) algorithms: a public key must never be usable as an HMAC secret.`,
    );
  }
  return out;
}

function resolveTokenSources(value: unknown): readonly TokenSource[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError('`tokenSources` must be a non-empty array.');
  }
  return value.map((source: unknown, i) => {
    const name = `tokenSources[${i}]`;
    assertObject(name, source);
    assertOneOf(`${name}.from`, source.from, ['authorization-header', 'cookie']);
    if (source.from === 'authorization-header') {
      assertKnownKeys(name, source, ['from']);
      return { from: 'authorization-header' } as const;
    }
    assertKnownKeys(name, source, ['from', 'name']);
    assertNonEmptyString(`${name}.name`, source.name);
    if (!COOKIE_NAME.test(source.name)) {
      throw new TypeError(
        `\`${name}.name\` must be a cookie name, got ${JSON.stringify(source.name)}.`,
      );
    }
    return { from: 'cookie', name: source.name } as const;
  });
}

function resolveRolesPath(value: unknown): string[] {
  const segments = typeof value === 'string' ? value.split('.') : value;
  if (!Array.isArray(segments) || segments.length === 0) {
    throw new TypeError(
      '`claims.roles` must be a claim path: a dotted string or an array of segments.',
    );
  }
  segments.forEach((s, i) => assertNonEmptyString(`claims.roles[${i}]`, s));
  return [...(segments as string[])];
}

function resolveRevocation(value: unknown): ResolvedJwtAuthOptions['revocation'] {
  if (value === undefined) return undefined;
  assertObject('revocation', value);
  assertKnownKeys('revocation', value, ['list', 'onError', 'requireTokenId']);
  const list = value.list as Partial<RevocationList> | undefined;
  if (!list || typeof list.isRevoked !== 'function' || typeof list.revoke !== 'function') {
    throw new TypeError(
      '`revocation.list` must be a RevocationList (an object with `isRevoked` and `revoke`).',
    );
  }
  const onError = value.onError ?? JWT_AUTH_DEFAULTS.revocationOnError;
  assertOneOf('revocation.onError', onError, ['fail-closed', 'fail-open']);
  const requireTokenId = value.requireTokenId ?? JWT_AUTH_DEFAULTS.requireTokenId;
  assertBoolean('revocation.requireTokenId', requireTokenId);
  return { list: list as RevocationList, onError, requireTokenId };
}

function resolveCache(value: unknown): number | false {
  if (value === false) return false;
  if (value === undefined) return JWT_AUTH_DEFAULTS.cacheMax;
  assertObject('cache', value);
  assertKnownKeys('cache', value, ['max']);
  const max = value.max ?? JWT_AUTH_DEFAULTS.cacheMax;
  assertPositiveInteger('cache.max', max);
  return max;
}

/**
 * Validates `createJwtAuth` options and resolves their defaults, once. Throws a `TypeError`
 * naming the option for anything missing, malformed or unsafe. Key material is checked where
 * the key source is built.
 */
export function resolveJwtAuthOptions(options: JwtAuthOptions): ResolvedJwtAuthOptions {
  assertObject('options', options);
  assertKnownKeys('createJwtAuth', options, KNOWN_OPTIONS);
  const issuer = stringList('issuer', options.issuer);
  const audience = stringList('audience', options.audience);
  const algorithms = resolveAlgorithms(options.algorithms);
  assertObject('keys', options.keys);
  assertOneOf('keys.type', options.keys.type, ['remote-jwks', 'jwks', 'public-keys', 'secret']);
  if (options.keys.type === 'secret' && !isHmacAlgorithm(algorithms[0]!)) {
    throw new TypeError(
      `\`keys\` is a shared secret but \`algorithms\` are asymmetric (${algorithms.join(', ')}): a secret verifies only ${HMAC_ALGORITHMS.join(', ')}.`,
    );
  }
  if (options.keys.type !== 'secret' && isHmacAlgorithm(algorithms[0]!)) {
    throw new TypeError(
      `\`algorithms\` are HMAC (${algorithms.join(', ')}) but \`keys\` holds public keys: HMAC needs \`{ type: 'secret' }\`; public keys verify only ${ASYMMETRIC_ALGORITHMS.join(', ')}.`,
    );
  }

  const o = withDefaults(
    {
      mode: JWT_AUTH_DEFAULTS.mode,
      clockTolerance: JWT_AUTH_DEFAULTS.clockTolerance,
      maxTokenLength: JWT_AUTH_DEFAULTS.maxTokenLength,
      tokenSources: JWT_AUTH_DEFAULTS.tokenSources,
      requiredClaims: [] as readonly string[],
      now: () => Date.now(),
    },
    {
      mode: options.mode,
      clockTolerance: options.clockTolerance,
      maxTokenLength: options.maxTokenLength,
      tokenSources: options.tokenSources,
      requiredClaims: options.requiredClaims,
      now: options.now,
    },
  );
  assertOneOf('mode', o.mode, ['required', 'optional']);
  const clockToleranceMs = parseDuration(o.clockTolerance, 'clockTolerance');
  if (clockToleranceMs > MAX_CLOCK_TOLERANCE_MS) {
    throw new TypeError(
      `\`clockTolerance\` must be at most 5 minutes, got ${clockToleranceMs} ms: a wide tolerance keeps expired tokens alive.`,
    );
  }
  const maxTokenAgeMs =
    options.maxTokenAge === undefined
      ? undefined
      : parseDuration(options.maxTokenAge, 'maxTokenAge');
  if (!Array.isArray(o.requiredClaims)) {
    throw new TypeError('`requiredClaims` must be an array of claim names.');
  }
  o.requiredClaims.forEach((c, i) => assertNonEmptyString(`requiredClaims[${i}]`, c));
  if (options.typ !== undefined) assertNonEmptyString('typ', options.typ);
  assertPositiveInteger('maxTokenLength', o.maxTokenLength);
  const tokenSources = resolveTokenSources(o.tokenSources);
  if (options.claims !== undefined) {
    assertObject('claims', options.claims);
    assertKnownKeys('claims', options.claims, ['subject', 'roles']);
  }
  const subjectClaim = options.claims?.subject ?? JWT_AUTH_DEFAULTS.subjectClaim;
  assertNonEmptyString('claims.subject', subjectClaim);
  const rolesPath = resolveRolesPath(options.claims?.roles ?? JWT_AUTH_DEFAULTS.rolesClaim);
  if (options.realm !== undefined) {
    assertNonEmptyString('realm', options.realm);
    if (/["\\\r\n]/.test(options.realm)) {
      throw new TypeError('`realm` must not contain quotes, backslashes or line breaks.');
    }
  }
  if (options.onEvent !== undefined) assertFunction('onEvent', options.onEvent);
  assertFunction('now', o.now);

  return {
    issuer,
    audience,
    algorithms,
    keys: options.keys,
    mode: o.mode,
    clockToleranceMs,
    maxTokenAgeMs,
    requiredClaims: [...o.requiredClaims],
    typ: options.typ,
    maxTokenLength: o.maxTokenLength,
    tokenSources,
    subjectClaim,
    rolesPath,
    cacheMax: resolveCache(options.cache),
    revocation: resolveRevocation(options.revocation),
    realm: options.realm,
    onEvent: options.onEvent,
    now: o.now,
  };
}
