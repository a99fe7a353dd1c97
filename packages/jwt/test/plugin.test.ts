import { randomBytes } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { UnauthenticatedError, principalFromContext } from '@bulwark/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASIC_AUTH_MESSAGE, UNAUTHENTICATED_MESSAGE, createJwtAuth } from '@bulwark/jwt';
import type { JwtAuthOptions } from '@bulwark/jwt';
import { startTestServer } from '../../../test/support/http.js';
import type { TestServer } from '../../../test/support/http.js';
import {
  AUDIENCE,
  ISSUER,
  NOW,
  NOW_MS,
  claims,
  makeKey,
  recorder,
  resolvers,
  sign,
  startKeyServer,
  typeDefs,
} from './support.js';
import type { TestKey } from './support.js';

const UNAUTHENTICATED = (reason: string) => ({
  errors: [{ message: UNAUTHENTICATED_MESSAGE, extensions: { code: 'UNAUTHENTICATED', reason } }],
});

let key: TestKey;
const servers: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  key = await makeKey('ES256', 'k');
});

afterAll(async () => {
  for (const s of servers) await s.stop();
});

function options(extra: Partial<JwtAuthOptions> = {}): JwtAuthOptions {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['ES256'],
    keys: { type: 'jwks', jwks: { keys: [key.jwk] } },
    now: () => NOW_MS,
    ...extra,
  } as JwtAuthOptions;
}

async function serve(
  jwtOptions: Partial<JwtAuthOptions> = {},
  apollo: Record<string, unknown> = {},
): Promise<TestServer & { events: ReturnType<typeof recorder>['events'] }> {
  const { events, onEvent } = recorder();
  const jwt = createJwtAuth(options({ onEvent, ...jwtOptions }));
  const server = await startTestServer({
    typeDefs,
    resolvers,
    context: jwt.context(),
    plugins: [jwt.plugin()],
    includeStacktraceInErrorResponses: false,
    ...apollo,
  });
  servers.push(server);
  return Object.assign(server, { events });
}

