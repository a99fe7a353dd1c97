import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import type { ApolloServerOptions } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RateLimitStore, RevocationList } from '@bulwark/core';
import { MemoryRevocationList } from '@bulwark/jwt';
import { MemoryRateLimitStore } from '@bulwark/rate-limit';
import { RedisRateLimitStore, RedisRevocationList } from '@bulwark/redis';
import { Redis } from 'ioredis';
import { resolveConfig } from './config.js';
import type { ResolvedConfig, ServerConfig } from './config.js';
import { ShopData } from './data.js';
import { createLogger, createRegistry, listen, startMetricsServer } from './monitoring.js';
import { hashPassword } from './passwords.js';
import { shopResolvers } from './resolvers.js';
import type { ShopContext } from './resolvers.js';
import { buildShopSchema } from './schema.js';
import { createSecurity } from './security.js';
import { createTokenService } from './tokens.js';

export type { ServerConfig } from './config.js';

/** A demo account and its password (development only: never printed in production). */
export interface DemoAccount {
  id: string;
  email: string;
  role: string;
  password: string;
}

/** A running example server. */
export interface RunningServer {
  /** The GraphQL endpoint, `http://host:port/graphql`. */
  url: string;
  /** The metrics endpoint, when metrics are served. */
  metricsUrl: string | undefined;
  app: Express;
  httpServer: Server;
  apollo: ApolloServer<ShopContext>;
  data: ShopData;
  /** The accounts that have a password, with it (generated or configured). */
  demoAccounts: DemoAccount[];
  logger: Logger | undefined;
  registry: Registry | undefined;
  config: ResolvedConfig;
  stop(): Promise<void>;
}

const ROLE_PASSWORD_KEYS = { ADMIN: 'admin', SUPPORT: 'support', CUSTOMER: 'customer' } as const;

async function demoAccounts(data: ShopData, config: ResolvedConfig): Promise<DemoAccount[]> {
  const out: DemoAccount[] = [];
  for (const account of [...data.users.values(), ...data.staff.values()]) {
    const configured =
      config.demoPasswords[account.id] ?? config.demoPasswords[ROLE_PASSWORD_KEYS[account.role]];
    const password =
      configured ?? (config.production ? undefined : randomBytes(12).toString('base64url'));
    if (password === undefined) continue;
    account.passwordHash = await hashPassword(password);
    out.push({ id: account.id, email: account.email, role: account.role, password });
  }
  return out;
}

function stores(config: ResolvedConfig): {
  rateLimitStore: RateLimitStore;
  revocations: RevocationList;
  close(): Promise<void>;
} {
  if (!config.redisUrl) {
    return {
      rateLimitStore: new MemoryRateLimitStore({ max: 100_000 }),
      revocations: new MemoryRevocationList({ now: config.now }),
      close: async () => {},
    };
  }
  const rateLimitStore = new RedisRateLimitStore({
    client: config.redisUrl,
    prefix: `${config.redisPrefix}rl:`,
    onStoreError: 'fail-closed',
  });
  const client = new Redis(config.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    lazyConnect: false,
  });
  // Errors surface as refused checks (503); the client reconnects by itself.
  client.on('error', () => {});
  const revocations = new RedisRevocationList({
    client,
    prefix: `${config.redisPrefix}revoked:`,
    now: config.now,
  });
  return {
    rateLimitStore,
    revocations,
    async close() {
      await rateLimitStore.close();
      client.disconnect();
    },
  };
}

/**
 * Builds and starts the example server: the shop API on Express 5 and Apollo Server 5 with
 * every Bulwark protection on (each can be switched off with `protections`), JSON logs and
 * Prometheus metrics.
 */
export async function createServer(input: ServerConfig = {}): Promise<RunningServer> {
  const config = resolveConfig(input);
  const logger = config.log === false ? undefined : createLogger(config.log);
  const registry = config.metrics === false ? undefined : createRegistry();

  const data = new ShopData();
  const accounts = await demoAccounts(data, config);
  const { rateLimitStore, revocations, close } = stores(config);
  const tokens = await createTokenService({
    issuer: config.issuer,
    audience: config.audience,
    accessTokenTtl: config.accessTokenTtl,
    refreshTokenTtl: config.refreshTokenTtl,
    revocations,
    now: config.now,
  });
  const security = createSecurity({
    production: config.production,
    protections: config.protections,
    limits: config.limits,
    bodyLimit: config.bodyLimit,
    maxBatchSize: config.maxBatchSize,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    rateLimitStore,
    revocations,
    rules: config.rateLimitRules,
    budget: config.costBudget,
    issuer: config.issuer,
    audience: config.audience,
    jwks: tokens.jwks,
    now: config.now,
    logger,
    registry,
    onEvent: config.onEvent,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy === false ? false : config.trustProxy);
  const httpServer = createHttpServer(app);
  const apollo = new ApolloServer<ShopContext>({
    schema: security.wrapSchema(buildShopSchema(shopResolvers())),
    ...security.apollo,
    plugins: [
      ...security.apollo.plugins,
      ...(config.apollo.plugins ?? []),
      ApolloServerPluginDrainHttpServer({ httpServer }),
    ],
    validationRules: [...security.apollo.validationRules, ...(config.apollo.validationRules ?? [])],
    // main.ts handles SIGINT/SIGTERM (Apollo's own handler would re-raise the signal).
    stopOnTerminationSignals: false,
    ...(config.documentStore !== undefined ? { documentStore: config.documentStore } : {}),
  } as ApolloServerOptions<ShopContext>);
  await apollo.start();

  const services: ShopContext['services'] = {
    tokens,
    now: config.now,
    onEvent: security.events,
    reportFailure: (ctx, info) => security.reportFailure(ctx, info),
  };
  // The preset's layer on every route: request log, headers, CORS allowlist, body limit.
  app.use(...security.express);
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(tokens.jwks);
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(
    '/graphql',
    expressMiddleware(apollo, {
      context: security.context(() => ({ data, services })),
    }),
  );
  app.use(security.notFound);
  app.use(security.errorHandler);

  let metricsServer: Server | undefined;
  try {
    await listen(httpServer, config.port, config.host);
    if (registry && config.metrics !== false) {
      metricsServer = await startMetricsServer(registry, config.metrics.port, config.metrics.host);
    }
  } catch (error) {
    await apollo.stop().catch(() => {});
    httpServer.close();
    await close();
    throw error;
  }
  const { port } = httpServer.address() as AddressInfo;
  const metricsAddress = metricsServer?.address() as AddressInfo | undefined;
  return {
    url: `http://${config.host}:${port}/graphql`,
    metricsUrl: metricsAddress
      ? `http://${config.metrics === false ? '' : config.metrics.host}:${metricsAddress.port}/metrics`
      : undefined,
    app,
    httpServer,
    apollo,
    data,
    demoAccounts: accounts,
    logger,
    registry,
    config,
    async stop() {
      await apollo.stop();
      httpServer.closeAllConnections();
      if (metricsServer) {
        metricsServer.closeAllConnections();
        await new Promise<void>((resolve) => metricsServer!.close(() => resolve()));
      }
      await close();
      logger?.flush();
    },
  };
}
