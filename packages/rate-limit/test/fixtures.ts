import { GraphQLError } from 'graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { createPrincipal } from '@bulwark/core';
import type { RateLimitStore, SecurityEvent } from '@bulwark/core';
import {
  createRateLimiter,
  MemoryRateLimitStore,
  rateLimitDirectiveTypeDefs,
  rateLimitPlugin,
} from '@bulwark/rate-limit';
import type { RateLimiter, RateLimiterOptions, RateLimitPluginOptions } from '@bulwark/rate-limit';
import { startTestServer } from '../../../test/support/http.js';
import type { TestServer } from '../../../test/support/http.js';

/** A schema with the shapes bypasses use: interfaces, lists, same field names on two types. */
export const typeDefs = /* GraphQL */ `
  directive @listSize(
    assumedSize: Int
    slicingArguments: [String!]
    sizedFields: [String!]
    requireOneSlicingArgument: Boolean = true
  ) on FIELD_DEFINITION
  directive @cost(weight: Int!) on FIELD_DEFINITION | OBJECT | SCALAR | ENUM | ARGUMENT_DEFINITION
  ${rateLimitDirectiveTypeDefs}

  interface Account {
    id: ID!
    email: String
  }

  type User implements Account {
    id: ID!
    email: String @rateLimit(limit: 20, window: "1m", by: ["principal"])
    secret: String @rateLimit(limit: 3, window: "1m", by: ["principal"])
    name: String
  }

  type Robot implements Account {
    id: ID!
    email: String
  }

  type Group {
    id: ID!
    secret: String @rateLimit(limit: 3, window: "1m", by: ["principal"])
  }

  input LoginInput {
    email: String!
    password: String!
  }

  type Query {
    ping: String
    me: User
    users(first: Int = 10): [User!]!
      @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
    accounts: [Account!]! @listSize(assumedSize: 2)
    group: Group
    report: String @cost(weight: 40)
  }

  type Mutation {
    login(email: String!, password: String!): String
      @rateLimit(
        limit: 10
        window: "1m"
        by: ["ip", "arg:email"]
        jail: { after: 5, within: "15m", for: "15m" }
      )
    loginWith(input: LoginInput!): String
    reset(email: String!): Boolean
  }
`;

/** Resolver call counts: a refused operation must leave them untouched. */
export interface Calls {
  login: number;
  email: number;
  secret: number;
  ping: number;
  reset: number;
}

/** The password every account accepts in these tests. */
export const RIGHT_PASSWORD = 'right horse battery staple';

function resolvers(calls: Calls, limiter: () => RateLimiter) {
  const user = (id: string) => ({ id, email: `${id}@example.com`, secret: `s-${id}`, name: id });
  const checkPassword = async (password: string, context: unknown, info: GraphQLResolveInfo) => {
    calls.login++;
    if (password === RIGHT_PASSWORD) return 'token';
    await limiter().reportFailure(context, info);
    throw new GraphQLError('Invalid email or password.', {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 200 } },
    });
  };
  return {
    Query: {
      ping: () => {
        calls.ping++;
        return 'pong';
      },
      me: () => user('me'),
      users: (_: unknown, args: { first: number }) =>
        Array.from({ length: Math.min(args.first, 3) }, (_x, i) => user(`u${i}`)),
      accounts: () => [user('a1'), { __typename: 'Robot', id: 'r1', email: 'r1@example.com' }],
      group: () => ({ id: 'g1', secret: 'group-secret' }),
      report: () => 'report',
    },
    Mutation: {
      login: (_: unknown, args: { password: string }, context: unknown, info: GraphQLResolveInfo) =>
        checkPassword(args.password, context, info),
      loginWith: (
        _: unknown,
        args: { input: { password: string } },
        context: unknown,
        info: GraphQLResolveInfo,
      ) => checkPassword(args.input.password, context, info),
      reset: () => {
        calls.reset++;
        return true;
      },
    },
    Account: {
      __resolveType: (o: { __typename?: string }) => o.__typename ?? 'User',
    },
    User: {
      email: (u: { email: string }) => {
        calls.email++;
        return u.email;
      },
      secret: (u: { secret: string }) => {
        calls.secret++;
        return u.secret;
      },
    },
    Group: {
      secret: (g: { secret: string }) => {
        calls.secret++;
        return g.secret;
      },
    },
  };
}

/** A running server with its limiter, clock, events and resolver counts. */
export interface LimitedServer extends TestServer {
  limiter: RateLimiter;
  clock: { now: number };
  events: SecurityEvent[];
  calls: Calls;
}

/** Options of {@link startLimitedServer}. */
export type LimitedServerOptions = Partial<RateLimiterOptions> & {
  typeDefs?: string;
  plugin?: RateLimitPluginOptions;
  store?: RateLimitStore;
};

/** The start of every test clock: aligned on an hour, so windows start with the test. */
export const T0 = Date.UTC(2026, 0, 1, 12);

/**
 * Starts Apollo Server 5 with the limiter. The test context stands in for authentication:
 * `x-test-user` becomes the principal; the client IP is the socket address unless
 * `x-test-ip` (a test-only stand-in for a trusted proxy's report) says otherwise.
 */
export async function startLimitedServer(
  options: LimitedServerOptions = {},
): Promise<LimitedServer> {
  const { typeDefs: sdl = typeDefs, plugin, ...limiterOptions } = options;
  const clock = { now: T0 };
  const events: SecurityEvent[] = [];
  const calls: Calls = { login: 0, email: 0, secret: 0, ping: 0, reset: 0 };
  const limiter = createRateLimiter({
    store: new MemoryRateLimitStore({ max: 10_000 }),
    now: () => clock.now,
    onEvent: (e) => events.push(e),
    ...limiterOptions,
  });
  const server = await startTestServer({
    typeDefs: sdl,
    resolvers: resolvers(calls, () => limiter),
    allowBatchedHttpRequests: true,
    plugins: [rateLimitPlugin(limiter, plugin)],
    context: async ({ req }) => {
      const user = req.headers['x-test-user'];
      const ip = req.headers['x-test-ip'];
      return {
        req,
        ...(typeof ip === 'string' ? { clientIp: ip } : {}),
        auth: {
          principal: typeof user === 'string' ? createPrincipal({ subject: user }) : null,
        },
      };
    },
  });
  return Object.assign(server, { limiter, clock, events, calls });
}

/** `n` aliases of one selection: `a0: field a1: field ...`. */
export function aliases(n: number, selection: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => `a${i}: ${selection(i)}`).join('\n');
}
