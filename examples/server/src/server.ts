import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Express } from 'express';
import { createLimits } from '@bulwark/limits';
import type { LimitsOptions } from '@bulwark/limits';
import { ShopData } from './data.js';
import { shopResolvers } from './resolvers.js';
import type { ShopContext } from './resolvers.js';
import { shopTypeDefs } from './schema.js';

/** Configuration of the example server. */
export interface ServerConfig {
  /** TCP port; 0 picks a free one. @default 4000 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Production mode: no introspection, no landing page. @default false */
  production?: boolean;
  /** Limits (defaults: @bulwark/limits' defaults). */
  limits?: LimitsOptions;
}

/** A running example server. */
export interface RunningServer {
  url: string;
  app: Express;
  httpServer: Server;
  apollo: ApolloServer<ShopContext>;
  data: ShopData;
  stop(): Promise<void>;
}

/** Builds and starts the example server. */
export async function createServer(config: ServerConfig = {}): Promise<RunningServer> {
  const { port = 4000, host = '127.0.0.1', production = false } = config;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  const data = new ShopData();
  const limits = createLimits(config.limits);
  const apollo = new ApolloServer<ShopContext>({
    typeDefs: shopTypeDefs,
    resolvers: shopResolvers(),
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    validationRules: [...limits.validationRules],
    parseOptions: limits.parseOptions,
    plugins: [...limits.plugins, ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await apollo.start();
  app.use(
    '/graphql',
    express.json({ limit: '100kb' }),
    expressMiddleware(apollo, { context: async () => ({ data, auth: { principal: null } }) }),
  );
  await new Promise<void>((resolve) => httpServer.listen(port, host, resolve));
  const address = httpServer.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/graphql`,
    app,
    httpServer,
    apollo,
    data,
    async stop() {
      await apollo.stop();
    },
  };
}
