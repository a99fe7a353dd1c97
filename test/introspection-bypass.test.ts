import { createHash } from 'node:crypto';
import { createPrincipal, hasRole } from '@bulwark/core';
import type { SecurityEvent } from '@bulwark/core';
import { createNoIntrospectionRule, introspectionPlugin } from '@bulwark/introspection';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer } from './support/http.js';
import type { GraphQLBody, TestServer } from './support/http.js';

const typeDefs = `#graphql
  enum Role { ADMIN USER }
  interface Node { id: ID! }
  type User implements Node { id: ID! name: String role: Role }
  type TouchPayload { ok: Boolean query: Query }
  type Query { me: User node(id: ID!): Node self: Query secret: String }
  type Mutation { touch: TouchPayload }
`;

const resolvers = {
  Query: {
    me: () => ({ id: 'u1', name: 'Ada', role: 'USER' }),
    self: () => ({}),
    secret: () => 's3cr3t',
  },
  Mutation: { touch: () => ({ ok: true, query: {} }) },
};

// Context: the test's stand-in for JWT verification (x-role header → principal).
const context = async ({
  req,
}: {
  req: { headers: Record<string, string | string[] | undefined> };
}) => {
  const role = req.headers['x-role'];
  if (typeof role !== 'string') return { auth: { principal: null } };
  return { auth: { principal: createPrincipal({ subject: `${role}-1`, roles: [role] }) } };
};

const SCHEMA_SELECTION = '{ queryType { name } }';

/** Every way we know to reach `__schema`/`__type`; each must be refused. */
const BYPASSES: {
  name: string;
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  field: string;
}[] = [
  { name: 'plain __schema', query: `{ __schema ${SCHEMA_SELECTION} }`, field: '__schema' },
  { name: 'plain __type', query: '{ __type(name: "User") { fields { name } } }', field: '__type' },
  { name: 'aliased __schema', query: `{ s: __schema ${SCHEMA_SELECTION} }`, field: '__schema' },
  {
    name: 'aliased __type',
    query: '{ me { id } t: __type(name: "Query") { name } }',
    field: '__type',
  },
  {
    name: 'named fragment',
    query: `{ ...F } fragment F on Query { __schema ${SCHEMA_SELECTION} }`,
    field: '__schema',
  },
  {
    name: 'fragment chain',
    query: `{ ...A } fragment A on Query { ...B } fragment B on Query { me { id } x: __schema ${SCHEMA_SELECTION} }`,
    field: '__schema',
  },
  {
    name: 'inline fragment with type condition',
    query: `{ ... on Query { __schema ${SCHEMA_SELECTION} } }`,
    field: '__schema',
  },
  {
    name: 'inline fragment without type condition',
    query: '{ ... { __type(name: "User") { name } } }',
    field: '__type',
  },
  {
    name: 'nested under a field returning Query',
    query: `{ self { self { __schema ${SCHEMA_SELECTION} } } }`,
    field: '__schema',
  },
  {
    name: 'in a mutation payload',
    query: 'mutation { touch { ok query { __type(name: "User") { name } } } }',
    field: '__type',
  },
  {
    name: 'second operation selected by operationName',
    query: `query A { me { id } } query B { __schema ${SCHEMA_SELECTION} }`,
    operationName: 'B',
    field: '__schema',
  },
  {
    name: '@skip(if: $skip) with skip false',
    query: `query Q($skip: Boolean!) { __schema @skip(if: $skip) ${SCHEMA_SELECTION} }`,
    variables: { skip: false },
    field: '__schema',
  },
  {
    name: 'comments and odd whitespace',
    query: `{\n  # harmless\n  __schema\t# still harmless\n  ${SCHEMA_SELECTION} }`,
    field: '__schema',
  },
  {
    name: 'only __typename below __schema',
    query: '{ __schema { __typename } }',
    field: '__schema',
  },
];

const ALLOWED = [
  { name: '__typename', query: '{ __typename }' },
  { name: 'aliased __typename in fields', query: '{ t: __typename me { __typename id } }' },
  { name: '__typename in a fragment', query: '{ ...F } fragment F on Query { __typename }' },
];

function message(field: string): string {
  return `Introspection is not allowed: the operation selects "${field}".`;
}

function get(server: TestServer, params: Record<string, string>, headers: Record<string, string>) {
  return server.request({
    method: 'GET',
    search: '?' + new URLSearchParams(params).toString(),
    headers,
  });
}

