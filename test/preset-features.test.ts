import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { AUTHZ_DIRECTIVES_SDL, objectPolicy, requestPolicy } from '@bulwark/authz';
import {
  UnauthenticatedError,
  createPrincipal,
  hasRole,
  principalFromContext,
  setCostMetadata,
} from '@bulwark/core';
import { bulwark } from '@bulwark/preset';
import type { Bulwark, BulwarkConfig } from '@bulwark/preset';
import { rateLimitDirectiveTypeDefs } from '@bulwark/rate-limit';
import { getIntrospectionQuery } from 'graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorder, startPresetServer } from '../packages/preset/test/support.js';
import type { PresetServer } from '../packages/preset/test/support.js';
import { startTestServer } from './support/http.js';

const ISSUER = 'https://idp.test/';
const AUDIENCE = 'https://api.test';
const SECRET = new TextEncoder().encode('preset-test-secret-of-at-least-32-bytes!');
const RIGHT_PASSWORD = 'correct horse battery staple';

async function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m')
    .setJti(randomUUID())
    .sign(SECRET);
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

interface UserRecord {
  id: string;
  name: string;
  email: string;
}
const USERS: UserRecord[] = [
  { id: 'u1', name: 'Ada', email: 'ada@example.com' },
  { id: 'u2', name: 'Bob', email: 'bob@example.com' },
];

const typeDefs = /* GraphQL */ `
  ${AUTHZ_DIRECTIVES_SDL}
  ${rateLimitDirectiveTypeDefs}
  enum Role {
    ADMIN
    CUSTOMER
  }
  type User @public {
    id: ID!
    name: String!
    email: String @policy(policies: [["owner"], ["admin"]])
  }
  type Nested @public {
    child: Nested
    value: Int
  }
  type Query {
    hello: String @public
    me: User @authenticated
    user(id: ID!): User @public
    users: [User!]! @public
    secret: String @requiresScopes(scopes: [["secret:read"]])
    nested: Nested @public
    cached: String @public
    whoami: String @public
    byRole(role: Role!): Int @public
  }
  type Mutation {
    login(email: String!, password: String!): String
      @public
      @rateLimit(
        limit: 10
        window: "1m"
        by: ["ip", "arg:email"]
        jail: { after: 3, within: "15m", for: "15m" }
      )
  }
`;

function schemaFor(getSecurity: () => Bulwark) {
  return makeExecutableSchema({
    typeDefs,
    resolvers: {
      Query: {
        hello: () => 'world',
        me: (_: unknown, __: unknown, ctx: unknown) =>
          USERS.find((u) => u.id === principalFromContext(ctx)?.subject) ?? null,
        user: (_: unknown, { id }: { id: string }) => USERS.find((u) => u.id === id) ?? null,
        users: () => USERS,
        secret: () => 'the secret',
        nested: () => ({ value: 1, child: { value: 2, child: { value: 3, child: { value: 4 } } } }),
        cached: (_: unknown, __: unknown, ___: unknown, info: GraphQLResolveInfo) => {
          (
            info as unknown as { cacheControl: { setCacheHint(h: object): void } }
          ).cacheControl.setCacheHint({
            maxAge: 60,
            scope: 'PUBLIC',
          });
          return 'cacheable';
        },
        whoami: (_: unknown, __: unknown, ctx: { tenant?: string; clientIp?: string }) =>
          `${principalFromContext(ctx)?.subject ?? 'anonymous'}@${ctx.tenant}/${ctx.clientIp}`,
        byRole: () => 1,
      },
      Mutation: {
        login: async (
          _: unknown,
          { password }: { email: string; password: string },
          ctx: unknown,
          info: GraphQLResolveInfo,
        ) => {
          if (password === RIGHT_PASSWORD) return 'session';
          await getSecurity().reportFailure(ctx, info);
          return null;
        },
      },
    },
  });
}

const clock = { now: Date.UTC(2030, 0, 1) };

