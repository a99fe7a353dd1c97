import { composeServices } from '@apollo/composition';
import { ApolloGateway, LocalGraphQLDataSource } from '@apollo/gateway';
import type { GraphQLDataSource, SupergraphSdlUpdateFunction } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { AUTHZ_FEDERATION_SDL, createAuthz, objectPolicy, requestPolicy } from '@bulwark/authz';
import { createPrincipal, hasRole } from '@bulwark/core';
import type { SecurityEvent } from '@bulwark/core';
import { RULES_UNAVAILABLE_MESSAGE, supergraphBridgePlugin } from '@bulwark/gateway';
import { createLimits } from '@bulwark/limits';
import { parse } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../../../test/support/http.js';
import type { TestServer } from '../../../test/support/http.js';

// The bridge on a real @apollo/gateway behind Apollo Server 5 over HTTP. The subgraph runs in
// process (LocalGraphQLDataSource) behind a counter, so a test sees whether the gateway called it.

const FED =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@composeDirective", "@listSize", "@cost"])';

const sdl = (extra = '') => `${FED}
${AUTHZ_FEDERATION_SDL}
type Query {
  catalog: [Item!]! @listSize(assumedSize: 100)
  secret: String @requiresScopes(scopes: [["secret:read"]])
  me: User
}
type Item { name: String @cost(weight: 1) ${extra} }
type User @key(fields: "id") { id: ID! email: String @policy(policies: [["owner"]]) }`;

const resolvers = {
  Query: {
    catalog: () => [{ name: 'a' }, { name: 'b' }],
    secret: () => 's3cret',
    me: () => ({ id: 'u1', email: 'u1@example.com' }),
  },
};

const policies = {
  owner: objectPolicy<{ id: string }>(({ principal, object }) => principal?.subject === object.id),
  admin: requestPolicy(({ principal }) => hasRole(principal, 'admin')),
};

function supergraph(extra = ''): string {
  const result = composeServices([
    { name: 'shop', typeDefs: parse(sdl(extra)), url: 'http://shop.invalid/graphql' },
  ]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const calls = { count: 0 };

function countingSource(): GraphQLDataSource {
  const inner = new LocalGraphQLDataSource(
    buildSubgraphSchema({ typeDefs: parse(sdl()), resolvers }),
  );
  return {
    process(options) {
      calls.count++;
      return inner.process(options);
    },
  };
}

const asUser = (subject: string, scopes = '', roles = '') => ({
  'x-test-user': JSON.stringify({
    subject,
    scopes: scopes.split(' ').filter(Boolean),
    roles: roles.split(' ').filter(Boolean),
  }),
});

interface Harness {
  server: TestServer;
  events: SecurityEvent[];
  update: () => SupergraphSdlUpdateFunction;
}

async function startGateway(
  bridge: Parameters<typeof supergraphBridgePlugin>[0] | 'authz',
): Promise<Harness> {
  const events: SecurityEvent[] = [];
  let update: SupergraphSdlUpdateFunction | undefined;
  const authz = createAuthz({ defaultPolicy: 'allow', policies, onEvent: (e) => events.push(e) });
  const limits = createLimits({ maxCost: 50, cost: { exposeCost: true } });
  const server = await startTestServer({
    gateway: new ApolloGateway({
      logger: silent,
      supergraphSdl: async (hook) => {
        update = hook.update;
        return { supergraphSdl: supergraph() };
      },
      buildService: () => countingSource(),
    }),
    logger: silent,
    validationRules: [...limits.validationRules],
    plugins: [
      supergraphBridgePlugin(
        bridge === 'authz' ? { authz, onEvent: (e) => events.push(e) } : bridge,
      ),
      ...limits.plugins,
    ],
    context: async ({ req }) => {
      const raw = req.headers['x-test-user'];
      return {
        auth: { principal: typeof raw === 'string' ? createPrincipal(JSON.parse(raw)) : null },
      };
    },
  });
  return { server, events, update: () => update! };
}

beforeEach(() => {
  calls.count = 0;
});

describe('options', () => {
  it('requires an explicit authz choice and refuses filter mode', () => {
    expect(() => supergraphBridgePlugin({} as never)).toThrow(
      new TypeError('`authz` must come from createAuthz() of @bulwark/authz, or be false.'),
    );
    expect(() =>
      supergraphBridgePlugin({ authz: createAuthz({ defaultPolicy: 'allow', mode: 'filter' }) }),
    ).toThrow(
      new TypeError(
        "`authz` must use mode 'reject' at a gateway: 'filter' needs resolvers, and the gateway has none.",
      ),
    );
    expect(() => supergraphBridgePlugin({ authz: false, onEvnt: () => {} } as never)).toThrow(
      /unknown option "onEvnt"/,
    );
    expect(() =>
      supergraphBridgePlugin({ authz: false, introspectionCost: 'none' as never }),
    ).toThrow(new TypeError('`introspectionCost` must be one of "counted", "free", got "none".'));
  });
});

describe('field rules from the supergraph, checked before planning', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startGateway('authz');
  });
  afterAll(() => h.server.stop());

  it('denies a field whose scope the principal lacks, without calling the subgraph', async () => {
    const res = await h.server.post({ query: '{ secret }' }, asUser('u1'));
    expect(res.status).toBe(403);
    expect(res.body.errors).toEqual([
      {
        message: 'Access denied to "secret".',
        extensions: { code: 'FORBIDDEN', deniedPaths: ['secret'] },
      },
    ]);
    expect(calls.count).toBe(0);
    expect(h.events.at(-1)).toMatchObject({ source: 'authz', code: 'FORBIDDEN', subject: 'u1' });
  });

  it('lets the principal with the scope through', async () => {
    const res = await h.server.post({ query: '{ secret }' }, asUser('u1', 'secret:read'));
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ secret: 's3cret' });
    expect(calls.count).toBe(1);
  });

  it('leaves an object policy to the subgraph that resolves the object', async () => {
    const res = await h.server.post({ query: '{ me { id } }' }, asUser('u2'));
    expect(res.status).toBe(200);
    expect(calls.count).toBe(1);
  });

  it("prices the operation with the supergraph's @listSize", async () => {
    const res = await h.server.post({ query: '{ catalog { name } }' });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]).toMatchObject({
      message: 'Query cost 101 exceeds the maximum of 50.',
      extensions: { validationErrorCode: 'COST_LIMIT_EXCEEDED' },
    });
    expect(calls.count).toBe(0);
  });

  it('reloads on a supergraph update: a new rule takes effect without a restart', async () => {
    const before = await h.server.post({ query: '{ me { id } }' });
    expect(before.status).toBe(200);
    h.update()(supergraph().replace('me: User', 'me: User @authenticated'));
    const after = await h.server.post({ query: '{ me { id } }' });
    expect(after.status).toBe(403);
    expect(after.body.errors?.[0]?.message).toBe('Access denied to "me".');
    expect(calls.count).toBe(1);
    h.update()(supergraph());
    expect((await h.server.post({ query: '{ me { id } }' })).status).toBe(200);
  });

  it('fails closed on a supergraph it cannot use, and recovers with the next one', async () => {
    h.update()(supergraph('@policy(policies: [["unregistered"]])'));
    const warning = h.events.find((e) => e.code === 'SUPERGRAPH_METADATA_INVALID');
    expect(warning).toMatchObject({ source: 'gateway', outcome: 'warning' });
    expect(warning?.reason).toContain('"unregistered"');
    const res = await h.server.post({ query: '{ secret }' }, asUser('u1', 'secret:read'));
    expect(res.status).toBe(503);
    expect(res.body.errors).toEqual([
      { message: RULES_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } },
    ]);
    expect(calls.count).toBe(0);
    h.update()(supergraph());
    expect((await h.server.post({ query: '{ secret }' }, asUser('u1', 'secret:read'))).status).toBe(
      200,
    );
  });
});

