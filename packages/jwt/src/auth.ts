import { emitEvent } from '@bulwark/core';
import type { AuthContext, BulwarkError, Principal } from '@bulwark/core';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWTVerifyOptions } from 'jose';
import { VerifiedTokenCache, checkTokenTimes } from './cache.js';
import type { TimeFailure } from './cache.js';
import { ClaimMappingError, principalFromClaims } from './claims.js';
import { BASIC_AUTH_MESSAGE, authUnavailableError, unauthenticatedError } from './errors.js';
import type { AuthFailureReason } from './errors.js';
import { isCompactJws, locateToken } from './extract.js';
import type { AuthRequest, Extraction, TokenLocation } from './extract.js';
import { KeysUnavailableError, createKeySource } from './keys.js';
import type { KeySource } from './keys.js';
import { resolveJwtAuthOptions } from './options.js';
import type { JwtAuthOptions, ResolvedJwtAuthOptions } from './options.js';
import { createJwtPlugin } from './plugin.js';

/** What a context function receives: Apollo's standalone server and Express 5 both pass `{ req }`. */
export interface ContextFunctionArgument {
  readonly req: AuthRequest;
}

/** The result of {@link createJwtAuth}. */
export interface JwtAuth {
  /**
   * Authenticates a request: its principal, or `null` when it carries no token and the mode is
   * `'optional'`. Throws `UnauthenticatedError` (401, `WWW-Authenticate`, `extensions.reason`)
   * for anything else it refuses, and `ServiceUnavailableError` (503) when keys or the
   * revocation list cannot be reached.
   */
  authenticate(request: AuthRequest): Promise<Principal | null>;
  /**
   * A context function for `startStandaloneServer` and `@as-integrations/express5`'s
   * `expressMiddleware`: `{ auth: { principal } }`. Pass `build` to add your own fields; `auth`
   * is set last and cannot be overridden. A refusal is thrown as the coded error, which Apollo
   * Server answers with its status and headers (never a 500) before any GraphQL work.
   */
  context(): (arg: ContextFunctionArgument) => Promise<{ auth: AuthContext }>;
  context<TArg extends ContextFunctionArgument, TContext extends object>(
    build: (arg: TArg, auth: AuthContext) => TContext | Promise<TContext>,
  ): (arg: TArg) => Promise<Omit<TContext, 'auth'> & { auth: AuthContext }>;
  /**
   * The Apollo Server plugin: fetches remote keys at startup, refuses operations whose context
   * has no `auth` (a missing context function must not read as anonymous) in `'required'` mode,
   * and adds the RFC 6750 `WWW-Authenticate` challenge to any `UNAUTHENTICATED` response that
   * lacks one (e.g. an `@authenticated` field in `'optional'` mode).
   */
  plugin(): ApolloServerPlugin<BaseContext>;
  /** Drops every verified token from the cache. */
  clearCache(): void;
}

const MAX_EVENT_STRING = 128;

function clip(value: unknown): string | undefined {
  return typeof value === 'string' ? value.slice(0, MAX_EVENT_STRING) : undefined;
}

/** Header fields for events: what the token claims, not trusted, clipped. */
function headerDetail(token: string): { kid?: string; alg?: string } {
  try {
    const header = decodeProtectedHeader(token);
    return { kid: clip(header.kid), alg: clip(header.alg) };
  } catch {
    return {};
  }
}

const EXTRACTION_REASONS: Record<
  Exclude<Extraction, { kind: 'none' | 'token' }>['failure'],
  [AuthFailureReason, string]
> = {
  'basic-scheme': [
    'TOKEN_MISSING',
    'The request used Basic authentication, which is not accepted.',
  ],
  'other-scheme': ['TOKEN_MISSING', 'The Authorization header uses a scheme other than Bearer.'],
  empty: ['TOKEN_INVALID', 'The bearer token is empty.'],
  'too-long': ['TOKEN_INVALID', 'The token is longer than `maxTokenLength`; it was not parsed.'],
  malformed: ['TOKEN_INVALID', 'The token is not a compact JWS (three base64url segments).'],
  duplicate: ['TOKEN_INVALID', 'The request carries the token source twice.'],
  'several-sources': ['TOKEN_INVALID', 'The request carries tokens in more than one source.'],
};

