import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTarget } from '../examples/server/test/harness.js';
import type { Reply, Target } from '../examples/server/test/harness.js';

// Cross-site request forgery, CORS and response headers (the guide's Input and Output
// sections): a browser on another site must not make the API act, nor read its answers, and
// every answer carries the headers that keep it from being sniffed, framed or cached.

const APP = 'https://shop.example.com';
let t: Target;
let token: string;

beforeAll(async () => {
  t = await startTarget({ corsOrigins: [APP], trustProxy: ['127.0.0.1'] });
  token = (await t.login('grace')).accessToken;
});
afterAll(() => t.stop());

const RENAME = 'mutation { updateUser(id: "u2", input: { displayName: "csrf" }) { id } }';

function expectCsrfRefusal(res: Reply): void {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({
    errors: [
      {
        message: 'The request is not a valid GraphQL request.',
        extensions: { code: 'BAD_REQUEST' },
      },
    ],
  });
}

describe('CSRF: requests a browser sends cross-site without a preflight', () => {
  it('refuses a GET mutation, with or without the preflight header', async () => {
    const search = `?query=${encodeURIComponent(RENAME)}`;
    expectCsrfRefusal(await t.send({ method: 'GET', search }));
    const forced = await t.send({
      method: 'GET',
      search,
      headers: { 'apollo-require-preflight': '1' },
    });
    expect(forced.status).toBe(405);
    expect(codes(forced)).toEqual(['BAD_REQUEST']);
  });

  it('refuses a GET query without the preflight header (a cross-site read)', async () => {
    expectCsrfRefusal(
      await t.send({ method: 'GET', search: `?query=${encodeURIComponent('{ me { email } }')}` }),
    );
  });

  it('refuses text/plain, form and multipart posts', async () => {
    const body = JSON.stringify({ query: RENAME });
    expectCsrfRefusal(
      await t.send({ method: 'POST', headers: { 'content-type': 'text/plain' }, body }),
    );
    expectCsrfRefusal(
      await t.send({
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `query=${encodeURIComponent(RENAME)}`,
      }),
    );
    const form = new FormData();
    form.set('operations', body);
    expectCsrfRefusal(await t.send({ method: 'POST', body: form }));
    expectCsrfRefusal(await t.send({ method: 'POST', body }));
  });

  it('changed nothing', () => {
    expect(t.server.data.users.get('u2')?.displayName).toBe('Grace');
  });
});

describe('CORS allowlist', () => {
  it('answers the allowed origin’s preflight', async () => {
    const res = await t.send({
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('lets the allowed origin read an answer', async () => {
    const res = await t.gql('{ me { id } }', { token, headers: { origin: APP } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
  });

  for (const origin of [
    'https://evil.example',
    'https://shop.example.com.evil.example',
    'http://shop.example.com',
    'null',
  ]) {
    it(`refuses ${origin}: preflight and request, before any work`, async () => {
      const preflight = await t.send({
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(403);
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const res = await t.gql(RENAME, { token, headers: { origin } });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        errors: [
          { message: 'The request origin is not allowed.', extensions: { code: 'FORBIDDEN' } },
        ],
      });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });
  }
});

describe('response headers', () => {
  const cases: [string, () => Promise<Reply>, number][] = [
    ['a successful query', () => t.gql('{ categories { id } }'), 200],
    ['an authenticated query', () => t.gql('{ me { id } }', { token }), 200],
    ['a validation failure', () => t.gql('{ nope }'), 400],
    ['a refused token', () => t.gql('{ me { id } }', { token: 'x.y.z' }), 401],
    ['an authorization refusal', () => t.gql('{ admin { stats { users } } }', { token }), 403],
    ['an oversized body', () => t.post({ query: '{ __typename }', pad: 'x'.repeat(200_000) }), 413],
    ['malformed JSON', () => t.post('{'), 400],
    ['an unknown path', () => t.send({ method: 'GET', path: '/admin' }), 404],
  ];

  for (const [what, send, status] of cases) {
    it(`hardens ${what} (${status})`, async () => {
      const res = await send();
      expect(res.status).toBe(status);
      const h = res.headers;
      expect(h.get('x-content-type-options')).toBe('nosniff');
      expect(h.get('x-frame-options')).toBe('DENY');
      expect(h.get('content-security-policy')).toBe(
        "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
      );
      expect(h.get('referrer-policy')).toBe('no-referrer');
      expect(h.get('cache-control')).toBe('no-store');
      expect(h.get('content-type')).toMatch(/^application\/json/);
      expect(h.get('x-powered-by')).toBeNull();
      // Plain HTTP: no HSTS.
      expect(h.get('strict-transport-security')).toBeNull();
    });
  }

  it('sends HSTS when a trusted proxy says the request came over TLS', async () => {
    const res = await t.gql('{ categories { id } }', { headers: { 'x-forwarded-proto': 'https' } });
    expect(res.headers.get('strict-transport-security')).toBe(
      'max-age=31536000; includeSubDomains',
    );
  });

  it('does not take an untrusted client’s word for TLS', async () => {
    const direct = await startTarget();
    try {
      const res = await direct.gql('{ categories { id } }', {
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('strict-transport-security')).toBeNull();
    } finally {
      await direct.stop();
    }
  });

  it('lets the public key set be cached, and nothing else', async () => {
    const res = await t.send({ method: 'GET', path: '/.well-known/jwks.json' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves no landing page or IDE in production', async () => {
    const res = await t.send({ method: 'GET', headers: { accept: 'text/html' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.text).not.toMatch(/<html|sandbox|graphiql/i);
  });
});
