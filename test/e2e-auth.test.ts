import { createHmac, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SignJWT,
  UnsecuredJWT,
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
} from 'jose';
import type { JWK } from 'jose';
import {
  ACCOUNTS,
  LOGIN,
  codes,
  passwordOf,
  startTarget,
} from '../examples/server/test/harness.js';
import type { Reply, Target } from '../examples/server/test/harness.js';

// Broken authentication (OWASP API2) as an attacker tries it: forged, tampered, expired,
// revoked and replayed tokens against the example server's RS256 sessions.

let t: Target;
let jwks: { keys: JWK[] };
let grace: { accessToken: string; refreshToken: string };

beforeAll(async () => {
  t = await startTarget();
  const res = await t.send({ method: 'GET', path: '/.well-known/jwks.json' });
  jwks = res.body as unknown as { keys: JWK[] };
  grace = await t.login('grace');
});
afterAll(() => t.stop());

const ME = '{ me { id email } }';

/** The 401 of a refused token: one message, a coarse reason, the RFC 6750 challenge. */
function expectRefused(res: Reply, reason: string): void {
  expect(res.status).toBe(401);
  expect(res.body).toEqual({
    errors: [
      {
        message: 'The request has no valid access token.',
        extensions: { code: 'UNAUTHENTICATED', reason },
      },
    ],
  });
  expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
}

/** Claims as the server would issue them for `sub`, to sign with the attacker's own means. */
function claimsFor(sub: string, roles = ['admin']) {
  const real = decodeJwt(grace.accessToken);
  return { ...real, sub, roles, jti: `forged-${Math.random()}` };
}

describe('sessions', () => {
  it('issues a short-lived RS256 access token (at+jwt) with no personal data', () => {
    const header = decodeProtectedHeader(grace.accessToken);
    expect(header).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: jwks.keys[0]!.kid });
    const claims = decodeJwt(grace.accessToken);
    expect(Object.keys(claims).sort()).toEqual([
      'aud',
      'exp',
      'iat',
      'iss',
      'jti',
      'roles',
      'sid',
      'sub',
    ]);
    expect(claims.sub).toBe('u2');
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(JSON.stringify(claims)).not.toContain('@');
  });

  it('serves only the public key at /.well-known/jwks.json', () => {
    expect(jwks.keys).toHaveLength(1);
    const key = jwks.keys[0]!;
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(secret);
  });

  it('answers the login with Cache-Control: no-store (it carries tokens)', async () => {
    const res = await t.gql(LOGIN, {
      variables: { email: ACCOUNTS.alan.email, password: passwordOf('alan') },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a wrong password and an unknown account alike, with 401', async () => {
    const wrong = await t.gql(LOGIN, {
      variables: { email: ACCOUNTS.alan.email, password: 'nope' },
    });
    const unknown = await t.gql(LOGIN, {
      variables: { email: 'nobody@example.com', password: 'nope' },
    });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body.data).toBeNull();
      expect(res.body.errors).toEqual([
        {
          message: 'Invalid email or password.',
          locations: [{ line: 3, column: 5 }],
          path: ['login'],
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ]);
    }
  });

  it('lets the token in, and nothing else', async () => {
    const res = await t.gql(ME, { token: grace.accessToken });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ me: { id: 'u2', email: 'grace@example.com' } });
  });
});

describe('forged tokens', () => {
  it('refuses alg: none', async () => {
    const token = new UnsecuredJWT(claimsFor('u1')).encode();
    expectRefused(await t.gql(ME, { token }), 'TOKEN_INVALID');
  });

  it('refuses HS256 signed with the server public key (algorithm confusion)', async () => {
    const pem = createPublicKey({ key: jwks.keys[0]! as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const header = base64url.encode(
      JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: jwks.keys[0]!.kid }),
    );
    const payload = base64url.encode(JSON.stringify(claimsFor('u1')));
    const signature = createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url');
    expectRefused(await t.gql(ME, { token: `${header}.${payload}.${signature}` }), 'TOKEN_INVALID');
  });

  it("refuses a token signed with the attacker's own RSA key under the server's kid", async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT(claimsFor('u1'))
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwks.keys[0]!.kid! })
      .sign(privateKey);
    expectRefused(await t.gql(ME, { token }), 'TOKEN_INVALID');
  });

  it('refuses a token that points at its own key (jwk / jku headers)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const token = await new SignJWT(claimsFor('u1'))
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'at+jwt',
        jwk: await exportJWK(publicKey),
        jku: 'http://127.0.0.1:1/keys.json',
      })
      .sign(privateKey);
    expectRefused(await t.gql(ME, { token }), 'TOKEN_INVALID');
  });

  it('refuses a real token whose payload was edited to claim admin', async () => {
    const [header, , signature] = grace.accessToken.split('.');
    const payload = base64url.encode(
      JSON.stringify({ ...decodeJwt(grace.accessToken), roles: ['admin'] }),
    );
    expectRefused(await t.gql(ME, { token: `${header}.${payload}.${signature}` }), 'TOKEN_INVALID');
  });

  it('refuses garbage, an empty bearer, an oversized token', async () => {
    expectRefused(await t.gql(ME, { token: 'not-a-jwt' }), 'TOKEN_INVALID');
    expectRefused(await t.gql(ME, { token: `${'a'.repeat(9000)}.b.c` }), 'TOKEN_INVALID');
    const empty = await t.gql(ME, { headers: { authorization: 'Bearer ' } });
    expect(empty.status).toBe(401);
    expect(codes(empty)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses Basic authentication with its own message', async () => {
    const res = await t.gql(ME, {
      headers: {
        authorization: `Basic ${Buffer.from(`ada@example.com:${passwordOf('ada')}`).toString('base64')}`,
      },
    });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]).toEqual({
      message:
        'Basic authentication is not accepted: send an access token as "Authorization: Bearer <token>".',
      extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' },
    });
  });

  it('never reads a token from the URL', async () => {
    const res = await t.send({
      method: 'GET',
      search: `?query=${encodeURIComponent(ME)}&access_token=${grace.accessToken}`,
      headers: { 'apollo-require-preflight': '1' },
    });
    // Anonymous, so `me` is refused by authorization, not answered.
    expect(res.status).toBe(403);
    expect(codes(res)).toEqual(['FORBIDDEN']);
  });

  it('refuses before any GraphQL work: even a malformed document gets the 401', async () => {
    expectRefused(await t.gql('{ me {', { token: 'x.y.z' }), 'TOKEN_INVALID');
  });
});