describe('introspection off for everyone (validation rule, 400)', () => {
  let server: TestServer;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      typeDefs,
      resolvers,
      introspection: true, // Apollo's own rule off: this suite tests ours alone.
      validationRules: [createNoIntrospectionRule({ onEvent: (e) => events.push(e) })],
      context,
    });
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    events.length = 0;
  });

  it.each(BYPASSES)('refuses $name', async ({ query, operationName, variables, field }) => {
    const res = await server.post({ query, operationName, variables }, { 'x-role': 'admin' });
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors?.[0]).toMatchObject({
      message: message(field),
      extensions: {
        code: 'GRAPHQL_VALIDATION_FAILED',
        validationErrorCode: 'INTROSPECTION_DISABLED',
      },
    });
    expect(res.body.errors?.[0]?.locations?.length).toBeGreaterThan(0);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'introspection',
      outcome: 'rejected',
      code: 'INTROSPECTION_DISABLED',
    });
  });

  it('refuses the whole document even when operationName names a harmless operation', async () => {
    const res = await server.post({
      query: `query A { me { id } } query B { __schema ${SCHEMA_SELECTION} }`,
      operationName: 'A',
    });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.validationErrorCode).toBe('INTROSPECTION_DISABLED');
  });

  it('reports every occurrence in locations', async () => {
    const res = await server.post({
      query: '{ a: __type(name: "User") { name }\n b: __schema { __typename } }',
    });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toBe(message('__type'));
    expect(res.body.errors?.[0]?.locations).toEqual([
      { line: 1, column: 3 },
      { line: 2, column: 2 },
    ]);
  });

  it.each(ALLOWED)('lets $name through', async ({ query }) => {
    const res = await server.post({ query });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.['__typename'] ?? res.body.data?.['t']).toBe('Query');
  });

  it('refuses a GET carrying the CSRF preflight header', async () => {
    const res = await get(
      server,
      { query: `{ __schema ${SCHEMA_SELECTION} }` },
      { 'apollo-require-preflight': '1' },
    );
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]).toMatchObject({
      message: message('__schema'),
      extensions: {
        code: 'GRAPHQL_VALIDATION_FAILED',
        validationErrorCode: 'INTROSPECTION_DISABLED',
      },
    });
  });

  it('leaves a GET without the preflight header to Apollo, which refuses it before any GraphQL work', async () => {
    const res = await get(server, { query: `{ __schema ${SCHEMA_SELECTION} }` }, {});
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(res.body.errors?.[0]?.message).toContain('Cross-Site Request Forgery');
    expect(events).toHaveLength(0);
  });
});