describe('context function', () => {
  it('works with startStandaloneServer', async () => {
    const jwt = createJwtAuth(options());
    const server = new ApolloServer({
      typeDefs,
      resolvers,
      plugins: [jwt.plugin()],
      includeStacktraceInErrorResponses: false,
    });
    const { url } = await startStandaloneServer(server, {
      context: jwt.context(),
      listen: { port: 0, host: '127.0.0.1' },
    });
    servers.push(server);
    const post = (headers: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ me { subject } }' }),
      });
    const ok = await post({ authorization: `Bearer ${await sign(key)}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ data: { me: { subject: 'user-1' } } });
    const refused = await post({ authorization: 'Bearer a.b.c' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await refused.json()).toEqual(UNAUTHENTICATED('TOKEN_INVALID'));
  });

  it('adds your fields, and your fields cannot replace `auth`', async () => {
    const jwt = createJwtAuth(options());
    const server = await startTestServer({
      typeDefs: `type Query { who: String, tenant: String }`,
      resolvers: {
        Query: {
          who: (_: unknown, __: unknown, ctx: unknown) =>
            principalFromContext(ctx)?.subject ?? null,
          tenant: (_: unknown, __: unknown, ctx: { tenant: string }) => ctx.tenant,
        },
      },
      context: jwt.context(async ({ req }) => ({
        tenant: String(req.headers['x-tenant']),
        auth: { principal: { subject: 'forged' } },
      })),
      includeStacktraceInErrorResponses: false,
    });
    servers.push(server);
    const res = await server.post(
      { query: '{ who tenant }' },
      { authorization: `Bearer ${await sign(key)}`, 'x-tenant': 'acme' },
    );
    expect(res.body).toEqual({ data: { who: 'user-1', tenant: 'acme' } });
    const anonymous = await server.post({ query: '{ who }' });
    expect(anonymous.status).toBe(401);
  });

  it('refuses a whole HTTP batch with one 401', async () => {
    const server = await serve({}, { allowBatchedHttpRequests: true });
    const batch = [{ query: '{ ping }' }, { query: '{ me { subject } }' }];
    const refused = await server.post(batch, { authorization: 'Bearer a.b.c' });
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual(UNAUTHENTICATED('TOKEN_INVALID'));
    const ok = await server.post(batch, { authorization: `Bearer ${await sign(key)}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual([{ data: { ping: 'pong' } }, { data: { me: { subject: 'user-1' } } }]);
  });

  it('keeps the 401 and its challenge whatever formatError does', async () => {
    const server = await serve(
      {},
      {
        formatError: () => ({
          message: 'Something went wrong.',
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        }),
      },
    );
    const res = await server.post({ query: '{ ping }' }, { authorization: 'Bearer a.b.c' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('reads a named cookie, and refuses a token sent both ways', async () => {
    const server = await serve({
      tokenSources: [{ from: 'authorization-header' }, { from: 'cookie', name: 'at' }],
    });
    const token = await sign(key);
    const viaCookie = await server.post(
      { query: '{ me { subject } }' },
      { cookie: `theme=dark; at=${token}` },
    );
    expect(viaCookie.body).toEqual({ data: { me: { subject: 'user-1' } } });
    const both = await server.post(
      { query: '{ ping }' },
      { cookie: `at=${token}`, authorization: `Bearer ${token}` },
    );
    expect(both.status).toBe(401);
    expect(both.body).toEqual(UNAUTHENTICATED('TOKEN_INVALID'));
    expect(server.events.at(-1)?.detail).toMatchObject({ check: 'several-sources' });
  });
});

describe("mode: 'optional'", () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve({ mode: 'optional', realm: 'api' });
  });

  it('lets an anonymous request through with principal null', async () => {
    const res = await server.post({ query: '{ ping me { subject } }' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { ping: 'pong', me: null } });
    expect(server.events).toEqual([]);
  });

  it('still refuses a bad token, an expired one and Basic', async () => {
    const bad = await server.post({ query: '{ ping }' }, { authorization: 'Bearer a.b.c' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token"');
    expect(bad.body).toEqual(UNAUTHENTICATED('TOKEN_INVALID'));
    const expired = await server.post(
      { query: '{ ping }' },
      { authorization: `Bearer ${await sign(key, claims({ exp: NOW - 10 }))}` },
    );
    expect(expired.body).toEqual(UNAUTHENTICATED('TOKEN_EXPIRED'));
    const basic = await server.post({ query: '{ ping }' }, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(basic.body).toEqual({
      errors: [
        {
          message: BASIC_AUTH_MESSAGE,
          extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' },
        },
      ],
    });
  });
});

describe('plugin', () => {
  const guarded = {
    typeDefs: `type Query { open: String, secret: String }`,
    resolvers: {
      Query: {
        open: () => 'open',
        secret: (_: unknown, __: unknown, ctx: unknown) => {
          // What an @authenticated field does for an anonymous request.
          if (!principalFromContext(ctx))
            throw new UnauthenticatedError('Authentication is required.');
          return 'secret';
        },
      },
    },
  };

  it('adds the RFC 6750 challenge to an UNAUTHENTICATED error raised later on', async () => {
    const jwt = createJwtAuth(options({ mode: 'optional', realm: 'api' }));
    const withPlugin = await startTestServer({
      ...guarded,
      context: jwt.context(),
      plugins: [jwt.plugin()],
    });
    const without = await startTestServer({ ...guarded, context: jwt.context() });
    servers.push(withPlugin, without);
    const res = await withPlugin.post({ query: '{ open secret }' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(res.body.data).toEqual({ open: 'open', secret: null });
    expect(
      (await without.post({ query: '{ open secret }' })).headers.get('www-authenticate'),
    ).toBeNull();
    const fine = await withPlugin.post({ query: '{ open }' });
    expect(fine.status).toBe(200);
    expect(fine.headers.get('www-authenticate')).toBeNull();
  });

  it('refuses operations when the context function is missing (required mode)', async () => {
    const { events, onEvent } = recorder();
    const jwt = createJwtAuth(options({ onEvent }));
    const server = await startTestServer({
      typeDefs,
      resolvers,
      plugins: [jwt.plugin()],
      includeStacktraceInErrorResponses: false,
    });
    servers.push(server);
    const res = await server.post(
      { query: 'query Q { me { subject } }' },
      { authorization: `Bearer ${await sign(key)}` },
    );
    expect(res.status).toBe(401);
    expect(res.body).toEqual(UNAUTHENTICATED('TOKEN_MISSING'));
    expect(events).toMatchObject([
      { source: 'jwt', outcome: 'warning', code: 'JWT_CONTEXT_MISSING', operationName: 'Q' },
    ]);
  });

  it('only warns about a missing context in optional mode', async () => {
    const { events, onEvent } = recorder();
    const jwt = createJwtAuth(options({ onEvent, mode: 'optional' }));
    const server = await startTestServer({ typeDefs, resolvers, plugins: [jwt.plugin()] });
    servers.push(server);
    const res = await server.post({ query: '{ me { subject } }' });
    expect(res.body).toEqual({ data: { me: null } });
    expect(events).toMatchObject([{ code: 'JWT_CONTEXT_MISSING', outcome: 'warning' }]);
  });

  it('fetches remote keys at startup, and starts anyway when the endpoint is down', async () => {
    const idp = await startKeyServer([key.jwk]);
    try {
      const jwt = createJwtAuth({
        ...options(),
        keys: { type: 'remote-jwks', url: idp.jwksUrl },
        now: undefined,
      } as JwtAuthOptions);
      const apollo = new ApolloServer({ typeDefs, resolvers, plugins: [jwt.plugin()] });
      await apollo.start();
      expect(idp.requests).toEqual(['/.well-known/jwks.json']);
      await apollo.stop();

      idp.mode = 'error';
      const { events, onEvent } = recorder();
      const down = createJwtAuth({
        ...options({ onEvent }),
        keys: { type: 'remote-jwks', url: idp.jwksUrl },
        now: undefined,
      } as JwtAuthOptions);
      const apollo2 = new ApolloServer({ typeDefs, resolvers, plugins: [down.plugin()] });
      await apollo2.start();
      expect(events).toMatchObject([{ code: 'JWKS_FETCH_FAILED', outcome: 'warning' }]);
      await apollo2.stop();
    } finally {
      await idp.close();
    }
  });
});

describe('events', () => {
  it('never carry the token or the secret', async () => {
    const secret = randomBytes(32).toString('base64url');
    const hs = { alg: 'HS256', privateKey: new TextEncoder().encode(secret) };
    const server = await serve({
      algorithms: ['HS256'],
      keys: { type: 'secret', secret },
    } as Partial<JwtAuthOptions>);
    const tokens = [
      await sign(hs, claims({ exp: NOW - 10 })),
      await sign(hs, claims({ aud: 'other' })),
      await sign({ ...hs, privateKey: randomBytes(32) }, claims()),
      `${(await sign(hs)).slice(0, -4)}AAAA`,
    ];
    for (const token of tokens) {
      expect(
        (await server.post({ query: '{ ping }' }, { authorization: `Bearer ${token}` })).status,
      ).toBe(401);
    }
    expect(server.events).toHaveLength(tokens.length);
    const text = JSON.stringify(server.events);
    expect(text).not.toContain(secret);
    for (const token of tokens)
      for (const part of token.split('.')) expect(text).not.toContain(part);
    const ok = await server.post(
      { query: '{ me { subject } }' },
      { authorization: `Bearer ${await sign(hs)}` },
    );
    expect(ok.body).toEqual({ data: { me: { subject: 'user-1' } } });
  });
});