const TIME_FAILURES: Record<TimeFailure, [AuthFailureReason, string, string]> = {
  exp: ['TOKEN_EXPIRED', 'exp', 'The token has expired.'],
  nbf: ['TOKEN_INVALID', 'nbf', 'The token is not valid yet ("nbf" is in the future).'],
  'iat-too-old': ['TOKEN_EXPIRED', 'iat', 'The token is older than `maxTokenAge`.'],
  'iat-in-future': ['TOKEN_INVALID', 'iat', 'The token was issued in the future ("iat").'],
};

interface Refusal {
  reason: AuthFailureReason;
  sentence: string;
  detail: Record<string, unknown>;
  subject?: string | undefined;
}

function joseRefusal(error: unknown): Refusal {
  if (error instanceof errors.JWTExpired) {
    return {
      reason: 'TOKEN_EXPIRED',
      sentence: `The token failed the "${error.claim}" time check: ${error.message}.`,
      detail: { check: 'time', claim: error.claim },
      subject: clip(error.payload.sub),
    };
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return {
      reason: 'TOKEN_INVALID',
      sentence: `The token failed the "${error.claim}" claim check (${error.reason}).`,
      detail: { check: 'claim', claim: error.claim, failure: error.reason },
      subject: clip(error.payload.sub),
    };
  }
  if (error instanceof ClaimMappingError) {
    return {
      reason: 'TOKEN_INVALID',
      sentence: error.message,
      detail: { check: 'claim', claim: error.claim, failure: 'invalid' },
    };
  }
  const check =
    error instanceof errors.JOSEAlgNotAllowed
      ? 'algorithm'
      : error instanceof errors.JWSSignatureVerificationFailed
        ? 'signature'
        : error instanceof errors.JWKSNoMatchingKey ||
            error instanceof errors.JWKSMultipleMatchingKeys
          ? 'key'
          : error instanceof errors.JOSEError
            ? 'format'
            : 'other';
  return {
    reason: 'TOKEN_INVALID',
    sentence: `The token was refused by the ${check} check.`,
    detail: { check },
  };
}

class JwtAuthImpl implements JwtAuth {
  readonly #o: ResolvedJwtAuthOptions;
  readonly #keys: KeySource;
  readonly #cache: VerifiedTokenCache | undefined;
  readonly #requiredClaims: string[];
  readonly #toleranceSec: number;
  readonly #maxTokenAgeSec: number | undefined;
  readonly #verifyOptions: JWTVerifyOptions;

