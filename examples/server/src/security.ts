import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import express from 'express';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { hasRole } from '@bulwark/core';
import type { OnSecurityEvent, RateLimitStore, RevocationList } from '@bulwark/core';
import { objectPolicy, requestPolicy } from '@bulwark/authz';
import type { LimitsOptions } from '@bulwark/limits';
import { SENSITIVE_NAME_PATTERN, bulwark } from '@bulwark/preset';
import type { Bulwark, BulwarkApolloOptions, BulwarkConfig, ContextFactory } from '@bulwark/preset';
import type { CostBudgetOptions, RateLimitRule, TrustProxy } from '@bulwark/rate-limit';
import type { JSONWebKeySet } from 'jose';
import type { OrderRecord } from './data.js';
import { hstsWhenSecure, noPersistedQueries } from './http.js';

/**
 * The example's security: one `bulwark()` configuration (@bulwark/preset), plus the three
 * things the example adds on top of it (a 403 for fields denied at resolution, a 400 for
 * persisted-query attempts, HSTS only on requests that came over TLS). Each protection can be
 * switched off for a "bare" comparison run.
 */

/** The protections, each on by default. */
export interface Protections {
  /** Depth, aliases, cost, tokens, batch size (@bulwark/limits). */
  limits: boolean;
  /** Access tokens (@bulwark/jwt); off: every request is anonymous. */
  auth: boolean;
  /** @authenticated, @policy... (@bulwark/authz); off: the directives are ignored. */
  authz: boolean;
  /** @rateLimit, the rules and the cost budget (@bulwark/rate-limit). */
  rateLimit: boolean;
  /** Introspection for admins only (@bulwark/introspection); off: for everyone. */
  introspection: boolean;
  /** Error masking (@bulwark/masking). */
  masking: boolean;
  /**
   * The preset's Express layer (security headers, CORS allowlist, coded JSON errors, body,
   * batch and document limits before parsing). Off: a plain `express.json` body parser.
   * Apollo Server's CSRF prevention is on either way, as in Apollo's defaults.
   */
  http: boolean;
}

/** What {@link createSecurity} needs. */
export interface SecurityInput {
  production: boolean;
  protections: Protections;
  limits: LimitsOptions;
  /** Largest JSON body, in bytes. */
  bodyLimit: number;
  /** Operations per HTTP batch; `false`: batching off. */
  maxBatchSize: number | false;
  corsOrigins: readonly string[];
  trustProxy: TrustProxy;
  rateLimitStore: RateLimitStore;
  revocations: RevocationList;
  rules: readonly RateLimitRule[];
  budget: CostBudgetOptions | undefined;
  issuer: string;
  audience: string;
  jwks: JSONWebKeySet;
  now: () => number;
  logger: Logger | undefined;
  registry: Registry | undefined;
  onEvent: OnSecurityEvent | undefined;
}

/** What the server mounts. */
export interface Security {
  /** The preset. */
  preset: Bulwark;
  /** Options to spread into `new ApolloServer`. */
  apollo: BulwarkApolloOptions;
  /** Wraps the schema (authorization). */
  wrapSchema(schema: GraphQLSchema): GraphQLSchema;
  /** Express middleware of the API, before any route. */
  express: RequestHandler[];
  notFound: RequestHandler;
  errorHandler: ErrorRequestHandler;
  context: ContextFactory;
  /** Counts a wrong password against the login jails. */
  reportFailure(context: unknown, info: GraphQLResolveInfo): Promise<void>;
  /** Every security event goes here (logs, metrics, `onEvent`). */
  events: OnSecurityEvent;
}

const role = (name: string) => requestPolicy(({ principal }) => hasRole(principal, name));

/** The policies the schema's `@policy` directives name. */
export const SHOP_POLICIES = {
  admin: role('admin'),
  staff: requestPolicy(
    ({ principal }) => hasRole(principal, 'admin') || hasRole(principal, 'support'),
  ),
  owner: objectPolicy<{ id: string }>(
    ({ principal, object }) => principal !== null && object.id === principal.subject,
  ),
  buyer: objectPolicy<OrderRecord>(
    ({ principal, object }) => principal !== null && object.buyerId === principal.subject,
  ),
};

/**
 * Names whose values never reach a log: the preset's (passwords, tokens, secrets...) and, in
 * this API, personal data (email, address, phone).
 */
export const SENSITIVE_NAMES = new RegExp(
  `${SENSITIVE_NAME_PATTERN.source}|email|address|phone`,
  SENSITIVE_NAME_PATTERN.flags,
);

/**
 * The FORBIDDEN errors of fields denied at resolution (owner and buyer checks) leave the status
 * at 200, as GraphQL does for partial results. This example answers 403 instead: every request
 * that touches what it may not see gets a 4xx, which is what monitoring and clients key on.
 */
export function forbiddenStatusPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors ?? [];
          const forbidden = errors.some((e) => e.extensions?.['code'] === 'FORBIDDEN');
          if (forbidden && (response.http.status ?? 200) === 200) response.http.status = 403;
        },
      };
    },
  };
}

/** The `bulwark()` configuration of the example. */
export function presetConfig(input: SecurityInput): BulwarkConfig {
  const on = input.protections;
  return {
    production: input.production,
    auth: on.auth
      ? {
          type: 'jwt',
          issuer: input.issuer,
          audience: input.audience,
          algorithms: ['RS256'],
          keys: { type: 'jwks', jwks: input.jwks },
          typ: 'at+jwt',
          mode: 'optional',
          requiredClaims: ['jti', 'iat'],
          revocation: { list: input.revocations },
          now: input.now,
        }
      : false,
    authz: on.authz ? { defaultPolicy: 'deny', policies: SHOP_POLICIES } : false,
    limits: on.limits ? input.limits : false,
    rateLimit: on.rateLimit
      ? {
          store: input.rateLimitStore,
          rules: input.rules,
          ...(input.budget ? { budget: input.budget } : {}),
          now: input.now,
        }
      : false,
    introspection: on.introspection
      ? { allow: (principal) => hasRole(principal, 'admin') }
      : 'enabled',
    masking: on.masking ? { redactValidationErrors: input.production } : false,
    http: {
      bodyLimit: input.bodyLimit,
      cors: on.http ? { origins: [...input.corsOrigins] } : false,
      // Apollo Server's own CSRF prevention stays on without the HTTP layer: it is Apollo's
      // default, so a server with no Bulwark has it too.
      csrf: {},
      batching: input.maxBatchSize === false ? false : { maxBatchSize: input.maxBatchSize },
      trustProxy: input.trustProxy,
    },
    monitoring: {
      ...(input.logger ? { logger: input.logger } : {}),
      ...(input.registry ? { registry: input.registry } : {}),
      logVariables: true,
      sensitivePattern: SENSITIVE_NAMES,
    },
    ...(input.onEvent ? { onEvent: input.onEvent } : {}),
  };
}

/** Builds the example's security from the preset. */
export function createSecurity(input: SecurityInput): Security {
  const preset = bulwark(presetConfig(input));
  const on = input.protections;
  const apollo = preset.apollo;
  apollo.plugins.push(...(on.authz ? [forbiddenStatusPlugin()] : []));
  return {
    preset,
    apollo,
    wrapSchema: (schema) => preset.wrapSchema(schema),
    express: on.http
      ? [...preset.express, noPersistedQueries(), hstsWhenSecure()]
      : [express.json({ limit: input.bodyLimit })],
    notFound: preset.notFound,
    errorHandler: preset.errorHandler,
    context: preset.context,
    reportFailure: (context, info) => preset.reportFailure(context, info),
    events: preset.events,
  };
}