describe('expiry and revocation', () => {
  it('refuses the access token once expired (15 minutes), with TOKEN_EXPIRED', async () => {
    // A target of its own: its clock moves forward and never back (windows would break).
    const e = await startTarget();
    try {
      const session = await e.login('barbara');
      expect((await e.gql(ME, { token: session.accessToken })).status).toBe(200);
      e.clock.now += 15 * 60_000 + 4_000; // within the 5 s clock tolerance: still accepted
      expect((await e.gql(ME, { token: session.accessToken })).status).toBe(200);
      e.clock.now += 1_000;
      expectRefused(await e.gql(ME, { token: session.accessToken }), 'TOKEN_EXPIRED');
      // The refresh token is still good: a new access token, a rotated refresh token.
      const res = await e.gql(
        'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken expiresIn } }',
        { variables: { r: session.refreshToken } },
      );
      expect(res.status).toBe(200);
      const fresh = res.body.data?.['refreshToken'] as {
        accessToken: string;
        refreshToken: string;
        expiresIn: number;
      };
      expect(fresh.expiresIn).toBe(900);
      expect(fresh.refreshToken).not.toBe(session.refreshToken);
      expect((await e.gql(ME, { token: fresh.accessToken })).status).toBe(200);
    } finally {
      await e.stop();
    }
  });

  it('revokes the access token and its session on logout', async () => {
    const session = await t.login('alan');
    const out = await t.gql('mutation { logout }', { token: session.accessToken });
    expect(out.status).toBe(200);
    expect(out.body.data).toEqual({ logout: true });
    expectRefused(await t.gql(ME, { token: session.accessToken }), 'TOKEN_REVOKED');
    const refresh = await t.gql(
      'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }',
      {
        variables: { r: session.refreshToken },
      },
    );
    expect(refresh.status).toBe(401);
    expect(refresh.body.errors?.[0]).toMatchObject({
      message: 'The refresh token is not valid.',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('detects a replayed refresh token and revokes the whole family, access tokens included', async () => {
    const stolen = await t.login('grace');
    const REFRESH =
      'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }';
    // The legitimate client rotates first...
    const rotated = await t.gql(REFRESH, { variables: { r: stolen.refreshToken } });
    expect(rotated.status).toBe(200);
    const current = rotated.body.data?.['refreshToken'] as {
      accessToken: string;
      refreshToken: string;
    };
    // ...then the thief replays the stolen, spent refresh token.
    const replay = await t.gql(REFRESH, { variables: { r: stolen.refreshToken } });
    expect(replay.status).toBe(401);
    expect(codes(replay)).toEqual(['UNAUTHENTICATED']);
    expect(t.events.some((e) => e.code === 'REFRESH_TOKEN_REUSED' && e.subject === 'u2')).toBe(
      true,
    );
    // Everything of that session is now dead, for both of them.
    expectRefused(await t.gql(ME, { token: current.accessToken }), 'TOKEN_REVOKED');
    expectRefused(await t.gql(ME, { token: stolen.accessToken }), 'TOKEN_REVOKED');
    expect((await t.gql(REFRESH, { variables: { r: current.refreshToken } })).status).toBe(401);
    // Another session of the same user is untouched.
    expect((await t.gql(ME, { token: grace.accessToken })).status).toBe(200);
  });

  it('refuses an unknown or oversized refresh token', async () => {
    for (const r of ['made-up', 'x'.repeat(10_000)]) {
      const res = await t.gql(
        'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }',
        {
          variables: { r },
        },
      );
      expect(res.status).toBe(401);
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    }
  });
});

it('answered every refusal with a 4xx and reported it', () => {
  const statuses = t.logs
    .filter((l) => l['bulwark'] === 'request')
    .map((l) => l['status'] as number);
  expect(statuses.filter((s) => s >= 500)).toEqual([]);
  const reasons = t.events
    .filter((e) => e.source === 'jwt' && e.code === 'UNAUTHENTICATED')
    .map((e) => e.detail?.['reason']);
  // TOKEN_EXPIRED was seen by the expiry test's own target.
  expect(new Set(reasons)).toEqual(new Set(['TOKEN_INVALID', 'TOKEN_MISSING', 'TOKEN_REVOKED']));
});
