import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, printSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrincipal } from '@bulwark/core';
import {
  AUTHZ_FEDERATION_SDL,
  AUTHZ_SPEC_URL,
  authzPlugin,
  createAuthz,
  objectPolicy,
  requestPolicy,
  sdlAuthzMetadata,
  setAuthzMetadata,
} from '@bulwark/authz';
import { startTestServer } from './support/http.js';
import type { TestServer } from './support/http.js';

// The directives as a Federation 2 custom spec: two subgraphs compose, the supergraph keeps the
// rules where a gateway can read them, and a subgraph enforces them on entity resolution.

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@composeDirective", "@shareable"])';

const usersSdl = `${FEDERATION_LINK}
${AUTHZ_FEDERATION_SDL}
type Query { me: User @authenticated }
type User @key(fields: "id") {
  id: ID!
  email: String @policy(policies: [["owner"]])
  ssn: String @requiresScopes(scopes: [["pii:read"]])
}`;

const ordersSdl = `${FEDERATION_LINK}
${AUTHZ_FEDERATION_SDL}
type Query { orders(status: String @requiresScopes(scopes: [["orders:admin"]])): [Order] @authenticated }
type User @key(fields: "id") { id: ID! orders: [Order] }
type Order @key(fields: "id") @policy(policies: [["buyer"], ["admin"]]) {
  id: ID!
  total: Float @public
  buyerId: ID!
}`;

const policies = {
  owner: objectPolicy<{ id: string }>(({ principal, object }) => principal?.subject === object.id),
  buyer: objectPolicy<{ buyerId: string }>(
    ({ principal, object }) => principal?.subject === object.buyerId,
  ),
  admin: requestPolicy(({ principal }) => principal?.roles.includes('admin') === true),
};

function compose() {
  return composeServices([
    { name: 'users', typeDefs: parse(usersSdl), url: 'http://users.invalid/graphql' },
    { name: 'orders', typeDefs: parse(ordersSdl), url: 'http://orders.invalid/graphql' },
  ]);
}

describe('composition', () => {
  it('composes two subgraphs that use the directives, keeping them in the supergraph', () => {
    const result = compose();
    expect(result.errors).toBeUndefined();
    const sdl = result.supergraphSdl!;
    expect(sdl).toContain(
      `@link(url: "${AUTHZ_SPEC_URL}", import: ["@authenticated", "@requiresScopes", "@policy", "@public"])`,
    );
    expect(sdl).toContain('directive @policy(policies: [[String!]!]!) on OBJECT');
    expect(sdl).toMatch(
      /email: String @join__field\(graph: USERS\) @policy\(policies: \[\["owner"\]\]\)/,
    );
    expect(sdl).toMatch(
      /type Order\s+@join__type\(graph: ORDERS, key: "id"\)\s+@policy\(policies: \[\["buyer"\], \["admin"\]\]\)/,
    );
  });

  it('gives a gateway the rules from the supergraph SDL, which its API schema lacks', async () => {
    const { supergraphSdl } = compose();
    const gateway = new ApolloGateway({ supergraphSdl: supergraphSdl! });
    const { schema: api } = await gateway.load();
    try {
      expect(printSchema(api)).not.toContain('@requiresScopes');
      setAuthzMetadata(api, sdlAuthzMetadata(supergraphSdl!));
      const authz = createAuthz({ defaultPolicy: 'allow', policies });
      const wrapped = authz.wrapSchema(api);
      const table = authz.ruleTable(wrapped)!;
      expect([...table.fields.keys()].sort()).toEqual([
        'Query.me',
        'Query.orders',
        'User.email',
        'User.ssn',
      ]);
      expect([...table.objectTypes.keys()]).toEqual(['Order']);
      const denied = await authz.authorize({
        schema: wrapped,
        document: parse('{ me { ssn orders { total } } orders(status: "x") { id } }'),
        contextValue: { auth: { principal: createPrincipal({ subject: 'u1' }) } },
      });
      expect(!denied.ok && denied.error.message).toBe(
        'Access denied to "me.ssn", "orders(status:)".',
      );
    } finally {
      await gateway.stop();
    }
  });
});

describe('a subgraph enforcing the rules on entity resolution', () => {
  let server: TestServer;
  const ORDERS = [
    { id: 'o1', total: 10, buyerId: 'u1' },
    { id: 'o2', total: 20, buyerId: 'u2' },
  ];

  beforeAll(async () => {
    const authz = createAuthz({ defaultPolicy: 'allow', policies });
    const schema = buildSubgraphSchema({
      typeDefs: parse(ordersSdl),
      resolvers: {
        Query: { orders: () => ORDERS },
        Order: {
          __resolveReference: (ref: { id: string }) => ORDERS.find((o) => o.id === ref.id) ?? null,
        },
        User: { orders: (u: { id: string }) => ORDERS.filter((o) => o.buyerId === u.id) },
      },
    });
    server = await startTestServer({
      schema: authz.wrapSchema(schema),
      plugins: [authzPlugin(authz), ApolloServerPluginInlineTraceDisabled()],
      context: async ({ req }) => {
        const sub = req.headers['x-user'] as string | undefined;
        return { auth: { principal: sub ? createPrincipal({ subject: sub }) : null } };
      },
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("nulls another buyer's order fetched through _entities", async () => {
    const res = await server.post(
      {
        query:
          'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id total buyerId } } }',
        variables: {
          r: [
            { __typename: 'Order', id: 'o1' },
            { __typename: 'Order', id: 'o2' },
          ],
        },
      },
      { 'x-user': 'u1' },
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      _entities: [{ id: 'o1', total: 10, buyerId: 'u1' }, null],
    });
    expect(res.body.errors?.map((e) => [e.message, e.path, e.extensions?.['code']])).toEqual([
      ['Access denied to an object of type "Order".', ['_entities', 1], 'FORBIDDEN'],
    ]);
    expect(res.text).not.toContain('"u2"');
  });

  it('refuses an argument whose scope the caller lacks', async () => {
    const res = await server.post(
      { query: '{ orders(status: "open") { id } }' },
      { 'x-user': 'u1' },
    );
    expect(res.status).toBe(403);
    expect(res.body.errors?.[0]?.message).toBe('Access denied to "orders(status:)".');
  });
});