  constructor(options: JwtAuthOptions) {
    this.#o = resolveJwtAuthOptions(options);
    const o = this.#o;
    this.#keys = createKeySource(o.keys, o.algorithms, o.now, o.onEvent);
    this.#cache = o.cacheMax === false ? undefined : new VerifiedTokenCache(o.cacheMax, o.now);
    const required = new Set([...o.requiredClaims, 'exp', 'iss', 'aud', o.subjectClaim]);
    if (o.revocation?.requireTokenId) required.add('jti');
    this.#requiredClaims = [...required];
    this.#toleranceSec = o.clockToleranceMs / 1000;
    this.#maxTokenAgeSec = o.maxTokenAgeMs === undefined ? undefined : o.maxTokenAgeMs / 1000;
    this.#verifyOptions = {
      algorithms: [...o.algorithms],
      issuer: [...o.issuer],
      audience: [...o.audience],
      clockTolerance: this.#toleranceSec,
      maxTokenAge: this.#maxTokenAgeSec,
      requiredClaims: this.#requiredClaims,
      typ: o.typ,
    };
  }

  async authenticate(request: AuthRequest): Promise<Principal | null> {
    const o = this.#o;
    const extraction = locateToken(request, o.tokenSources, o.maxTokenLength);
    if (extraction.kind === 'none') {
      if (o.mode === 'optional') return null;
      throw this.#refuse(
        {
          reason: 'TOKEN_MISSING',
          sentence: 'The request carries no access token.',
          detail: { check: 'presence' },
        },
        undefined,
      );
    }
    if (extraction.kind === 'refused') throw this.#refuseExtraction(extraction);
    const { token, from } = extraction;
    const nowMs = o.now();
    const key = this.#cache?.key(token);
    const principal =
      this.#fromCache(key, from, nowMs) ?? (await this.#verifyAndCache(token, key, from, nowMs));
    if (o.revocation) await this.#checkRevocation(principal, from);
    return principal;
  }

  #refuseExtraction(extraction: Extract<Extraction, { kind: 'refused' }>): BulwarkError {
    const [reason, sentence] = EXTRACTION_REASONS[extraction.failure];
    return this.#refuse(
      { reason, sentence, detail: { check: extraction.failure, length: extraction.length } },
      extraction.from,
      extraction.failure === 'basic-scheme' ? BASIC_AUTH_MESSAGE : undefined,
    );
  }

  /** The principal of a cached verification still valid at `nowMs`; throws if its time is up. */
  #fromCache(key: string | undefined, from: TokenLocation, nowMs: number): Principal | undefined {
    if (key === undefined) return undefined;
    const cache = this.#cache!;
    const hit = cache.get(key);
    if (!hit || hit.generation !== this.#keys.generation() || !this.#keys.fresh()) return undefined;
    const failure = checkTokenTimes(hit, nowMs, this.#toleranceSec, this.#maxTokenAgeSec);
    if (failure === undefined) return hit.principal;
    cache.delete(key);
    const [reason, claim, sentence] = TIME_FAILURES[failure];
    throw this.#refuse(
      {
        reason,
        sentence,
        detail: { check: 'time', claim, cached: true },
        subject: hit.principal.subject,
      },
      from,
    );
  }

  async #verifyAndCache(
    token: string,
    key: string | undefined,
    from: TokenLocation,
    nowMs: number,
  ): Promise<Principal> {
    if (!isCompactJws(token)) {
      throw this.#refuseExtraction({ kind: 'refused', failure: 'malformed', from });
    }
    const principal = await this.#verify(token, from, nowMs);
    if (key !== undefined && principal.expiresAt !== undefined) {
      const { claims } = principal;
      this.#cache!.set(
        key,
        {
          principal,
          exp: principal.expiresAt,
          nbf: typeof claims.nbf === 'number' ? claims.nbf : undefined,
          iat: principal.issuedAt,
          generation: this.#keys.generation(),
        },
        (principal.expiresAt + this.#toleranceSec) * 1000 - nowMs,
      );
    }
    return principal;
  }

  async #verify(token: string, from: TokenLocation, nowMs: number): Promise<Principal> {
    const o = this.#o;
    try {
      const { payload } = await jwtVerify(token, this.#keys.getKey, {
        ...this.#verifyOptions,
        currentDate: new Date(nowMs),
      });
      return principalFromClaims(payload as Record<string, unknown>, o.subjectClaim, o.rolesPath);
    } catch (error) {
      if (error instanceof KeysUnavailableError) throw this.#unavailable('keys', error, token);
      const refusal = joseRefusal(error);
      refusal.detail = {
        ...refusal.detail,
        ...headerDetail(token),
        error: error instanceof errors.JOSEError ? error.code : (error as Error)?.name,
        message: error instanceof Error ? error.message : String(error),
      };
      throw this.#refuse(refusal, from);
    }
  }

  async #checkRevocation(principal: Principal, from: TokenLocation): Promise<void> {
    const revocation = this.#o.revocation!;
    if (principal.tokenId === undefined) {
      if (!revocation.requireTokenId) return;
      // `jti` is present (jose checked) but not a non-empty string: it could never be revoked.
      throw this.#refuse(
        {
          reason: 'TOKEN_INVALID',
          sentence: 'The "jti" claim must be a non-empty string when revocation is on.',
          detail: { check: 'claim', claim: 'jti', failure: 'invalid' },
          subject: principal.subject,
        },
        from,
      );
    }
    let revoked: unknown;
    try {
      revoked = await revocation.list.isRevoked(principal.tokenId);
    } catch (error) {
      if (revocation.onError === 'fail-open') {
        emitEvent(this.#o.onEvent, {
          source: 'jwt',
          outcome: 'warning',
          code: 'REVOCATION_CHECK_FAILED',
          reason:
            'The revocation list could not be read; the token was accepted (`onError: fail-open`).',
          subject: principal.subject,
          detail: { tokenId: principal.tokenId, error: (error as Error)?.message },
        });
        return;
      }
      throw this.#unavailable('revocation', error, undefined, principal.subject);
    }
    // Anything but a plain `false` counts as revoked.
    if (revoked !== false) {
      throw this.#refuse(
        {
          reason: 'TOKEN_REVOKED',
          sentence: 'The token has been revoked.',
          detail: { check: 'revocation', tokenId: principal.tokenId },
          subject: principal.subject,
        },
        from,
      );
    }
  }

  #refuse(refusal: Refusal, from: TokenLocation | undefined, message?: string): BulwarkError {
    emitEvent(this.#o.onEvent, {
      source: 'jwt',
      outcome: 'rejected',
      code: 'UNAUTHENTICATED',
      reason: refusal.sentence,
      subject: refusal.subject,
      detail: { reason: refusal.reason, from, ...refusal.detail },
    });
    return unauthenticatedError(refusal.reason, this.#o.realm, refusal.sentence, message);
  }

  #unavailable(
    what: 'keys' | 'revocation',
    error: unknown,
    token: string | undefined,
    subject?: string,
  ): BulwarkError {
    const sentence =
      what === 'keys'
        ? 'The verification keys could not be obtained; the request was refused (fail closed).'
        : 'The revocation list could not be read; the request was refused (fail closed).';
    emitEvent(this.#o.onEvent, {
      source: 'jwt',
      outcome: 'rejected',
      code: 'SERVICE_UNAVAILABLE',
      reason: sentence,
      subject,
      detail: {
        check: what,
        ...(token === undefined ? {} : headerDetail(token)),
        error: error instanceof Error ? error.message : String(error),
      },
    });
    return authUnavailableError(sentence, error);
  }

  context(): (arg: ContextFunctionArgument) => Promise<{ auth: AuthContext }>;
  context<TArg extends ContextFunctionArgument, TContext extends object>(
    build: (arg: TArg, auth: AuthContext) => TContext | Promise<TContext>,
  ): (arg: TArg) => Promise<Omit<TContext, 'auth'> & { auth: AuthContext }>;
  context<TArg extends ContextFunctionArgument, TContext extends object>(
    build?: (arg: TArg, auth: AuthContext) => TContext | Promise<TContext>,
  ): (arg: TArg) => Promise<{ auth: AuthContext }> {
    return async (arg: TArg) => {
      const auth: AuthContext = Object.freeze({ principal: await this.authenticate(arg.req) });
      if (!build) return { auth };
      return { ...(await build(arg, auth)), auth };
    };
  }

  plugin(): ApolloServerPlugin<BaseContext> {
    return createJwtPlugin({
      mode: this.#o.mode,
      realm: this.#o.realm,
      onEvent: this.#o.onEvent,
      warm: () => this.#keys.warm(),
    });
  }

  clearCache(): void {
    this.#cache?.clear();
  }
}

