import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { ValidationRule } from 'graphql';
import type { LimitsOptions } from '@bulwark/limits';
import { hasRole } from '@bulwark/core';
import type { OnSecurityEvent, Principal } from '@bulwark/core';
import type { CostBudgetOptions, RateLimitRule, TrustProxy } from '@bulwark/rate-limit';
import type { LoggerOptions } from './monitoring.js';
import type { Protections } from './security.js';

/** Apollo plugins and validation rules added after the preset's. */
export interface ExtraApollo {
  plugins?: readonly ApolloServerPlugin<BaseContext>[];
  validationRules?: readonly ValidationRule[];
}

/** Configuration of the example server. Every field is optional; defaults are secure. */
export interface ServerConfig {
  /** TCP port; 0 picks a free one. @default 4000 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /**
   * Production: validation messages redacted, demo passwords never generated nor printed (only
   * those set in `demoPasswords` work). @default false
   */
  production?: boolean;
  /** Protections to switch off for a comparison run (`{ authz: false }`), or `'bare'` for all. @default all on */
  protections?: Partial<Protections> | 'bare';
  /** @bulwark/limits options over the example's defaults. */
  limits?: LimitsOptions;
  /** Largest JSON body in bytes; larger is 413. @default 102400 (100 KB) */
  bodyLimit?: number;
  /** HTTP batching: the most operations per batch, or `false` for none. @default false */
  maxBatchSize?: number | false;
  /** Origins allowed by CORS (exact, e.g. `https://app.example.com`). @default [] (none) */
  corsOrigins?: readonly string[];
  /**
   * Proxies trusted to report the client address and protocol (`X-Forwarded-For`,
   * `X-Forwarded-Proto`): `false`, a hop count, or addresses and CIDR ranges. @default false
   */
  trustProxy?: TrustProxy;
  /** Redis for rate limits and revocations, shared by instances. @default memory stores */
  redisUrl?: string | undefined;
  /** Key prefix in Redis. @default 'bulwark-example:' */
  redisPrefix?: string;
  /** Rate-limit rules in code, on top of the schema's `@rateLimit`. @default {@link DEFAULT_RULES} */
  rateLimitRules?: readonly RateLimitRule[];
  /** The cost budget per user (or IP when anonymous), or `false`. @default {@link DEFAULT_BUDGET} */
  costBudget?: CostBudgetOptions | false;
  /**
   * Demo passwords by account id (`u1`, `s1`) or by role (`admin`, `support`, `customer`). In
   * development, accounts without one get a random password per start. @default {}
   */
  demoPasswords?: Readonly<Record<string, string | undefined>>;
  /** `iss` of tokens. @default 'https://shop.example/' */
  issuer?: string;
  /** `aud` of access tokens. @default 'https://shop.example/graphql' */
  audience?: string;
  /** Access token lifetime, seconds. @default 900 */
  accessTokenTtl?: number;
  /** Refresh token lifetime, seconds. @default 43200 */
  refreshTokenTtl?: number;
  /** JSON logs (pino): level and destination, or `false` for none. @default { level: 'info' } to stdout */
  log?: LoggerOptions | false;
  /** Prometheus metrics on their own port, or `false`. @default false (main.ts serves them on 9464) */
  metrics?: { port: number; host?: string } | false;
  /** Also receives every security event. */
  onEvent?: OnSecurityEvent;
  /** Apollo Server's document store (parsed and validated documents), passed through. */
  documentStore?: ApolloServerOptions<BaseContext>['documentStore'];
  /**
   * More Apollo plugins and validation rules, appended to the preset's: for comparison runs that
   * put another protection layer on the bare server (the benchmark's GraphQL Armor variant).
   * @default none
   */
  apollo?: ExtraApollo;
  /** The clock, ms since the epoch (rate-limit windows, token times). @default Date.now */
  now?: () => number;
}

/** Rules in code: every operation, and mutations, per user (or IP when anonymous). */
export const DEFAULT_RULES: readonly RateLimitRule[] = Object.freeze([
  { id: 'operations', match: { operationType: 'any' }, limit: 600, window: '1m', by: 'principal' },
  {
    id: 'mutations',
    match: { operationType: 'mutation' },
    limit: 60,
    window: '1m',
    by: 'principal',
  },
]);

