import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryRevocationList,
  UNAUTHENTICATED_MESSAGE,
  BASIC_AUTH_MESSAGE,
  createJwtAuth,
} from '@bulwark/jwt';
import type { JwtAuth } from '@bulwark/jwt';
import { startTestServer } from '../../../test/support/http.js';
import type { TestServer } from '../../../test/support/http.js';
import {
  AUDIENCE,
  ISSUER,
  NOW,
  NOW_MS,
  b64url,
  claims,
  makeKey,
  recorder,
  resolvers,
  sign,
  startKeyServer,
  typeDefs,
  unsigned,
} from './support.js';
import type { KeyServer, TestKey } from './support.js';

const ME = '{ me { subject scopes roles tokenId } }';
const INVALID = 'Bearer error="invalid_token"';

let rsa: TestKey;
let ec: TestKey;
let ed: TestKey;
let attacker: TestKey;
let idp: KeyServer;
let evil: KeyServer;
let server: TestServer;
let jwt: JwtAuth;
const { events, onEvent } = recorder();
const revoked = new MemoryRevocationList({ now: () => NOW_MS });

/** A valid access token (`typ: at+jwt`) signed by `key`. */
function good(key: TestKey, payload = claims(), header: Record<string, unknown> = {}) {
  return sign(key, payload, { typ: 'at+jwt', ...header });
}

function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

beforeAll(async () => {
  [rsa, ec, ed, attacker] = await Promise.all([
    makeKey('RS256', 'rsa-1'),
    makeKey('ES256', 'ec-1'),
    makeKey('EdDSA', 'ed-1'),
    makeKey('RS256', 'attacker-1'),
  ]);
  idp = await startKeyServer([rsa.jwk, ec.jwk, ed.jwk]);
  evil = await startKeyServer([attacker.jwk]);
  jwt = createJwtAuth({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256', 'ES256', 'EdDSA'],
    keys: { type: 'remote-jwks', url: idp.jwksUrl },
    typ: 'at+jwt',
    revocation: { list: revoked },
    now: () => NOW_MS,
    onEvent,
  });
  server = await startTestServer({
    typeDefs,
    resolvers,
    context: jwt.context(),
    plugins: [jwt.plugin()],
    includeStacktraceInErrorResponses: false,
  });
});

afterAll(async () => {
  await server?.stop();
  await idp?.close();
  await evil?.close();
});

describe('valid tokens', () => {
  it.each(['RS256', 'ES256', 'EdDSA'] as const)('accepts %s and maps the claims', async (alg) => {
    const key = { RS256: rsa, ES256: ec, EdDSA: ed }[alg];
    const res = await server.post(
      { query: ME },
      bearer(await good(key, claims({ jti: `ok-${alg}` }))),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: {
        me: {
          subject: 'user-1',
          scopes: ['read:posts', 'write:posts'],
          roles: ['editor'],
          tokenId: `ok-${alg}`,
        },
      },
    });
  });

  it('accepts the scheme in any case and surrounding spaces', async () => {
    const token = await good(rsa);
    const res = await server.post({ query: ME }, { authorization: `  bEaReR   ${token}  ` });
    expect(res.status).toBe(200);
    expect((res.body.data?.me as { subject: string }).subject).toBe('user-1');
  });
});

/** Expects the one 401 every refusal looks like, and returns the event it produced. */
async function expectRefused(
  headers: Record<string, string>,
  reason: string,
  challenge = INVALID,
  message = UNAUTHENTICATED_MESSAGE,
) {
  const before = events.length;
  const res = await server.post({ query: ME }, headers);
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe(challenge);
  expect(res.body).toEqual({
    errors: [{ message, extensions: { code: 'UNAUTHENTICATED', reason } }],
  });
  const emitted = events.slice(before);
  expect(emitted).toHaveLength(1);
  const event = emitted[0]!;
  expect(event).toMatchObject({ source: 'jwt', outcome: 'rejected', code: 'UNAUTHENTICATED' });
  // Neither the token nor any of its segments reaches the event stream.
  const serialized = JSON.stringify(event);
  const token = (headers.authorization ?? '').replace(/^\s*bearer\s+/i, '').trim();
  for (const part of token.split('.')) if (part.length > 8) expect(serialized).not.toContain(part);
  return event;
}

