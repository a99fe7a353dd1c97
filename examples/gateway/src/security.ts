// Every Bulwark feature the gateway composes, in one place. When `@bulwark/preset` lands,
// this module becomes `bulwark({ ... })` plus the supergraph bridge.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { ExpressContextFunctionArgument } from '@as-integrations/express5';
import { createAuthz } from '@bulwark/authz';
import type { Authz } from '@bulwark/authz';
import { hasRole } from '@bulwark/core';
import type { AuthContext, OnSecurityEvent, Principal } from '@bulwark/core';
import { supergraphBridgePlugin } from '@bulwark/gateway';
import { introspectionPlugin, withoutSuggestions } from '@bulwark/introspection';
import { createJwtAuth } from '@bulwark/jwt';
import type { JwtAuthOptions } from '@bulwark/jwt';
import { createLimits } from '@bulwark/limits';
import type { LimitsOptions } from '@bulwark/limits';
import { createMasking } from '@bulwark/masking';
import type { FormatError, MaskingOptions } from '@bulwark/masking';
import {
  MemoryRateLimitStore,
  createClientIpResolver,
  createRateLimiter,
  rateLimitPlugin,
} from '@bulwark/rate-limit';
import type {
  CostBudgetOptions,
  RateLimitRule,
  RateLimiter,
  TrustProxy,
} from '@bulwark/rate-limit';
import type { ParseOptions, ValidationRule } from 'graphql';
import { policies } from './policies.js';

/** The gateway's request context. */
export interface GatewayContext extends BaseContext {
  readonly auth: AuthContext;
  readonly clientIp: string | undefined;
}

/** What the gateway's security is configured with. */
export interface GatewaySecurityConfig {
  /** Token verification at the edge (issuer, audience, algorithms, keys). Required. */
  jwt: JwtAuthOptions;
  /** Limits on the client operation. @default GATEWAY_LIMITS */
  limits?: LimitsOptions;
  /** Rate-limit rules on the API schema's coordinates. @default GATEWAY_RATE_LIMIT_RULES */
  rateLimitRules?: readonly RateLimitRule[];
  /** Cost budget per principal; `false` for none. @default GATEWAY_BUDGET */
  budget?: CostBudgetOptions | false;
  /** Proxies trusted for `X-Forwarded-For`. @default false (the socket address) */
  trustProxy?: TrustProxy;
  /** Who may introspect. @default admins */
  allowIntrospection?: (principal: Principal | null) => boolean;
  /** Masking options. @default {} (generic message and errorId for anything unexpected) */
  masking?: MaskingOptions;
  /** The clock of the rate limiter. @default Date.now */
  now?: () => number;
  /** Receives every security event of every feature. */
  onEvent?: OnSecurityEvent;
}

/** The gateway's limits: a client operation is priced with the subgraphs' `@listSize`. */
export const GATEWAY_LIMITS: LimitsOptions = Object.freeze({
  maxDepth: 10,
  maxAliases: 15,
  maxCost: 5000,
  cost: { exposeCost: true },
});

/** The gateway's rate limits, counted at the edge before any subgraph call. */
export const GATEWAY_RATE_LIMIT_RULES: readonly RateLimitRule[] = Object.freeze([
  { match: { field: 'Mutation.placeOrder' }, limit: 5, window: '1m', by: 'principal' },
  { match: { field: 'Query.users' }, limit: 30, window: '1m', by: 'principal' },
]);

/** The gateway's cost budget: points per minute per principal (the IP when anonymous). */
export const GATEWAY_BUDGET: CostBudgetOptions = Object.freeze({
  limit: 20_000,
  window: '1m',
  by: 'principal',
});

/** What to spread into `new ApolloServer({ gateway, ... })`, and the context function. */
export interface GatewaySecurity {
  readonly plugins: ApolloServerPlugin<GatewayContext>[];
  readonly validationRules: ValidationRule[];
  readonly parseOptions: ParseOptions;
  readonly formatError: FormatError;
  /** The context function for `expressMiddleware`: verifies the token, records the client IP. */
  readonly context: (arg: ExpressContextFunctionArgument) => Promise<GatewayContext>;
  readonly authz: Authz;
  readonly limiter: RateLimiter<GatewayContext>;
}

/**
 * Composes the features at the gateway: JWT verification at the edge, the supergraph bridge
 * (field rules and cost read from the supergraph, checked before planning), limits and cost on
 * the client operation, rate limits and a budget, introspection for admins, masking of
 * subgraph errors and suggestion stripping.
 */
export function createGatewaySecurity(config: GatewaySecurityConfig): GatewaySecurity {
  const { onEvent } = config;
  const jwt = createJwtAuth({ mode: 'optional', ...config.jwt, onEvent });
  const authz = createAuthz<GatewayContext>({ defaultPolicy: 'deny', policies, onEvent });
  const limits = createLimits({ ...(config.limits ?? GATEWAY_LIMITS), onEvent });
  const limiter = createRateLimiter<GatewayContext>({
    store: new MemoryRateLimitStore({ max: 100_000 }),
    rules: config.rateLimitRules ?? GATEWAY_RATE_LIMIT_RULES,
    ...(config.budget === false ? {} : { budget: config.budget ?? GATEWAY_BUDGET }),
    getClientIp: (context) => context.clientIp,
    ...(config.now ? { now: config.now } : {}),
    onEvent,
  });
  const masking = createMasking<GatewayContext>({ ...config.masking, onEvent });
  const allow = config.allowIntrospection ?? ((p: Principal | null) => hasRole(p, 'admin'));
  const clientIp = createClientIpResolver({ trustProxy: config.trustProxy ?? false });
  const context = jwt.context((arg: ExpressContextFunctionArgument) => ({
    clientIp: clientIp(arg.req),
  }));
  return {
    plugins: [
      // First: it registers the supergraph's metadata that the limits and budget read.
      supergraphBridgePlugin<GatewayContext>({ authz, onEvent }),
      jwt.plugin(),
      ...limits.plugins,
      rateLimitPlugin(limiter),
      introspectionPlugin({ allow, onEvent }),
      masking.plugin,
    ],
    validationRules: [...limits.validationRules],
    parseOptions: limits.parseOptions,
    formatError: withoutSuggestions(masking.formatError),
    context,
    authz,
    limiter,
  };
}