/** The cost budget: 20,000 points a minute per user (or IP). */
export const DEFAULT_BUDGET: CostBudgetOptions = Object.freeze({
  limit: 20_000,
  window: '1m',
  by: 'principal',
});

/**
 * The example's limits, over @bulwark/limits' defaults: a cost of 5,000 per operation, 20,000
 * for admins (the standard introspection query costs about 15,000).
 */
export const DEFAULT_LIMITS: LimitsOptions = Object.freeze({
  maxCost: { max: (principal: Principal | null) => (hasRole(principal, 'admin') ? 20_000 : 5000) },
});

/** The configuration with every default applied. */
export interface ResolvedConfig {
  port: number;
  host: string;
  production: boolean;
  protections: Protections;
  limits: LimitsOptions;
  bodyLimit: number;
  maxBatchSize: number | false;
  corsOrigins: readonly string[];
  trustProxy: TrustProxy;
  redisUrl: string | undefined;
  redisPrefix: string;
  rateLimitRules: readonly RateLimitRule[];
  costBudget: CostBudgetOptions | undefined;
  demoPasswords: Readonly<Record<string, string | undefined>>;
  issuer: string;
  audience: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  log: LoggerOptions | false;
  metrics: { port: number; host: string } | false;
  onEvent: OnSecurityEvent | undefined;
  documentStore: ApolloServerOptions<BaseContext>['documentStore'] | undefined;
  apollo: ExtraApollo;
  now: () => number;
}

const ALL_ON: Protections = {
  limits: true,
  auth: true,
  authz: true,
  rateLimit: true,
  introspection: true,
  masking: true,
  http: true,
};

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`\`${name}\` must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

/** Applies the defaults and checks the values; a bad one throws a `TypeError` naming it. */
export function resolveConfig(c: ServerConfig): ResolvedConfig {
  const port = c.port ?? 4000;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`\`port\` must be an integer from 0 to 65535, got ${String(port)}.`);
  }
  const protections: Protections =
    c.protections === 'bare'
      ? {
          limits: false,
          auth: false,
          authz: false,
          rateLimit: false,
          introspection: false,
          masking: false,
          http: false,
        }
      : { ...ALL_ON, ...stripUndefined(c.protections ?? {}) };
  const maxBatchSize = c.maxBatchSize ?? false;
  if (maxBatchSize !== false) positiveInteger('maxBatchSize', maxBatchSize);
  const metrics = c.metrics ?? false;
  return {
    port,
    host: c.host ?? '127.0.0.1',
    production: c.production ?? false,
    protections,
    limits: { ...DEFAULT_LIMITS, ...c.limits },
    bodyLimit: positiveInteger('bodyLimit', c.bodyLimit ?? 102_400),
    maxBatchSize,
    corsOrigins: c.corsOrigins ?? [],
    trustProxy: c.trustProxy ?? false,
    redisUrl: c.redisUrl,
    redisPrefix: c.redisPrefix ?? 'bulwark-example:',
    rateLimitRules: c.rateLimitRules ?? DEFAULT_RULES,
    costBudget: c.costBudget === false ? undefined : (c.costBudget ?? DEFAULT_BUDGET),
    demoPasswords: c.demoPasswords ?? {},
    issuer: c.issuer ?? 'https://shop.example/',
    audience: c.audience ?? 'https://shop.example/graphql',
    accessTokenTtl: positiveInteger('accessTokenTtl', c.accessTokenTtl ?? 900),
    refreshTokenTtl: positiveInteger('refreshTokenTtl', c.refreshTokenTtl ?? 43_200),
    log: c.log ?? {},
    metrics: metrics === false ? false : { port: metrics.port, host: metrics.host ?? '127.0.0.1' },
    onEvent: c.onEvent,
    documentStore: c.documentStore,
    apollo: c.apollo ?? {},
    now: c.now ?? (() => Date.now()),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