function config(onEvent: BulwarkConfig['onEvent']): BulwarkConfig {
  return {
    auth: {
      type: 'jwt',
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      keys: { type: 'secret', secret: SECRET },
      mode: 'optional',
    },
    authz: {
      defaultPolicy: 'deny',
      policies: {
        admin: requestPolicy(({ principal }) => hasRole(principal, 'admin')),
        owner: objectPolicy<UserRecord>(
          ({ principal, object }) => object.id === principal?.subject,
        ),
      },
    },
    limits: { maxDepth: 3, maxTokens: 200, maxCost: 500 },
    rateLimit: { now: () => clock.now },
    introspection: { allow: (principal) => hasRole(principal, 'admin') },
    production: true,
    onEvent,
  };
}

describe('preset: every protection through one config', () => {
  let s: PresetServer;
  let security: Bulwark;
  const r = recorder();
  let ada: string;
  let admin: string;
  let reader: string;

  beforeAll(async () => {
    security = bulwark(config(r.onEvent));
    const schema = schemaFor(() => security);
    // A gateway or a code-first schema registers costs in code; wrapSchema must carry them over.
    setCostMetadata(schema, {
      fieldCost: (type, field) => (type === 'Query' && field === 'users' ? 1000 : undefined),
      typeCost: () => undefined,
      argumentCost: () => undefined,
      inputFieldCost: () => undefined,
      listSize: () => undefined,
    });
    s = await startPresetServer(security, schema, () => ({ tenant: 'acme', auth: 'forged' }));
    ada = await token({ sub: 'u1' });
    admin = await token({ sub: 'root', roles: ['admin'] });
    reader = await token({ sub: 'u2', scope: 'secret:read' });
  });
  afterAll(() => s.stop());

  describe('JWT', () => {
    it('serves anonymous requests in optional mode', async () => {
      const res = await s.post({ query: '{ hello }' });
      expect(res.body).toEqual({ data: { hello: 'world' } });
    });

    it('puts the verified principal in the context, next to the user fields', async () => {
      const res = await s.post({ query: '{ me { id name } whoami }' }, bearer(ada));
      expect(res.status).toBe(200);
      // The build function's `auth: 'forged'` did not replace the verified one.
      expect(res.body).toEqual({
        data: { me: { id: 'u1', name: 'Ada' }, whoami: 'u1@acme/127.0.0.1' },
      });
    });

    it('refuses a bad token with 401 and a Bearer challenge, before any GraphQL work', async () => {
      const forged = `${ada.slice(0, -4)}AAAA`;
      const res = await s.post({ query: '{ hello }' }, bearer(forged));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(res.body).toEqual({
        errors: [
          {
            message: 'The request has no valid access token.',
            extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' },
          },
        ],
      });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(r.events.at(-1)).toMatchObject({ source: 'jwt', code: 'UNAUTHENTICATED' });
    });
  });

  describe('authorization', () => {
    it('refuses an anonymous caller on an @authenticated field with 403', async () => {
      const res = await s.post({ query: '{ me { id } }' });
      expect(res.status).toBe(403);
      expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(res.body.errors[0].message).toBe('Access denied to "me".');
      expect(res.body.data).toBeUndefined();
    });

    it('requires the scope of @requiresScopes', async () => {
      expect((await s.post({ query: '{ secret }' }, bearer(ada))).status).toBe(403);
      const res = await s.post({ query: '{ secret }' }, bearer(reader));
      expect(res.body).toEqual({ data: { secret: 'the secret' } });
    });

    it('runs object policies on the wrapped schema: the owner reads, others get null', async () => {
      const own = await s.post({ query: '{ user(id: "u1") { email } }' }, bearer(ada));
      expect(own.body).toEqual({ data: { user: { email: 'ada@example.com' } } });
      const other = await s.post({ query: '{ user(id: "u2") { email } }' }, bearer(ada));
      expect(other.status).toBe(200);
      expect(other.body.data).toEqual({ user: { email: null } });
      expect(other.body.errors[0].extensions.code).toBe('FORBIDDEN');
      const asAdmin = await s.post({ query: '{ user(id: "u2") { email } }' }, bearer(admin));
      expect(asAdmin.body).toEqual({ data: { user: { email: 'bob@example.com' } } });
    });
  });

  describe('introspection per principal', () => {
    it('refuses it to anonymous callers and plain users with 403', async () => {
      for (const headers of [{}, bearer(ada)]) {
        const res = await s.post({ query: '{ __schema { queryType { name } } }' }, headers);
        expect(res.status).toBe(403);
        expect(res.body.errors[0]).toMatchObject({
          message: 'Introspection is not allowed: the operation selects "__schema".',
          extensions: { code: 'INTROSPECTION_DISABLED' },
        });
      }
    });

    it('serves the full introspection query to an admin despite the depth limit of 3', async () => {
      const res = await s.post({ query: getIntrospectionQuery() }, bearer(admin));
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.__schema.queryType).toEqual({ name: 'Query', kind: 'OBJECT' });
    });

    it("still bounds nesting inside introspection (graphql-js's MaxIntrospectionDepthRule)", async () => {
      const deep =
        '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }';
      const res = await s.post({ query: deep }, bearer(admin));
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({
        message: 'Maximum introspection depth exceeded',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });
    });
  });

  describe('suggestions', () => {
    it('strips "Did you mean" from validation errors', async () => {
      const res = await s.post({ query: '{ helo }' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].message).toBe('Cannot query field "helo" on type "Query".');
    });

    it('strips it from variable coercion errors too', async () => {
      const res = await s.post({
        query: 'query($r: Role!) { byRole(role: $r) }',
        variables: { r: 'ADMN' },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.body.errors[0].message).not.toMatch(/Did you mean|ADMIN/);
    });
  });

  describe('limits', () => {
    it('refuses a document deeper than maxDepth in validation (400)', async () => {
      const res = await s.post({ query: '{ nested { child { child { child { value } } } } }' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({
        message: 'Query depth 4 exceeds the maximum of 3.',
        extensions: {
          code: 'GRAPHQL_VALIDATION_FAILED',
          validationErrorCode: 'DEPTH_LIMIT_EXCEEDED',
        },
      });
    });

    it('refuses a token flood on the HTTP layer, before Apollo parses it', async () => {
      const res = await s.post({ query: `{ ${'hello '.repeat(300)}}` });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        errors: [
          {
            message: 'Document token count exceeds the maximum of 200.',
            extensions: { code: 'TOKEN_LIMIT_EXCEEDED' },
          },
        ],
      });
    });

    it('keeps cost metadata registered on the schema through wrapSchema', async () => {
      const res = await s.post({ query: '{ users { id } }' }, bearer(ada));
      expect(res.status).toBe(400);
      expect(res.body.errors[0].extensions.validationErrorCode).toBe('COST_LIMIT_EXCEEDED');
    });
  });

  describe('rate limits and login jails', () => {
    const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) }';

    it('jails an account after three failures reported through security.reportFailure', async () => {
      for (let i = 0; i < 3; i++) {
        clock.now += 1000;
        const res = await s.post({
          query: LOGIN,
          variables: { e: 'ada@example.com', p: `guess-${i}` },
        });
        expect(res.body).toEqual({ data: { login: null } });
        expect(res.headers.get('ratelimit-policy')).toContain('"Mutation.login/ip";q=10;w=60');
      }
      const res = await s.post({
        query: LOGIN,
        variables: { e: 'ada@example.com', p: RIGHT_PASSWORD },
      });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('900');
      expect(res.body.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(r.events.some((e) => e.code === 'RATE_LIMIT_JAILED')).toBe(true);
    });
  });

  describe('Cache-Control', () => {
    it('lets Apollo cache an anonymous public result', async () => {
      const res = await s.post({ query: '{ cached }' });
      expect(res.headers.get('cache-control')).toBe('max-age=60, public');
    });

    it('sends no-store on an authenticated response, whatever the hints', async () => {
      const res = await s.post({ query: '{ cached }' }, bearer(ada));
      expect(res.body).toEqual({ data: { cached: 'cacheable' } });
      expect(res.headers.get('cache-control')).toBe('no-store');
    });
  });
});

