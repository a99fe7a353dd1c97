import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { SecurityEvent } from '@bulwark/core';
import { createMasking } from '@bulwark/masking';
import { GraphQLError } from 'graphql';
import type { DocumentNode } from 'graphql';
import { gql } from 'graphql-tag';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer } from './support/http.js';
import type { TestServer } from './support/http.js';

// The subgraph-error row of the masking matrix: two subgraphs (and one that is down) composed
// in process, an @apollo/gateway with the supergraph SDL, Apollo Server 5 in front.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MASKED = 'An unexpected error occurred.';
const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

const accountsTypeDefs = gql`
  ${LINK}
  type Query {
    me: User
    signup(email: String!): String
  }
  type User @key(fields: "id") {
    id: ID!
    name: String
  }
`;
const reviewsTypeDefs = gql`
  ${LINK}
  type User @key(fields: "id") {
    id: ID!
    reviews: [Review]
  }
  type Review {
    body: String
  }
`;
const inventoryTypeDefs = gql`
  ${LINK}
  type Query {
    stock: Int
  }
`;

const billingTypeDefs = gql`
  ${LINK}
  type Query {
    invoices: Int
  }
`;

const accountsResolvers = {
  Query: {
    me: () => ({ id: 'u1', name: 'Ada' }),
    signup: () => {
      throw new GraphQLError('Email is already taken.', { extensions: { code: 'BAD_USER_INPUT' } });
    },
  },
  User: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, name: 'Ada' }) },
};
const reviewsResolvers = {
  User: {
    reviews: () => {
      throw new Error(
        'reviews-db: password authentication failed for user "svc_reviews" (/srv/reviews/db.js:9)',
      );
    },
  },
};

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function startSubgraph(typeDefs: DocumentNode, resolvers: object): Promise<TestServer> {
  return startTestServer({
    schema: buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }),
    // A leaky subgraph: stacks in every error it returns to the gateway.
    includeStacktraceInErrorResponses: true,
  });
}

async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/graphql`;
}

let accounts: TestServer;
let reviews: TestServer;
let supergraphSdl: string;
// A subgraph behind an auth proxy that answers 401 before GraphQL: the gateway turns it into an
// UNAUTHENTICATED error whose `extensions.response` holds the subgraph URL and body.
const billing = http.createServer((_req, res) => {
  res.writeHead(401, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'token expired for svc_billing at billing.internal:8443' }));
});

beforeAll(async () => {
  accounts = await startSubgraph(accountsTypeDefs, accountsResolvers);
  reviews = await startSubgraph(reviewsTypeDefs, reviewsResolvers);
  await new Promise<void>((resolve) => billing.listen(0, '127.0.0.1', resolve));
  const billingUrl = `http://127.0.0.1:${(billing.address() as AddressInfo).port}/graphql`;
  const composed = composeServices([
    { name: 'accounts', typeDefs: accountsTypeDefs, url: accounts.url },
    { name: 'reviews', typeDefs: reviewsTypeDefs, url: reviews.url },
    { name: 'inventory', typeDefs: inventoryTypeDefs, url: await deadUrl() },
    { name: 'billing', typeDefs: billingTypeDefs, url: billingUrl },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  supergraphSdl = composed.supergraphSdl;
});

afterAll(async () => {
  await accounts.stop();
  await reviews.stop();
  billing.closeAllConnections();
  await new Promise<void>((resolve) => billing.close(() => resolve()));
});

function startGateway(): Promise<TestServer> {
  return startTestServer({
    gateway: new ApolloGateway({ supergraphSdl, logger: silent }),
    logger: silent,
  });
}

