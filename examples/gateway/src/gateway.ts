import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import type { SupergraphManager } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { SignedDataSource, createPrincipalSigner } from '@bulwark/gateway';
import type { GatewaySecret } from '@bulwark/gateway';
import express from 'express';
import { createGatewaySecurity } from './security.js';
import type { GatewayContext, GatewaySecurity, GatewaySecurityConfig } from './security.js';
import { readSupergraph } from './supergraph.js';

/** Configuration of the example gateway. */
export interface GatewayConfig {
  /** The secret shared with the subgraphs (at least 32 bytes). */
  secret: GatewaySecret;
  /** Where each subgraph listens, by name (overrides the supergraph's URLs). */
  subgraphUrls: Readonly<Record<string, string>>;
  /** Security at the edge. */
  security: GatewaySecurityConfig;
  /**
   * The supergraph: SDL, or a manager that pushes updates (see {@link supergraphFromFile}).
   * @default the committed examples/gateway/supergraph.graphql
   */
  supergraph?: string | SupergraphManager;
  /** TCP port; 0 picks a free one. @default 4000 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** The clock of the principal signatures. @default Date.now */
  now?: () => number;
}

/** A running gateway. */
export interface RunningGateway {
  readonly url: string;
  readonly security: GatewaySecurity;
  stop(): Promise<void>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Starts the federated gateway: `@apollo/gateway` on Apollo Server 5 and Express 5, with the
 * features of {@link createGatewaySecurity}, sending each subgraph request with the verified
 * principal signed for that subgraph and that request.
 */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const { port = 4000, host = '127.0.0.1', subgraphUrls } = config;
  const signer = createPrincipalSigner({
    secret: config.secret,
    ...(config.now ? { now: config.now } : {}),
  });
  const gateway = new ApolloGateway({
    supergraphSdl: config.supergraph ?? readSupergraph(),
    logger: silent,
    buildService: ({ name }) => {
      const url = subgraphUrls[name];
      // A subgraph the gateway was not told about is never called at the supergraph's URL.
      if (!url) throw new Error(`No URL configured for subgraph "${name}".`);
      return new SignedDataSource({ url, subgraph: name, signer });
    },
  });
  const security = createGatewaySecurity(config.security);
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger: silent,
    ...security.apollo,
    plugins: [...security.apollo.plugins, ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await apollo.start();
  app.use(
    '/graphql',
    ...security.express,
    expressMiddleware(apollo, { context: security.context }),
  );
  app.use(security.notFound);
  app.use(security.errorHandler);
  await new Promise<void>((resolve) => httpServer.listen(port, host, resolve));
  const address = httpServer.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/graphql`,
    security,
    async stop() {
      await apollo.stop();
    },
  };
}

/**
 * A supergraph manager that serves a file and pushes every change of it to the gateway
 * (polled each `intervalMs`): recompose, and the gateway and its Bulwark rules reload without a
 * restart.
 */
export function supergraphFromFile(
  file: string,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): SupergraphManager {
  return {
    async initialize({ update }) {
      let current = readFileSync(file, 'utf8');
      const check = () => {
        try {
          const next = readFileSync(file, 'utf8');
          if (next === current) return;
          current = next;
          update(next);
        } catch (error) {
          options.onError?.(error);
        }
      };
      watchFile(file, { interval: options.intervalMs ?? 1000 }, check);
      return {
        supergraphSdl: current,
        async cleanup() {
          unwatchFile(file, check);
        },
      };
    },
  };
}