describe('preset with custom authentication', () => {
  let s: PresetServer;
  const r = recorder();
  beforeAll(async () => {
    const security = bulwark({
      auth: {
        type: 'custom',
        authenticate: (req) => {
          const key = req.headers['x-api-key'];
          if (key === undefined) return null;
          if (key !== 'k-123') {
            throw new UnauthenticatedError('The API key is not valid.', {
              extensions: { reason: 'KEY_INVALID' },
            });
          }
          return createPrincipal({ subject: 'service-a', roles: ['admin'] });
        },
      },
      authz: false,
      introspection: { allow: (p) => hasRole(p, 'admin') },
      onEvent: r.onEvent,
    });
    s = await startPresetServer(
      security,
      makeExecutableSchema({
        typeDefs: 'type Query { whoami: String }',
        resolvers: {
          Query: {
            whoami: (_: unknown, __: unknown, c: unknown) =>
              principalFromContext(c)?.subject ?? null,
          },
        },
      }),
    );
  });
  afterAll(() => s.stop());

  it('uses the principal it returns', async () => {
    const res = await s.post(
      { query: '{ whoami __type(name: "Query") { name } }' },
      { 'x-api-key': 'k-123' },
    );
    expect(res.body).toEqual({ data: { whoami: 'service-a', __type: { name: 'Query' } } });
  });

  it('answers its refusal with 401 and reports it', async () => {
    const res = await s.post({ query: '{ whoami }' }, { 'x-api-key': 'nope' });
    expect(res.status).toBe(401);
    expect(res.body.errors[0]).toEqual({
      message: 'The API key is not valid.',
      extensions: { code: 'UNAUTHENTICATED', reason: 'KEY_INVALID' },
    });
    expect(r.events.at(-1)).toMatchObject({
      source: 'preset',
      outcome: 'rejected',
      code: 'UNAUTHENTICATED',
      detail: { reason: 'KEY_INVALID', check: 'custom' },
    });
  });
});

