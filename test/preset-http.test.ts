import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express from 'express';
import { bulwark } from '@bulwark/preset';
import type { BulwarkConfig } from '@bulwark/preset';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorder, startPresetServer } from '../packages/preset/test/support.js';
import type { PresetServer } from '../packages/preset/test/support.js';

const schema = () =>
  makeExecutableSchema({
    typeDefs: /* GraphQL */ `
      type Query {
        hello: String
        boom: String
      }
      type Mutation {
        touch: Boolean
      }
    `,
    resolvers: {
      Query: {
        hello: () => 'world',
        boom: () => {
          throw new Error('connect ECONNREFUSED 10.0.0.5:5432 at /srv/app/node_modules/pg/lib');
        },
      },
      Mutation: { touch: () => true },
    },
  });

const APP = 'https://app.example.com';
const CSP = "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'";
const CSRF_MESSAGE =
  "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please either specify a 'content-type' header (with a type that is not one of application/x-www-form-urlencoded, multipart/form-data, text/plain) or provide a non-empty value for one of the following headers: x-apollo-operation-name, apollo-require-preflight\n";

function start(config: Partial<BulwarkConfig> = {}) {
  const r = recorder();
  const security = bulwark({ auth: false, authz: false, onEvent: r.onEvent, ...config });
  return { r, security, server: startPresetServer(security, schema()) };
}

