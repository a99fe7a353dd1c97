import { randomUUID } from 'node:crypto';
import type { JwtAuthOptions } from '@bulwark/jwt';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

/** A demo user's token contents. */
export interface DevTokenClaims {
  /** The subject (`u1` alice, `u2` bob, `u3` carol). */
  readonly sub: string;
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
  /** Lifetime. @default '1h' */
  readonly expiresIn?: string;
}

/** A token issuer for development: a key pair made at startup, never written anywhere. */
export interface DevIssuer {
  /** The gateway's JWT options that trust this issuer only. */
  readonly jwt: JwtAuthOptions;
  /** Signs an access token. */
  issue(claims: DevTokenClaims): Promise<string>;
}

/** The issuer and audience of the development tokens. */
export const DEV_ISSUER = 'https://issuer.example.dev/';
/** The audience of the development tokens. */
export const DEV_AUDIENCE = 'https://gateway.example.dev';

/**
 * A local ES256 token issuer for the example, so it runs with no identity provider. In
 * production give the gateway `{ type: 'remote-jwks', url }` of your provider instead.
 */
export async function createDevIssuer(): Promise<DevIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'dev', alg: 'ES256', use: 'sig' };
  return {
    jwt: {
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      algorithms: ['ES256'],
      keys: { type: 'jwks', jwks: { keys: [jwk] } },
    },
    issue: (claims) =>
      new SignJWT({ scope: (claims.scopes ?? []).join(' '), roles: [...(claims.roles ?? [])] })
        .setProtectedHeader({ alg: 'ES256', kid: 'dev', typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(claims.expiresIn ?? '1h')
        .sign(privateKey),
  };
}

/** The demo users' tokens: alice and bob (customers), carol (admin). */
export const DEMO_USERS: Readonly<Record<string, DevTokenClaims>> = Object.freeze({
  alice: { sub: 'u1', scopes: ['orders:write'], roles: ['customer'] },
  bob: { sub: 'u2', scopes: ['orders:write'], roles: ['customer'] },
  carol: { sub: 'u3', scopes: ['users:read', 'orders:write'], roles: ['admin'] },
});