describe('introspection per principal (plugin, 403)', () => {
  let server: TestServer;
  const events: SecurityEvent[] = [];
  const seen: unknown[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      typeDefs,
      resolvers,
      introspection: true,
      allowBatchedHttpRequests: true,
      plugins: [
        introspectionPlugin({
          allow: (principal, ctx) => {
            seen.push(ctx);
            return hasRole(principal, 'admin');
          },
          onEvent: (e) => events.push(e),
        }),
      ],
      context,
    });
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    events.length = 0;
  });

  it.each(BYPASSES)(
    'refuses $name to an anonymous client',
    async ({ query, operationName, variables, field }) => {
      const res = await server.post({ query, operationName, variables });
      expect(res.status).toBe(403);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors).toEqual([
        {
          message: message(field),
          locations: expect.any(Array),
          extensions: { code: 'INTROSPECTION_DISABLED' },
        },
      ]);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        source: 'introspection',
        outcome: 'rejected',
        code: 'INTROSPECTION_DISABLED',
        subject: undefined,
      });
    },
  );

  it.each(BYPASSES)(
    'refuses $name to a non-admin principal',
    async ({ query, operationName, variables }) => {
      const res = await server.post({ query, operationName, variables }, { 'x-role': 'user' });
      expect(res.status).toBe(403);
      expect(res.body.errors?.[0]?.extensions?.code).toBe('INTROSPECTION_DISABLED');
      expect(events[0]?.subject).toBe('user-1');
    },
  );

  it.each(BYPASSES)('runs $name for an admin', async ({ query, operationName, variables }) => {
    const res = await server.post({ query, operationName, variables }, { 'x-role': 'admin' });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    // Introspection data came back: a type or field name, or the __Schema typename.
    expect(JSON.stringify(res.body.data)).toMatch(/"name":"(Query|User|id)"|"__Schema"/);
    expect(events).toHaveLength(0);
  });

  it('passes the GraphQL context to the policy', async () => {
    seen.length = 0;
    await server.post({ query: '{ __type(name: "User") { name } }' }, { 'x-role': 'user' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ auth: { principal: { subject: 'user-1' } } });
  });

  it('only counts the operation that runs', async () => {
    const query = `query A { me { id } } query B { __schema ${SCHEMA_SELECTION} }`;
    const a = await server.post({ query, operationName: 'A' });
    expect(a.status).toBe(200);
    expect(a.body.data).toEqual({ me: { id: 'u1' } });
    const b = await server.post({ query, operationName: 'B' });
    expect(b.status).toBe(403);
  });

  it.each(ALLOWED)('lets $name through for anyone', async ({ query }) => {
    const res = await server.post({ query });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it('refuses a GET carrying the CSRF preflight header, and runs it for an admin', async () => {
    const params = { query: `{ __schema ${SCHEMA_SELECTION} }` };
    const anon = await get(server, params, { 'apollo-require-preflight': '1' });
    expect(anon.status).toBe(403);
    expect(anon.body.errors?.[0]?.extensions?.code).toBe('INTROSPECTION_DISABLED');
    const admin = await get(server, params, { 'apollo-require-preflight': '1', 'x-role': 'admin' });
    expect(admin.status).toBe(200);
    expect(admin.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('leaves a GET without the preflight header to Apollo (CSRF refusal, 400)', async () => {
    const res = await get(
      server,
      { query: `{ __schema ${SCHEMA_SELECTION} }` },
      { 'x-role': 'admin' },
    );
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(events).toHaveLength(0);
  });

  it('refuses introspection inside an HTTP batch and runs the rest', async () => {
    const res = await server.post<GraphQLBody[]>([
      { query: '{ me { id } }' },
      { query: `{ __schema ${SCHEMA_SELECTION} }` },
    ]);
    expect(res.status).toBe(403);
    expect(res.body[0]).toEqual({ data: { me: { id: 'u1' } } });
    expect(res.body[1]?.errors?.[0]?.extensions?.code).toBe('INTROSPECTION_DISABLED');
    expect(res.body[1]?.data).toBeUndefined();
  });

  it('refuses a persisted query an admin registered when someone else replays its hash', async () => {
    const query = `{ __schema { queryType { name } mutationType { name } } }`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const registered = await server.post({ query, extensions }, { 'x-role': 'admin' });
    expect(registered.status).toBe(200);
    const replayedPost = await server.post({ extensions });
    expect(replayedPost.status).toBe(403);
    expect(replayedPost.body.errors?.[0]?.extensions?.code).toBe('INTROSPECTION_DISABLED');
    const replayedGet = await get(
      server,
      { extensions: JSON.stringify(extensions) },
      { 'apollo-require-preflight': '1' },
    );
    expect(replayedGet.status).toBe(403);
    expect(replayedGet.body.errors?.[0]?.extensions?.code).toBe('INTROSPECTION_DISABLED');
  });

  it('refuses a document an admin got validated and cached when an anonymous client sends it', async () => {
    const query = '{ __type(name: "Role") { enumValues { name } } }';
    expect((await server.post({ query }, { 'x-role': 'admin' })).status).toBe(200);
    const again = await server.post({ query });
    expect(again.status).toBe(403);
  });
});

describe('a policy that fails', () => {
  let server: TestServer;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      typeDefs,
      resolvers,
      introspection: true,
      plugins: [
        introspectionPlugin({
          allow: async (principal) => {
            if (principal?.roles.includes('broken')) throw new Error('policy store down');
            return 'yes' as unknown as boolean; // truthy, not true: refused
          },
          onEvent: (e) => events.push(e),
        }),
      ],
      context,
    });
  });
  afterAll(() => server.stop());

  it('refuses (fail closed) and warns when the policy throws', async () => {
    const res = await server.post(
      { query: `{ __schema ${SCHEMA_SELECTION} }` },
      { 'x-role': 'broken' },
    );
    expect(res.status).toBe(403);
    expect(res.body.errors?.[0]?.message).toBe(message('__schema'));
    expect(res.text).not.toContain('policy store down');
    expect(events.map((e) => [e.outcome, e.code])).toEqual([
      ['warning', 'INTROSPECTION_POLICY_FAILED'],
      ['rejected', 'INTROSPECTION_DISABLED'],
    ]);
    expect((events[0]?.detail?.['error'] as Error).message).toBe('policy store down');
  });

  it('refuses when the policy returns a truthy value that is not true', async () => {
    const res = await server.post(
      { query: `{ __schema ${SCHEMA_SELECTION} }` },
      { 'x-role': 'admin' },
    );
    expect(res.status).toBe(403);
  });
});