describe('refusals: 401, the same body apart from the reason, detail only in the event', () => {
  it('refuses a request without a token (no error attribute in the challenge)', async () => {
    const event = await expectRefused({}, 'TOKEN_MISSING', 'Bearer');
    expect(event.detail).toMatchObject({ reason: 'TOKEN_MISSING', check: 'presence' });
  });

  it('ignores a token in the URL query', async () => {
    const token = await good(rsa);
    const before = events.length;
    const res = await server.request({
      method: 'POST',
      search: `?access_token=${token}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: ME }),
    });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_MISSING',
    });
    expect(events.slice(before)[0]?.detail).toMatchObject({ check: 'presence' });
  });

  it('refuses Authorization: Basic with a clear message', async () => {
    const event = await expectRefused(
      { authorization: `Basic ${b64url('admin:hunter2')}` },
      'TOKEN_MISSING',
      'Bearer',
      BASIC_AUTH_MESSAGE,
    );
    expect(event.detail).toMatchObject({ check: 'basic-scheme' });
    expect(JSON.stringify(event)).not.toContain('hunter2');
  });

  it('refuses another scheme and a bare token without a scheme', async () => {
    const token = await good(rsa);
    expect(
      (await expectRefused({ authorization: `Token ${token}` }, 'TOKEN_MISSING', 'Bearer')).detail,
    ).toMatchObject({
      check: 'other-scheme',
    });
    expect(
      (await expectRefused({ authorization: token }, 'TOKEN_MISSING', 'Bearer')).detail,
    ).toMatchObject({
      check: 'other-scheme',
    });
  });

  it('refuses an empty bearer token', async () => {
    expect(
      (await expectRefused({ authorization: 'Bearer' }, 'TOKEN_INVALID')).detail,
    ).toMatchObject({
      check: 'empty',
    });
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])(
    'refuses alg %j, with or without a signature',
    async (alg) => {
      for (const signature of ['', 'c2lnbmF0dXJl']) {
        const token = unsigned({ alg, typ: 'at+jwt', kid: 'rsa-1' }, claims(), signature);
        const event = await expectRefused(bearer(token), 'TOKEN_INVALID');
        expect(event.detail).toMatchObject({
          check: 'algorithm',
          error: 'ERR_JOSE_ALG_NOT_ALLOWED',
          alg,
        });
      }
    },
  );

  it('refuses a stripped signature', async () => {
    const [h, p] = (await good(rsa)).split('.');
    const event = await expectRefused(bearer(`${h}.${p}.`), 'TOKEN_INVALID');
    expect(event.detail).toMatchObject({ check: 'signature', kid: 'rsa-1', alg: 'RS256' });
  });

  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'refuses a %s token with one bit of its signature flipped',
    async (alg) => {
      const key = { RS256: rsa, ES256: ec, EdDSA: ed }[alg];
      const [h, p, s] = (await good(key)).split('.');
      const bytes = Buffer.from(s!, 'base64url');
      bytes[bytes.length >> 1]! ^= 0x01;
      const event = await expectRefused(bearer(`${h}.${p}.${b64url(bytes)}`), 'TOKEN_INVALID');
      expect(event.detail).toMatchObject({ check: 'signature' });
    },
  );

  it('refuses a tampered payload', async () => {
    const [h, , s] = (await good(rsa)).split('.');
    const p = b64url(JSON.stringify(claims({ sub: 'admin', roles: ['admin'] })));
    const event = await expectRefused(bearer(`${h}.${p}.${s}`), 'TOKEN_INVALID');
    expect(event.detail).toMatchObject({ check: 'signature' });
    expect(event.subject).toBeUndefined();
  });

  it('refuses HS256 signed with the server RSA public key (algorithm confusion, PEM and DER)', async () => {
    const publicKey = createPublicKey({ key: rsa.jwk as never, format: 'jwk' });
    const pem = new TextEncoder().encode(
      publicKey.export({ format: 'pem', type: 'spki' }) as string,
    );
    const der = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    for (const secret of [pem, der]) {
      const token = await sign({ alg: 'HS256', privateKey: secret, kid: 'rsa-1' }, claims(), {
        typ: 'at+jwt',
      });
      const event = await expectRefused(bearer(token), 'TOKEN_INVALID');
      expect(event.detail).toMatchObject({ check: 'algorithm', alg: 'HS256' });
    }
  });

  it('refuses an expired token, with the subject in the event only', async () => {
    const token = await good(rsa, claims({ iat: NOW - 3600, exp: NOW - 60 }));
    const event = await expectRefused(bearer(token), 'TOKEN_EXPIRED');
    expect(event.detail).toMatchObject({ check: 'time', claim: 'exp', error: 'ERR_JWT_EXPIRED' });
    expect(event.subject).toBe('user-1');
  });

  it('refuses a token whose nbf is in the future', async () => {
    const event = await expectRefused(
      bearer(await good(rsa, claims({ nbf: NOW + 120 }))),
      'TOKEN_INVALID',
    );
    expect(event.detail).toMatchObject({ check: 'claim', claim: 'nbf' });
  });

  it.each([
    ['a wrong issuer', { iss: 'https://evil.test/' }, 'iss', 'check_failed'],
    ['no issuer', { iss: undefined }, 'iss', 'missing'],
    ['a wrong audience', { aud: 'https://other.test' }, 'aud', 'check_failed'],
    ['no audience', { aud: undefined }, 'aud', 'missing'],
    ['no expiry', { exp: undefined }, 'exp', 'missing'],
    ['a non-numeric expiry', { exp: String(NOW + 600) }, 'exp', 'invalid'],
    ['no subject', { sub: undefined }, 'sub', 'missing'],
    ['a non-string subject', { sub: 42 }, 'sub', 'invalid'],
    ['no jti while revocation is on', { jti: undefined }, 'jti', 'missing'],
    ['a non-string jti while revocation is on', { jti: 7 }, 'jti', 'invalid'],
  ])('refuses a token with %s', async (_, overrides, claim, failure) => {
    const event = await expectRefused(bearer(await good(rsa, claims(overrides))), 'TOKEN_INVALID');
    expect(event.detail).toMatchObject({ check: 'claim', claim, failure });
  });

  it('refuses a wrong or missing typ', async () => {
    for (const typ of ['JWT', undefined]) {
      const event = await expectRefused(
        bearer(await good(rsa, claims(), { typ })),
        'TOKEN_INVALID',
      );
      expect(event.detail).toMatchObject({ check: 'claim', claim: 'typ' });
    }
  });

  it('refuses an unknown crit header', async () => {
    const token = await sign(
      rsa,
      claims(),
      { typ: 'at+jwt', crit: ['urn:x:ext'], 'urn:x:ext': 1 } as never,
      {
        'urn:x:ext': true,
      },
    );
    const event = await expectRefused(bearer(token), 'TOKEN_INVALID');
    expect(event.detail).toMatchObject({ check: 'format', error: 'ERR_JOSE_NOT_SUPPORTED' });
  });

  it('refuses a kid that walks paths, and never requests anything but the JWKS URL', async () => {
    for (const kid of [
      '../../../../etc/passwd',
      '..%2f..%2fjwks.json',
      '/.well-known/jwks.json?x=1',
      'rsa-1/../attacker',
    ]) {
      const event = await expectRefused(
        bearer(await good(attacker, claims(), { kid })),
        'TOKEN_INVALID',
      );
      expect(event.detail).toMatchObject({ check: 'key', kid });
    }
    expect(idp.requests.length).toBeGreaterThan(0);
    expect(new Set(idp.requests)).toEqual(new Set(['/.well-known/jwks.json']));
  });

  it('never follows jku or x5u: the server they name receives no request', async () => {
    for (const kid of ['attacker-1', 'rsa-1']) {
      const token = await good(attacker, claims(), {
        kid,
        jku: `${evil.url}/.well-known/jwks.json`,
        x5u: `${evil.url}/cert.pem`,
      });
      const event = await expectRefused(bearer(token), 'TOKEN_INVALID');
      expect(event.detail).toMatchObject({ check: kid === 'rsa-1' ? 'signature' : 'key' });
    }
    expect(evil.requests).toEqual([]);
  });

  it('never trusts an embedded self-signed jwk', async () => {
    for (const kid of [undefined, 'attacker-1']) {
      const token = await good(attacker, claims(), { kid, jwk: attacker.jwk });
      const event = await expectRefused(bearer(token), 'TOKEN_INVALID');
      expect(['signature', 'key']).toContain(event.detail?.check);
    }
  });

  it('refuses a token signed by an unknown key that reuses a known kid', async () => {
    const event = await expectRefused(
      bearer(await good(attacker, claims(), { kid: 'rsa-1' })),
      'TOKEN_INVALID',
    );
    expect(event.detail).toMatchObject({ check: 'signature', kid: 'rsa-1' });
  });

  it('refuses a token whose kid names a key of another type than its alg', async () => {
    const event = await expectRefused(
      bearer(await good(ec, claims(), { kid: 'rsa-1' })),
      'TOKEN_INVALID',
    );
    expect(event.detail).toMatchObject({ check: 'key' });
  });

  it('refuses garbage and non-JSON segments', async () => {
    const valid = await good(rsa);
    const [h, p, s] = valid.split('.');
    const cases: [string, string][] = [
      ['garbage', 'malformed'],
      ['a.b', 'malformed'],
      ['a.b.c.d', 'malformed'],
      ['e30.e30.e30 x', 'malformed'],
      [`${h}..${s}`, 'malformed'],
      [`${b64url('not json')}.${p}.${s}`, 'format'],
      [`${b64url('[1,2]')}.${p}.${s}`, 'format'],
      [`${h}.${b64url('not json')}.${s}`, 'signature'],
      ['!!!.???.***', 'malformed'],
    ];
    for (const [token, check] of cases) {
      const event = await expectRefused({ authorization: `Bearer ${token}` }, 'TOKEN_INVALID');
      expect(event.detail).toMatchObject({ check });
    }
  });

  it('refuses a correctly signed token whose payload is not a JSON object', async () => {
    const { CompactSign } = await import('jose');
    for (const payload of ['not json', '[1,2,3]', '"text"']) {
      const token = await new CompactSign(new TextEncoder().encode(payload))
        .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1', typ: 'at+jwt' })
        .sign(rsa.privateKey);
      const event = await expectRefused(bearer(token), 'TOKEN_INVALID');
      expect(event.detail).toMatchObject({ check: 'format', error: 'ERR_JWT_INVALID' });
    }
  });

  it('refuses a token longer than maxTokenLength before parsing it', async () => {
    const token = await good(rsa, claims({ pad: 'x'.repeat(9000) }));
    const event = await expectRefused(bearer(token), 'TOKEN_INVALID');
    expect(event.detail).toMatchObject({ check: 'too-long' });
    expect(event.detail?.kid).toBeUndefined();
  });

  it('refuses a revoked token', async () => {
    const payload = claims({ jti: 'revoked-1' });
    const token = await good(rsa, payload);
    expect((await server.post({ query: ME }, bearer(token))).status).toBe(200);
    await revoked.revoke('revoked-1', new Date((NOW + 600) * 1000));
    const event = await expectRefused(bearer(token), 'TOKEN_REVOKED');
    expect(event.detail).toMatchObject({ check: 'revocation', tokenId: 'revoked-1' });
    expect(event.subject).toBe('user-1');
  });
});

describe('a 100 KB token', () => {
  it('is refused with 401 before any parsing by a server that admits such headers', async () => {
    const { events: seen, onEvent: record } = recorder();
    const auth = createJwtAuth({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256'],
      keys: { type: 'jwks', jwks: { keys: [rsa.jwk] } },
      now: () => NOW_MS,
      onEvent: record,
    });
    const apollo = new ApolloServer({
      typeDefs,
      resolvers,
      includeStacktraceInErrorResponses: false,
    });
    await apollo.start();
    const app = express();
    app.use('/graphql', express.json(), expressMiddleware(apollo, { context: auth.context() }));
    const big = http.createServer({ maxHeaderSize: 1 << 20 }, app);
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = big.address() as AddressInfo;
      const token = await sign(rsa, claims({ pad: 'y'.repeat(100 * 1024) }));
      expect(token.length).toBeGreaterThan(100 * 1024);
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: ME }),
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        errors: [
          {
            message: UNAUTHENTICATED_MESSAGE,
            extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' },
          },
        ],
      });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.detail).toMatchObject({ check: 'too-long' });
      expect(seen[0]!.detail?.length).toBeGreaterThan(100 * 1024);
    } finally {
      await apollo.stop();
      big.closeAllConnections();
      await new Promise<void>((resolve) => big.close(() => resolve()));
    }
  });

  it("is stopped by Node's own header limit on a default server (431), never reaching a 500", async () => {
    const token = await sign(rsa, claims({ pad: 'z'.repeat(100 * 1024) }));
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: ME }),
    });
    expect(res.status).toBe(431);
  });
});