/**
 * Creates JWT authentication for a GraphQL server: bearer token extraction, verification with
 * jose against pinned algorithms, issuer and audience, claims → `Principal`, a verified-token
 * cache and revocation.
 *
 * Throws a `TypeError` naming the option for a missing issuer, audience or algorithm list,
 * `none` or an unknown algorithm, symmetric and asymmetric algorithms mixed, an HMAC secret
 * shorter than its hash, a private or too-small public key, a plain-http JWKS URL outside
 * loopback.
 *
 * Security: the key comes only from `keys`; a token's `alg` never widens `algorithms`, and its
 * `jku`, `x5u`, `jwk` and `kid` headers never choose where keys come from (`kid` only picks
 * among configured keys). Tokens in the URL are never read. `exp` is required.
 *
 * @example
 * ```ts
 * const jwt = createJwtAuth({
 *   issuer: 'https://idp.example.com/',
 *   audience: 'https://api.example.com',
 *   algorithms: ['RS256'],
 *   keys: { type: 'remote-jwks', url: 'https://idp.example.com/.well-known/jwks.json' },
 * });
 * const server = new ApolloServer({ typeDefs, resolvers, plugins: [jwt.plugin()] });
 * await startStandaloneServer(server, { context: jwt.context() });
 * ```
 */
export function createJwtAuth(options: JwtAuthOptions): JwtAuth {
  return new JwtAuthImpl(options);
}
