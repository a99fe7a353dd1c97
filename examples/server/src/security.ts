import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { GraphQLFormattedError, GraphQLSchema, ParseOptions, ValidationRule } from 'graphql';
import { hasRole } from '@bulwark/core';
import type { OnSecurityEvent, Principal, RateLimitStore, RevocationList } from '@bulwark/core';
import { authzPlugin, createAuthz, objectPolicy, requestPolicy } from '@bulwark/authz';
import { introspectionPlugin, withoutSuggestions } from '@bulwark/introspection';
import { createJwtAuth } from '@bulwark/jwt';
import { batchLimitMiddleware, createLimits, sourceLimitMiddleware } from '@bulwark/limits';
import type { LimitsOptions } from '@bulwark/limits';
import { createMasking } from '@bulwark/masking';
import { createClientIpResolver, createRateLimiter, rateLimitPlugin } from '@bulwark/rate-limit';
import type {
  CostBudgetOptions,
  RateLimitRule,
  RateLimiter,
  TrustProxy,
} from '@bulwark/rate-limit';
import type { JSONWebKeySet } from 'jose';
import type { OrderRecord } from './data.js';
import {
  errorHandler,
  jsonBody,
  noPersistedQueries,
  notFound,
  securityHeaders,
  strictCors,
} from './http.js';
import { noteErrorCode } from './request-log.js';

/**
 * Every Bulwark feature the example uses, composed in one place, so that the example's server
 * module only spreads what this returns (and so that moving to `@bulwark/preset` is a change
 * of this file only). Each protection can be switched off for a "bare" comparison run.
 */

/** The protections, each on by default. */
export interface Protections {
  /** Depth, aliases, cost, tokens... (@bulwark/limits) and the batch size. */
  limits: boolean;
  /** Access tokens (@bulwark/jwt); off: every request is anonymous. */
  auth: boolean;
  /** @authenticated, @policy... (@bulwark/authz); off: the directives are ignored. */
  authz: boolean;
  /** @rateLimit, the rules and the cost budget (@bulwark/rate-limit). */
  rateLimit: boolean;
  /** Introspection for admins only (@bulwark/introspection). */
  introspection: boolean;
  /** Error masking and suggestion stripping (@bulwark/masking, @bulwark/introspection). */
  masking: boolean;
  /** Security headers, CORS allowlist, Apollo's CSRF prevention. */
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
  onEvent: OnSecurityEvent | undefined;
}