describe.each([
  ['on', false],
  ['off (debug: true)', true],
] as const)('masking %s at the gateway', (_label, debug) => {
  let gateway: TestServer;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    const masking = createMasking({ debug, onEvent: (e) => events.push(e) });
    gateway = await startTestServer({
      gateway: new ApolloGateway({ supergraphSdl, logger: silent }),
      logger: silent,
      formatError: masking.formatError,
      plugins: [masking.plugin],
    });
  });
  afterAll(() => gateway.stop());
  beforeEach(() => {
    events.length = 0;
  });

  it('a subgraph resolver error: masked, its stack and service name kept for the event', async () => {
    const res = await gateway.post({
      query: 'query Profile { me { name reviews { body } } }',
      operationName: 'Profile',
    });
    expect(res.status).toBe(200);
    const errorId = res.body.errors?.[0]?.extensions?.['errorId'];
    expect(errorId).toMatch(UUID);
    if (debug) {
      expect(res.body).toEqual({
        data: { me: { name: 'Ada', reviews: null } },
        errors: [
          {
            message:
              'reviews-db: password authentication failed for user "svc_reviews" (/srv/reviews/db.js:9)',
            path: ['me', 'reviews'],
            extensions: {
              code: 'INTERNAL_SERVER_ERROR',
              serviceName: 'reviews',
              errorId,
              stacktrace: expect.arrayContaining([
                expect.stringContaining('masking-gateway.test.ts'),
              ]),
            },
          },
        ],
      });
    } else {
      expect(res.body).toEqual({
        data: { me: { name: 'Ada', reviews: null } },
        errors: [
          {
            message: MASKED,
            path: ['me', 'reviews'],
            extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
          },
        ],
      });
      for (const secret of [
        'svc_reviews',
        '/srv/reviews',
        'reviews-db',
        'serviceName',
        'stacktrace',
      ]) {
        expect(res.text).not.toContain(secret);
      }
    }
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'masking',
      outcome: 'masked',
      errorId,
      operationName: 'Profile',
    });
    const detail = events[0]?.detail ?? {};
    expect(detail['message']).toBe(
      'reviews-db: password authentication failed for user "svc_reviews" (/srv/reviews/db.js:9)',
    );
    expect(detail['extensions']).toMatchObject({
      serviceName: 'reviews',
      stacktrace: expect.arrayContaining([expect.stringContaining('masking-gateway.test.ts')]),
    });
  });

  it('a subgraph client error: shown, without the stack or the service name', async () => {
    const res = await gateway.post({ query: '{ signup(email: "ada@example.com") }' });
    expect(res.status).toBe(200);
    const error = res.body.errors?.[0];
    expect(error?.message).toBe('Email is already taken.');
    expect(error?.path).toEqual(['signup']);
    if (debug)
      expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', serviceName: 'accounts' });
    else expect(error?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(events).toHaveLength(0);
  });

  it('a subgraph refused at HTTP level: its code shown, its URL and body not', async () => {
    const res = await gateway.post({ query: '{ invoices }' });
    expect(res.status).toBe(200);
    if (debug) {
      expect(res.body.errors?.[0]?.extensions?.['response']).toMatchObject({ status: 401 });
    } else {
      expect(res.body).toEqual({
        data: { invoices: null },
        errors: [{ message: '401: Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }],
      });
      expect(res.text).not.toContain('127.0.0.1');
      expect(res.text).not.toContain('svc_billing');
    }
    expect(events).toHaveLength(0);
  });

  it('an unreachable subgraph: masked, its address kept for the event', async () => {
    const res = await gateway.post({ query: '{ stock }' });
    expect(res.status).toBe(200);
    const errorId = res.body.errors?.[0]?.extensions?.['errorId'];
    expect(errorId).toMatch(UUID);
    if (!debug) {
      expect(res.body).toEqual({
        data: { stock: null },
        errors: [{ message: MASKED, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } }],
      });
      expect(res.text).not.toContain('127.0.0.1');
      expect(res.text).not.toContain('ECONNREFUSED');
    } else {
      expect(res.body.errors?.[0]?.message).toContain('ECONNREFUSED');
    }
    expect(events).toHaveLength(1);
    expect(events[0]?.errorId).toBe(errorId);
    expect(String(events[0]?.detail?.['message'])).toContain('ECONNREFUSED');
  });
});

describe('a gateway without masking (the baseline)', () => {
  let gateway: TestServer;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.stop());

  it('forwards the subgraph message, its service name and its stack', async () => {
    const res = await gateway.post({ query: '{ me { name reviews { body } } }' });
    expect(res.text).toContain('svc_reviews');
    expect(res.body.errors?.[0]?.extensions?.['serviceName']).toBe('reviews');
    expect(res.body.errors?.[0]?.extensions?.['stacktrace']).toEqual(expect.any(Array));
  });

  it("reveals a refusing subgraph's URL and body", async () => {
    const res = await gateway.post({ query: '{ invoices }' });
    expect(res.text).toContain('svc_billing');
    expect(res.body.errors?.[0]?.extensions?.['response']).toMatchObject({
      url: expect.stringContaining('127.0.0.1'),
    });
  });

  it('reveals the address of an unreachable subgraph', async () => {
    const res = await gateway.post({ query: '{ stock }' });
    expect(res.text).toContain('127.0.0.1');
  });
});