describe('preset context guard', () => {
  it('fails closed when Apollo runs without security.context()', async () => {
    const r = recorder();
    const security = bulwark({ auth: false, authz: false, onEvent: r.onEvent });
    const server = await startTestServer({
      schema: makeExecutableSchema({
        typeDefs: 'type Query { hello: String }',
        resolvers: { Query: { hello: () => 'x' } },
      }),
      ...security.apollo,
      context: async () => ({ auth: { principal: null } }),
    });
    try {
      const res = await server.post({ query: '{ hello }' });
      expect(res.status).toBe(500);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors?.[0]?.message).toBe('An unexpected error occurred.');
      expect(r.events.map((e) => e.code)).toContain('PRESET_CONTEXT_MISSING');
    } finally {
      await server.stop();
    }
  });

  it('lets executeOperation through with a context from security.context()', async () => {
    const security = bulwark({ auth: false, authz: false });
    const server = new ApolloServer({
      schema: makeExecutableSchema({
        typeDefs: 'type Query { ip: String }',
        resolvers: {
          Query: { ip: (_: unknown, __: unknown, c: { clientIp?: string }) => c.clientIp },
        },
      }),
      ...security.apollo,
    });
    await server.start();
    try {
      const req = {
        headers: {},
        socket: { remoteAddress: '192.0.2.1' },
      } as unknown as IncomingMessage;
      const res = await server.executeOperation(
        { query: '{ ip }' },
        { contextValue: await security.context()({ req }) },
      );
      expect(res.body.kind === 'single' && res.body.singleResult).toEqual({
        data: { ip: '192.0.2.1' },
      });
    } finally {
      await server.stop();
    }
  });
});