describe('preset HTTP defaults', () => {
  let s: PresetServer;
  let r: ReturnType<typeof recorder>;
  beforeAll(async () => {
    const started = start({ http: { cors: { origins: [APP] } }, production: true });
    r = started.r;
    s = await started.server;
  });
  afterAll(() => s.stop());

  it('answers a query with the security headers and without X-Powered-By or HSTS', async () => {
    const res = await s.post({ query: '{ hello }' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { hello: 'world' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.has('x-powered-by')).toBe(false);
    expect(res.headers.has('strict-transport-security')).toBe(false);
  });

  describe('CSRF prevention', () => {
    it('refuses a GET mutation without a preflight header', async () => {
      const res = await s.request({ method: 'GET', search: '?query=mutation%7Btouch%7D' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        errors: [{ message: CSRF_MESSAGE, extensions: { code: 'BAD_REQUEST' } }],
      });
    });

    it('refuses a GET mutation even with the preflight header (mutations need POST)', async () => {
      const res = await s.request({
        method: 'GET',
        search: '?query=mutation%7Btouch%7D',
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(res.status).toBe(405);
      expect(res.body.errors[0].message).toBe(
        'GET requests only support query operations, not mutation operations',
      );
      expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    });

    it.each([
      ['text/plain', '{"query":"mutation { touch }"}'],
      ['application/x-www-form-urlencoded', 'query=mutation%7Btouch%7D'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\nmutation{touch}\r\n--x--',
      ],
    ])('refuses a %s POST, which a form can send cross-site', async (type, body) => {
      const res = await s.request({ method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toEqual({
        message: CSRF_MESSAGE,
        extensions: { code: 'BAD_REQUEST' },
      });
    });

    it('lets a GET query through with a preflight header', async () => {
      const res = await s.request({
        method: 'GET',
        search: '?query=%7Bhello%7D',
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { hello: 'world' } });
    });
  });

  it('refuses HTTP batches (batching is off by default)', async () => {
    const res = await s.post([{ query: '{ hello }' }, { query: '{ hello }' }]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  it('masks a resolver error: no message, stack or path reaches the client', async () => {
    const res = await s.post({ query: '{ boom }' });
    expect(res.status).toBe(200);
    const error = res.body.errors[0];
    expect(error).toEqual({
      message: 'An unexpected error occurred.',
      locations: [{ line: 1, column: 3 }],
      path: ['boom'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId: expect.any(String) },
    });
    expect(res.text).not.toMatch(/ECONNREFUSED|node_modules|stacktrace|\.ts:/);
    const masked = r.events.find((e) => e.errorId === error.extensions.errorId);
    expect(masked).toMatchObject({ source: 'masking', outcome: 'masked' });
  });

  it('answers 413 PAYLOAD_TOO_LARGE in JSON above the body limit, before parsing', async () => {
    const res = await s.post({ query: '{ hello }', variables: { pad: 'x'.repeat(110_000) } });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({
      errors: [
        {
          message: 'The request body exceeds the maximum of 102400 bytes.',
          extensions: { code: 'PAYLOAD_TOO_LARGE' },
        },
      ],
    });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.events.at(-1)).toMatchObject({
      source: 'preset',
      outcome: 'rejected',
      code: 'PAYLOAD_TOO_LARGE',
      detail: { type: 'entity.too.large', limit: 102_400 },
    });
  });

  it('answers malformed JSON with a coded 400 in JSON, not an HTML page with a stack', async () => {
    const res = await s.post('{"query": "{ hello }"');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({
      errors: [
        { message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } },
      ],
    });
    expect(res.text).not.toMatch(/<html|node_modules|at JSON\.parse/i);
  });

  it('answers an unsupported content encoding with 415', async () => {
    const res = await s.request({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'compress' },
      body: '{"query":"{ hello }"}',
    });
    expect(res.status).toBe(415);
    expect(res.body.errors[0]).toEqual({
      message: 'The content encoding of the request body is not supported.',
      extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' },
    });
  });

  describe('CORS allowlist', () => {
    it('answers a preflight from an allowed origin', async () => {
      const res = await s.request({
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
      expect(res.headers.get('access-control-allow-headers')).toBe(
        'content-type,authorization,x-apollo-operation-name,apollo-require-preflight',
      );
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(res.headers.has('access-control-allow-credentials')).toBe(false);
      expect(res.headers.get('vary')).toContain('Origin');
    });

    it('refuses a preflight from another origin with 403 and no CORS header', async () => {
      const res = await s.request({
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(res.status).toBe(403);
      expect(res.headers.has('access-control-allow-origin')).toBe(false);
      expect(res.body).toEqual({
        errors: [
          { message: 'The request origin is not allowed.', extensions: { code: 'FORBIDDEN' } },
        ],
      });
    });

    it.each([
      'https://evil.example',
      'null',
      'https://app.example.com.evil.example',
      'http://app.example.com',
    ])('refuses a request from %s before any GraphQL work', async (origin) => {
      const res = await s.post({ query: 'mutation { touch }' }, { origin });
      expect(res.status).toBe(403);
      expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(res.headers.has('access-control-allow-origin')).toBe(false);
    });

    it('serves an allowed origin, exposing the rate-limit headers', async () => {
      const res = await s.post({ query: '{ hello }' }, { origin: APP });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(APP);
      expect(res.headers.get('access-control-expose-headers')).toBe(
        'retry-after,ratelimit,ratelimit-policy,www-authenticate',
      );
    });

    it('serves a same-origin browser request (Origin is the API host) without CORS headers', async () => {
      const res = await s.post({ query: '{ hello }' }, { origin: s.origin });
      expect(res.status).toBe(200);
      expect(res.headers.has('access-control-allow-origin')).toBe(false);
    });
  });

  describe('hostile requests never yield a 500', () => {
    const json = { 'content-type': 'application/json' };
    it.each<[string, RequestInit & { search?: string }]>([
      ['a JSON null body', { method: 'POST', headers: json, body: 'null' }],
      ['a JSON string body', { method: 'POST', headers: json, body: '"{ hello }"' }],
      ['an empty batch', { method: 'POST', headers: json, body: '[]' }],
      ['a numeric query', { method: 'POST', headers: json, body: '{"query": 5}' }],
      [
        'variables as a string',
        { method: 'POST', headers: json, body: '{"query":"{ hello }","variables":"x"}' },
      ],
      [
        'an unknown charset',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=klingon' },
          body: '{}',
        },
      ],
      ['an empty JSON body', { method: 'POST', headers: json, body: '' }],
      [
        'a deep JSON body',
        { method: 'POST', headers: json, body: `${'['.repeat(5000)}${']'.repeat(5000)}` },
      ],
      ['a PUT', { method: 'PUT', headers: json, body: '{"query":"{ hello }"}' }],
      [
        'a repeated query parameter',
        {
          method: 'GET',
          search: '?query=%7Bhello%7D&query=%7Bboom%7D',
          headers: { 'apollo-require-preflight': '1' },
        },
      ],
      [
        'a malformed Origin',
        {
          method: 'POST',
          headers: { ...json, origin: 'not a url' },
          body: '{"query":"{ hello }"}',
        },
      ],
      [
        'a deeply nested document',
        {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ query: `{ ${'hello { '.repeat(3000)}${'}'.repeat(3000)} }` }),
        },
      ],
    ])('%s', async (_name, init) => {
      const res = await s.request(init);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(typeof res.body?.errors?.[0]?.extensions?.code).toBe('string');
      expect(res.text).not.toMatch(/node_modules|<html/i);
    });
  });

  it('answers a failing Express route with a masked JSON 500 and an error id', async () => {
    const res = await s.request({ path: '/boom' });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      errors: [
        {
          message: 'An unexpected error occurred.',
          extensions: { code: 'INTERNAL_SERVER_ERROR', errorId: expect.any(String) },
        },
      ],
    });
    expect(res.text).not.toMatch(/ECONNREFUSED|node_modules/);
    const event = r.events.find((e) => e.errorId === res.body.errors[0].extensions.errorId);
    expect(event).toMatchObject({
      source: 'preset',
      outcome: 'masked',
      code: 'INTERNAL_SERVER_ERROR',
    });
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await s.request({ path: '/nope' });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      errors: [{ message: 'Not found.', extensions: { code: 'NOT_FOUND' } }],
    });
  });

  it('serves no landing page in production: a browser GET is a GraphQL request', async () => {
    const res = await s.request({ method: 'GET', headers: { accept: 'text/html' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).not.toContain('text/html');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
  });
});

describe('preset HTTP options', () => {
  let s: PresetServer;
  beforeAll(async () => {
    s = await start({
      production: true,
      http: {
        batching: { maxBatchSize: 2 },
        hsts: {},
        bodyLimit: '1kb',
        csrf: { requestHeaders: ['x-requested-by'] },
      },
    }).server;
  });
  afterAll(() => s.stop());

  it('caps batches when batching is on', async () => {
    const ok = await s.post([{ query: '{ hello }' }, { query: '{ hello }' }]);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual([{ data: { hello: 'world' } }, { data: { hello: 'world' } }]);
    const res = await s.post([
      { query: '{ hello }' },
      { query: '{ hello }' },
      { query: '{ hello }' },
    ]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [
        {
          message: 'Batch size 3 exceeds the maximum of 2.',
          extensions: { code: 'BATCH_LIMIT_EXCEEDED' },
        },
      ],
    });
  });

  it('sends HSTS when configured', async () => {
    const res = await s.post({ query: '{ hello }' });
    expect(res.headers.get('strict-transport-security')).toBe(
      'max-age=31536000; includeSubDomains',
    );
  });

  it('applies the configured body limit', async () => {
    const res = await s.post({ query: '{ hello }', variables: { pad: 'x'.repeat(1100) } });
    expect(res.status).toBe(413);
    expect(res.body.errors[0].message).toBe('The request body exceeds the maximum of 1024 bytes.');
  });

  it('uses the configured CSRF headers', async () => {
    const plain = {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"query":"{ hello }"}',
    };
    const refused = await s.request(plain);
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].message).toContain('x-requested-by');
    const allowed = await s.request({
      ...plain,
      headers: { ...plain.headers, 'x-requested-by': 'app' },
    });
    // Past CSRF prevention, a text/plain body is not parsed: Apollo answers 400 for the missing body.
    expect(allowed.status).toBe(400);
    expect(allowed.body.errors[0].message).not.toContain('CSRF');
  });
});

describe('preset landing page in development', () => {
  let s: PresetServer;
  beforeAll(async () => {
    s = await start({ production: false }).server;
  });
  afterAll(() => s.stop());

  it('serves the landing page to a browser without the CSP, keeping the other headers', async () => {
    const res = await s.request({ method: 'GET', headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.has('content-security-policy')).toBe(false);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('keeps the CSP on GraphQL answers', async () => {
    const res = await s.post({ query: '{ hello }' });
    expect(res.headers.get('content-security-policy')).toBe(CSP);
  });
});

describe('preset Vary header', () => {
  // The CORS layer adds `Vary: Origin` to every answer, merged with what earlier middleware
  // set (a cache must not serve one origin's answer to another).
  async function varyAfter(earlier: string | string[] | undefined, origin?: string) {
    const security = bulwark({ auth: false, authz: false, http: { cors: { origins: [APP] } } });
    const app = express();
    app.use(
      (_req, res, next) => {
        if (earlier !== undefined) res.setHeader('vary', earlier);
        next();
      },
      ...security.express,
    );
    app.post('/', (_req, res) => res.json({}));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
        body: '{}',
      });
      return res.headers.get('vary');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('adds Origin once, keeping what was there', async () => {
    expect(await varyAfter(undefined)).toBe('Origin');
    expect(await varyAfter(undefined, APP)).toBe('Origin');
    expect(await varyAfter('Accept-Encoding')).toBe('Accept-Encoding, Origin');
    expect(await varyAfter(['Accept-Encoding', 'Accept-Language'])).toBe(
      'Accept-Encoding, Accept-Language, Origin',
    );
    expect(await varyAfter('origin')).toBe('origin');
    expect(await varyAfter('*')).toBe('*');
  });
});
