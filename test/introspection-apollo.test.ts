import { createPrincipal, hasRole } from '@bulwark/core';
import { createNoIntrospectionRule, introspectionPlugin } from '@bulwark/introspection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './support/http.js';
import type { TestServer } from './support/http.js';

// How Bulwark's introspection control composes with Apollo Server's own `introspection`
// option (whose NoIntrospection validation rule refuses `__schema`/`__type` for everyone).

const typeDefs = `#graphql
  type Query { hello: String }
`;
const resolvers = { Query: { hello: () => 'world' } };
const context = async ({
  req,
}: {
  req: { headers: Record<string, string | string[] | undefined> };
}) => {
  const role = req.headers['x-role'];
  return {
    auth: {
      principal:
        typeof role === 'string' ? createPrincipal({ subject: role, roles: [role] }) : null,
    },
  };
};

const QUERY = '{ __schema { queryType { name } } }';
const APOLLO_MESSAGE =
  'GraphQL introspection is not allowed by Apollo Server, but the query contained __schema or __type. To enable introspection, pass introspection: true to ApolloServer in production';
const OUR_MESSAGE = 'Introspection is not allowed: the operation selects "__schema".';

describe('Apollo introspection: false with the per-principal plugin', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      typeDefs,
      resolvers,
      introspection: false,
      plugins: [introspectionPlugin({ allow: (p) => hasRole(p, 'admin') })],
      context,
    });
  });
  afterAll(() => server.stop());

  it("lets Apollo's rule refuse even an allowed admin: the plugin needs introspection: true", async () => {
    const res = await server.post({ query: QUERY }, { 'x-role': 'admin' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        message: APOLLO_MESSAGE,
        locations: [{ line: 1, column: 3 }],
        extensions: {
          code: 'GRAPHQL_VALIDATION_FAILED',
          validationErrorCode: 'INTROSPECTION_DISABLED',
        },
      },
    ]);
  });

  it('refuses anonymous clients at validation (400), before the plugin runs', async () => {
    const res = await server.post({ query: QUERY });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toBe(APOLLO_MESSAGE);
  });
});

describe('Apollo introspection: false with the static rule', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      typeDefs,
      resolvers,
      introspection: false,
      validationRules: [createNoIntrospectionRule()],
    });
  });
  afterAll(() => server.stop());

  it('answers 400 with both errors, ours first (Apollo appends its rule after validationRules)', async () => {
    const res = await server.post({ query: QUERY });
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.message)).toEqual([OUR_MESSAGE, APOLLO_MESSAGE]);
    expect(res.body.errors?.map((e) => e.extensions?.['validationErrorCode'])).toEqual([
      'INTROSPECTION_DISABLED',
      'INTROSPECTION_DISABLED',
    ]);
  });
});

describe('Apollo introspection: true with the per-principal plugin (the supported setup)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      typeDefs,
      resolvers,
      introspection: true,
      plugins: [introspectionPlugin({ allow: (p) => hasRole(p, 'admin') })],
      context,
    });
  });
  afterAll(() => server.stop());

  it('runs introspection for an admin', async () => {
    const res = await server.post({ query: QUERY }, { 'x-role': 'admin' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('refuses everyone else with 403', async () => {
    const res = await server.post({ query: QUERY }, { 'x-role': 'user' });
    expect(res.status).toBe(403);
    expect(res.body.errors).toEqual([
      {
        message: OUR_MESSAGE,
        locations: [{ line: 1, column: 3 }],
        extensions: { code: 'INTROSPECTION_DISABLED' },
      },
    ]);
  });
});
