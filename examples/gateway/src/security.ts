// Every Bulwark protection the gateway runs, in one place: the preset (`bulwark()`) for the
// client-facing side, and the supergraph bridge for the field rules and costs that the
// supergraph carries and the gateway's API schema lacks.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { createAuthz } from '@bulwark/authz';
import type { Authz } from '@bulwark/authz';
import { hasRole } from '@bulwark/core';
import type { OnSecurityEvent, Principal } from '@bulwark/core';
import { supergraphBridgePlugin } from '@bulwark/gateway';
import type { JwtAuthOptions } from '@bulwark/jwt';
import { bulwark } from '@bulwark/preset';
import type {
  BulwarkApolloOptions,
  ContextArgument,
  PresetLimitsOptions,
  PresetMaskingOptions,
  SecurityContext,
} from '@bulwark/preset';
import type {
  CostBudgetOptions,
  RateLimitRule,
  RateLimiter,
  TrustProxy,
} from '@bulwark/rate-limit';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { policies } from './policies.js';

/** The gateway's request context: the principal and the client address, set by the preset. */
export type GatewayContext = SecurityContext;

/** What the gateway's security is configured with. */
export interface GatewaySecurityConfig {
  /** Token verification at the edge (issuer, audience, algorithms, keys). Required. */
  jwt: JwtAuthOptions;
  /** Limits on the client operation. @default GATEWAY_LIMITS */
  limits?: PresetLimitsOptions;
  /** Rate-limit rules on the API schema's coordinates. @default GATEWAY_RATE_LIMIT_RULES */
  rateLimitRules?: readonly RateLimitRule[];
  /** Cost budget per principal; `false` for none. @default GATEWAY_BUDGET */
  budget?: CostBudgetOptions | false;
  /** Proxies trusted for `X-Forwarded-For`. @default false (the socket address) */
  trustProxy?: TrustProxy;
  /** Who may introspect. @default admins */
  allowIntrospection?: (principal: Principal | null) => boolean;
  /** Masking options. @default {} (generic message and errorId for anything unexpected) */
  masking?: PresetMaskingOptions;
  /** The clock of the rate limiter. @default Date.now */
  now?: () => number;
  /** Receives every security event of every protection. */
  onEvent?: OnSecurityEvent;
}

/** The gateway's limits: a client operation is priced with the subgraphs' `@listSize`. */
export const GATEWAY_LIMITS: PresetLimitsOptions = Object.freeze({
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

/** What the gateway spreads into Apollo Server and mounts on Express. */
export interface GatewaySecurity {
  /** Spread into `new ApolloServer({ gateway, ...security.apollo })`: the bridge comes first. */
  readonly apollo: BulwarkApolloOptions;
  /** The context function for `expressMiddleware`: verifies the token, records the client IP. */
  readonly context: (arg: ContextArgument) => Promise<GatewayContext>;
  /** Express middleware before `expressMiddleware`: headers, CORS, body limit, batch limits. */
  readonly express: RequestHandler[];
  /** Coded JSON for malformed requests; mount after the routes. */
  readonly errorHandler: ErrorRequestHandler;
  /** A JSON 404; mount after the routes. */
  readonly notFound: RequestHandler;
  /** Field authorization of the gateway (the bridge's). */
  readonly authz: Authz;
  /** The rate limiter. */
  readonly limiter: RateLimiter | undefined;
}

/**
 * Composes the protections at the gateway: `bulwark()` verifies the token at the edge, limits
 * and prices the client operation, rate-limits it and charges a budget, lets admins introspect,
 * masks subgraph errors, strips suggestions and guards the HTTP layer; the supergraph bridge
 * registers the supergraph's rules and costs on the API schema and checks the field rules
 * before the query plan runs.
 */
export function createGatewaySecurity(config: GatewaySecurityConfig): GatewaySecurity {
  const allow = config.allowIntrospection ?? ((p: Principal | null) => hasRole(p, 'admin'));
  const security = bulwark({
    auth: { type: 'jwt', mode: 'optional', ...config.jwt },
    // The preset's authz plugin needs a schema it wrapped; a gateway's schema comes from the
    // supergraph, so field authorization runs in the bridge below.
    authz: false,
    limits: config.limits ?? GATEWAY_LIMITS,
    rateLimit: {
      rules: config.rateLimitRules ?? GATEWAY_RATE_LIMIT_RULES,
      ...(config.budget === false ? {} : { budget: config.budget ?? GATEWAY_BUDGET }),
      ...(config.now ? { now: config.now } : {}),
    },
    introspection: { allow: (principal) => allow(principal) },
    masking: config.masking ?? {},
    http: { trustProxy: config.trustProxy ?? false },
    ...(config.onEvent ? { onEvent: config.onEvent } : {}),
  });
  const authz = createAuthz({ defaultPolicy: 'deny', policies, onEvent: security.events });
  const bridge = supergraphBridgePlugin({
    authz,
    // Admins may introspect: the introspection query must not trip the cost limit.
    introspectionCost: 'free',
    onEvent: security.events,
  });
  const apollo = security.apollo;
  return {
    apollo: { ...apollo, plugins: [bridge as ApolloServerPlugin<BaseContext>, ...apollo.plugins] },
    context: security.context(),
    express: security.express,
    errorHandler: security.errorHandler,
    notFound: security.notFound,
    authz,
    limiter: security.limiter,
  };
}
