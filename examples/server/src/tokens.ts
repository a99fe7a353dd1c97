import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JSONWebKeySet } from 'jose';
import type { Principal, RevocationList } from '@bulwark/core';

/** Options of {@link createTokenService}. */
export interface TokenServiceOptions {
  /** `iss` of issued tokens, and the only issuer the verifier accepts. */
  issuer: string;
  /** `aud` of issued access tokens. */
  audience: string;
  /** Access token lifetime in seconds. @default 900 (15 minutes) */
  accessTokenTtl?: number;
  /** Refresh token lifetime in seconds. @default 43200 (12 hours) */
  refreshTokenTtl?: number;
  /** Most refresh-token families (sessions) kept; the oldest is dropped beyond. @default 100000 */
  maxSessions?: number;
  /** Where logout and refresh-token reuse revoke access tokens. */
  revocations: RevocationList;
  /** The clock, ms since the epoch. @default Date.now */
  now?: () => number;
}

/** What `login` and `refreshToken` return, minus the user. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

/** Why a refresh token was refused. */
export type RefreshRefusal = 'unknown' | 'expired' | 'reused' | 'revoked';

/** The account a token is issued for. */
export interface TokenSubject {
  id: string;
  role: string;
}

/** Issues and revokes the example's tokens. */
export interface TokenService {
  /** The public key set that verifies access tokens (served at `/.well-known/jwks.json`). */
  readonly jwks: JSONWebKeySet;
  /** Opens a session: an access token and the first refresh token of a new family. */
  issue(subject: TokenSubject): Promise<IssuedTokens>;
  /**
   * Rotates a refresh token: the old one is spent, a new pair is issued in the same family. A
   * spent token presented again means it was stolen (or replayed): the whole family is revoked,
   * access tokens included.
   */
  refresh(
    refreshToken: string,
    lookup: (accountId: string) => TokenSubject | undefined,
  ): Promise<
    | { ok: true; tokens: IssuedTokens; subject: TokenSubject }
    | { ok: false; reason: RefreshRefusal; accountId?: string }
  >;
  /** Ends the session of an access token: the token and its whole family are revoked. */
  logout(principal: Principal): Promise<void>;
}

interface Family {
  accountId: string;
  revoked: boolean;
  expiresAt: number;
  /** Access tokens issued in the family, to revoke them with it. */
  accessTokens: { jti: string; exp: number }[];
}

interface RefreshRecord {
  family: string;
  expiresAt: number;
  used: boolean;
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Creates the token service with a fresh RS256 key pair: the private key never leaves this
 * process, and a restart invalidates every token (a demo's trade-off; a real deployment loads
 * its key from a secret store and rotates it through the JWKS).
 *
 * Access tokens are RFC 9068 `at+jwt`: `iss`, `aud`, `sub`, `jti`, `iat`, `exp`, `roles` and
 * `sid` (the session, to revoke it as a whole). No email, no personal data. Refresh tokens are
 * opaque random strings, stored only as SHA-256 digests.
 */
export async function createTokenService(options: TokenServiceOptions): Promise<TokenService> {
  const accessTtl = options.accessTokenTtl ?? 900;
  const refreshTtl = options.refreshTokenTtl ?? 43_200;
  const maxSessions = options.maxSessions ?? 100_000;
  const now = options.now ?? (() => Date.now());
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const jwks: JSONWebKeySet = { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] };
  const families = new Map<string, Family>();
  const refreshTokens = new Map<string, RefreshRecord>();

  function purge(at: number): void {
    for (const [id, f] of families) if (f.expiresAt <= at) families.delete(id);
    for (const [id, r] of refreshTokens) if (r.expiresAt <= at) refreshTokens.delete(id);
  }

  function makeRoom(at: number): void {
    if (families.size < maxSessions) return;
    purge(at);
    // Still full: drop the oldest session (its user logs in again).
    while (families.size >= maxSessions) {
      const oldest = families.keys().next().value as string;
      families.delete(oldest);
    }
  }

  async function sign(subject: TokenSubject, sid: string, at: number, key: CryptoKey) {
    const iat = Math.floor(at / 1000);
    const jti = randomUUID();
    const exp = iat + accessTtl;
    const token = await new SignJWT({ roles: [subject.role.toLowerCase()], sid })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setSubject(subject.id)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key);
    return { token, jti, exp };
  }

  async function pair(subject: TokenSubject, familyId: string, family: Family) {
    const at = now();
    const access = await sign(subject, familyId, at, privateKey);
    family.accessTokens = family.accessTokens.filter((t) => t.exp * 1000 > at);
    family.accessTokens.push({ jti: access.jti, exp: access.exp });
    const refreshToken = randomBytes(32).toString('base64url');
    refreshTokens.set(digest(refreshToken), {
      family: familyId,
      expiresAt: family.expiresAt,
      used: false,
    });
    return { accessToken: access.token, refreshToken, expiresIn: accessTtl };
  }

  async function revokeFamily(family: Family): Promise<void> {
    family.revoked = true;
    const at = now();
    for (const t of family.accessTokens) {
      if (t.exp * 1000 > at) await options.revocations.revoke(t.jti, new Date(t.exp * 1000));
    }
  }

  return {
    jwks,
    async issue(subject) {
      const at = now();
      makeRoom(at);
      const familyId = randomUUID();
      const family: Family = {
        accountId: subject.id,
        revoked: false,
        expiresAt: at + refreshTtl * 1000,
        accessTokens: [],
      };
      families.set(familyId, family);
      return pair(subject, familyId, family);
    },
    async refresh(refreshToken, lookup) {
      const record = refreshTokens.get(digest(refreshToken));
      const family = record ? families.get(record.family) : undefined;
      if (!record || !family) return { ok: false, reason: 'unknown' };
      const accountId = family.accountId;
      if (family.revoked) return { ok: false, reason: 'revoked', accountId };
      if (record.expiresAt <= now()) return { ok: false, reason: 'expired', accountId };
      if (record.used) {
        await revokeFamily(family);
        return { ok: false, reason: 'reused', accountId };
      }
      const subject = lookup(accountId);
      if (!subject) return { ok: false, reason: 'unknown', accountId };
      record.used = true;
      return { ok: true, tokens: await pair(subject, record.family, family), subject };
    },
    async logout(principal) {
      const sid = principal.claims['sid'];
      const family = typeof sid === 'string' ? families.get(sid) : undefined;
      if (family && family.accountId === principal.subject) await revokeFamily(family);
      if (principal.tokenId && principal.expiresAt) {
        await options.revocations.revoke(principal.tokenId, new Date(principal.expiresAt * 1000));
      }
    },
  };
}
