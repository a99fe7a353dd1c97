import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { expressMiddleware } from '@as-integrations/express5';
import { authzPlugin, createAuthz } from '@bulwark/authz';
import type { AuthContext, OnSecurityEvent, Principal } from '@bulwark/core';
import { createPrincipalVerifier } from '@bulwark/gateway/subgraph';
import type { GatewaySecret } from '@bulwark/gateway/subgraph';
import { createLimits } from '@bulwark/limits';
import express from 'express';
import { accountsResolvers } from './accounts.js';
import { OrdersData, ordersResolvers } from './orders.js';
import { policies } from './policies.js';
import { SUBGRAPH_TYPE_DEFS } from './supergraph.js';
import type { SubgraphName } from './supergraph.js';

/** Configuration of one subgraph of the example. */
export interface SubgraphConfig {
  /** Which subgraph. */
  name: SubgraphName;
  /** The secret shared with the gateway (at least 32 bytes). */
  secret: GatewaySecret;
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Receives the subgraph's security events (refused signatures, denied fields). */
  onEvent?: OnSecurityEvent;
  /** Called with the principal of every accepted request (tests compare it with the gateway's). */
  onPrincipal?: (principal: Principal | null) => void;
  /** The clock of the signature check. @default Date.now */
  now?: () => number;
}

/** A running subgraph. */
export interface RunningSubgraph {
  readonly name: SubgraphName;
  readonly url: string;
  /** HTTP requests received on the GraphQL path, accepted or not. */
  readonly requests: number;
  stop(): Promise<void>;
}

/**
 * Starts one subgraph: `@apollo/subgraph` on Apollo Server 5 and Express 5. It accepts only
 * requests signed by the gateway (401 otherwise, before any GraphQL work) and enforces its own
 * rules again with `@bulwark/authz` (defense in depth): owner rules, which only the subgraph
 * resolving the object can decide, are enforced here.
 */
export async function startSubgraph(config: SubgraphConfig): Promise<RunningSubgraph> {
  const { name, port = 0, host = '127.0.0.1', onEvent, onPrincipal } = config;
  const verifier = createPrincipalVerifier({
    secret: config.secret,
    subgraph: name,
    onEvent,
    ...(config.now ? { now: config.now } : {}),
  });
  const authz = createAuthz({ defaultPolicy: 'deny', policies, onEvent });
  const resolvers = name === 'accounts' ? accountsResolvers : ordersResolvers(new OrdersData());
  const schema = authz.wrapSchema(
    buildSubgraphSchema({ typeDefs: SUBGRAPH_TYPE_DEFS[name], resolvers: resolvers as never }),
  );
  // The gateway sends plans of operations it has already limited; these bounds catch a
  // misbehaving caller that holds a valid signature.
  const limits = createLimits({ maxDepth: 20, maxCost: 100_000, onEvent });
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  const apollo = new ApolloServer<{ auth: AuthContext }>({
    schema,
    introspection: false,
    includeStacktraceInErrorResponses: false,
    validationRules: [...limits.validationRules],
    parseOptions: limits.parseOptions,
    plugins: [
      verifier.plugin(),
      authzPlugin(authz),
      ...limits.plugins,
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
    ],
  });
  await apollo.start();
  let requests = 0;
  const context = verifier.context(async () => ({}));
  app.use(
    '/graphql',
    (_req, _res, next) => {
      requests++;
      next();
    },
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async (arg) => {
        const value = await context(arg);
        onPrincipal?.(value.auth.principal);
        return value;
      },
    }),
  );
  await new Promise<void>((resolve) => httpServer.listen(port, host, resolve));
  const address = httpServer.address() as AddressInfo;
  return {
    name,
    url: `http://${host}:${address.port}/graphql`,
    get requests() {
      return requests;
    },
    async stop() {
      await apollo.stop();
    },
  };
}
