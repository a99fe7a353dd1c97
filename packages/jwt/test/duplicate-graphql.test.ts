import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNAUTHENTICATED_MESSAGE, createJwtAuth } from '@bulwark/jwt';
import { startTestServer } from '../../../test/support/http.js';
import type { TestServer } from '../../../test/support/http.js';
import { AUDIENCE, ISSUER, NOW_MS, makeKey, resolvers, sign, typeDefs } from './support.js';
import type { TestKey } from './support.js';

// No graphql mock here: under vitest our sources load graphql's ESM entry and Apollo Server its
// CJS entry, so Apollo does not recognize our GraphQLError and prefixes its message with
// "Context creation failed: " (bundlers that resolve `module` do the same). The refusal must
// still be the coded 401 with its challenge: status, headers and extensions are carried over.
let key: TestKey;
let server: TestServer;

beforeAll(async () => {
  key = await makeKey('ES256', 'k');
  const jwt = createJwtAuth({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['ES256'],
    keys: { type: 'jwks', jwks: { keys: [key.jwk] } },
    now: () => NOW_MS,
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
});

describe('with two graphql instances loaded', () => {
  it('a refusal is still a coded 401 with its challenge, never a 500', async () => {
    const res = await server.post({ query: '{ ping }' }, { authorization: 'Bearer a.b.c' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors?.[0]?.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_INVALID',
    });
    expect(res.body.errors?.[0]?.message.endsWith(UNAUTHENTICATED_MESSAGE)).toBe(true);
  });

  it('a valid token goes through', async () => {
    const res = await server.post(
      { query: '{ me { subject } }' },
      { authorization: `Bearer ${await sign(key)}` },
    );
    expect(res.body).toEqual({ data: { me: { subject: 'user-1' } } });
  });
});