/** What the server spreads into Express and Apollo Server. */
export interface Security {
  /** The schema to serve (wrapped by the authorization layer when it is on). */
  schema: GraphQLSchema;
  apollo: Pick<
    ApolloServerOptions<BaseContext>,
    | 'introspection'
    | 'csrfPrevention'
    | 'allowBatchedHttpRequests'
    | 'includeStacktraceInErrorResponses'
    | 'hideSchemaDetailsFromClientErrors'
  > & {
    plugins: ApolloServerPlugin<BaseContext>[];
    validationRules: ValidationRule[];
    parseOptions: ParseOptions;
    formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  };
  /** Express middleware before the body parser (headers, CORS). */
  beforeBody: RequestHandler[];
  /** The body parser. */
  bodyParser: RequestHandler;
  /** After the body parser, before Apollo (batch size, document size and tokens). */
  afterBody: RequestHandler[];
  /** The 404 handler and the error handler, last. */
  notFound: RequestHandler;
  errorHandler: ReturnType<typeof errorHandler>;
  /** Builds the security part of the GraphQL context: `{ auth, clientIp }`. */
  context(
    req: Parameters<ReturnType<typeof createClientIpResolver>>[0] & {
      headers: Record<string, string | string[] | undefined>;
    },
  ): Promise<{ auth: { principal: Principal | null }; clientIp: string | null }>;
  /** The rate limiter, when rate limits are on (the login resolver reports failures to it). */
  limiter: RateLimiter<BaseContext> | undefined;
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

/** Composes the protections. */
export function createSecurity(schema: GraphQLSchema, input: SecurityInput): Security {
  const { protections: on, onEvent } = input;
  const plugins: ApolloServerPlugin<BaseContext>[] = [];
  const validationRules: ValidationRule[] = [];
  let parseOptions: ParseOptions = {};
  const afterBody: RequestHandler[] = on.http ? [noPersistedQueries()] : [];

  const jwt = on.auth
    ? createJwtAuth({
        issuer: input.issuer,
        audience: input.audience,
        algorithms: ['RS256'],
        keys: { type: 'jwks', jwks: input.jwks },
        typ: 'at+jwt',
        mode: 'optional',
        requiredClaims: ['jti', 'iat'],
        revocation: { list: input.revocations },
        now: input.now,
        onEvent,
      })
    : undefined;
  if (jwt) plugins.push(jwt.plugin());

  if (on.limits) {
    const limits = createLimits({
      // The standard introspection query nests `ofType` deeper than any API query; it is
      // refused for everyone but admins by the introspection plugin.
      ignore: ['__schema', '__type'],
      ...input.limits,
      onEvent,
    });
    validationRules.push(...limits.validationRules);
    plugins.push(...limits.plugins);
    parseOptions = limits.parseOptions;
    if (input.maxBatchSize !== false) {
      afterBody.push(batchLimitMiddleware({ maxBatchSize: input.maxBatchSize }));
    }
    afterBody.push(
      sourceLimitMiddleware({
        maxTokens: limits.options.maxTokens,
        maxDocumentLength: limits.options.maxDocumentLength,
      }),
    );
  }

  if (on.introspection) {
    plugins.push(
      introspectionPlugin({ allow: (principal) => hasRole(principal, 'admin'), onEvent }),
    );
  }

  let limiter: RateLimiter<BaseContext> | undefined;
  if (on.rateLimit) {
    limiter = createRateLimiter<BaseContext>({
      store: input.rateLimitStore,
      rules: input.rules,
      ...(input.budget ? { budget: input.budget } : {}),
      now: input.now,
      onEvent,
    });
    plugins.push(rateLimitPlugin(limiter));
  }

  let served = schema;
  if (on.authz) {
    const authz = createAuthz({ defaultPolicy: 'deny', policies: SHOP_POLICIES, onEvent });
    served = authz.wrapSchema(schema);
    plugins.push(authzPlugin(authz), forbiddenStatusPlugin());
  }

  let format = (formatted: GraphQLFormattedError, _error: unknown): GraphQLFormattedError =>
    formatted;
  if (on.masking) {
    const masking = createMasking({ redactValidationErrors: input.production, onEvent });
    plugins.push(masking.plugin);
    format = withoutSuggestions(masking.formatError);
  }
  const formatError = (formatted: GraphQLFormattedError, error: unknown) => {
    const out = format(formatted, error);
    noteErrorCode(out.extensions?.['validationErrorCode'] ?? out.extensions?.['code']);
    return out;
  };

  const clientIp = createClientIpResolver({ trustProxy: input.trustProxy });
  const anonymous = { principal: null };

  return {
    schema: served,
    apollo: {
      plugins,
      validationRules,
      parseOptions,
      formatError,
      introspection: on.introspection || !input.production,
      csrfPrevention: on.http,
      allowBatchedHttpRequests: input.maxBatchSize !== false,
      includeStacktraceInErrorResponses: false,
      hideSchemaDetailsFromClientErrors: on.masking,
    },
    beforeBody: on.http ? [securityHeaders(), strictCors(input.corsOrigins, onEvent)] : [],
    bodyParser: jsonBody(input.bodyLimit),
    afterBody,
    notFound: notFound(),
    errorHandler: errorHandler(input.bodyLimit, onEvent),
    async context(req) {
      const auth = jwt ? { principal: await jwt.authenticate(req) } : anonymous;
      return { auth, clientIp: clientIp(req) ?? null };
    },
    limiter,
  };
}