describe('without authz', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startGateway({ authz: false });
  });
  afterAll(() => h.server.stop());

  it('still registers the cost model, and checks no field rule', async () => {
    expect((await h.server.post({ query: '{ catalog { name } }' })).status).toBe(400);
    const res = await h.server.post({ query: '{ secret }' });
    expect(res.status).toBe(200);
    expect(res.body.extensions).toEqual({ cost: { requestedQueryCost: 0, maximumQueryCost: 50 } });
  });
});

describe('introspection cost', () => {
  const query = '{ __schema { types { name fields { name type { name } } } } }';
  for (const [introspectionCost, expected] of [
    ['counted', 400],
    ['free', 200],
  ] as const)
    it(`is ${introspectionCost} as configured`, async () => {
      const h = await startGateway({ authz: false, introspectionCost });
      try {
        const res = await h.server.post({ query });
        expect(res.status).toBe(expected);
        if (expected === 200)
          expect(res.body.extensions).toEqual({
            cost: { requestedQueryCost: 0, maximumQueryCost: 50 },
          });
        else
          expect(res.body.errors?.[0]?.extensions?.['validationErrorCode']).toBe(
            'COST_LIMIT_EXCEEDED',
          );
      } finally {
        await h.server.stop();
      }
    });
});

describe('on a server without a gateway', () => {
  it('refuses every operation: there is no supergraph to read rules from', async () => {
    const events: SecurityEvent[] = [];
    const server = await startTestServer({
      typeDefs: 'type Query { a: Int }',
      logger: silent,
      plugins: [supergraphBridgePlugin({ authz: false, onEvent: (e) => events.push(e) })],
    });
    try {
      const res = await server.post({ query: '{ a }' });
      expect(res.status).toBe(503);
      expect(res.body.errors?.[0]?.message).toBe(RULES_UNAVAILABLE_MESSAGE);
      expect(events.map((e) => e.code)).toEqual([
        'SUPERGRAPH_METADATA_INVALID',
        'SERVICE_UNAVAILABLE',
      ]);
    } finally {
      await server.stop();
    }
  });
});
