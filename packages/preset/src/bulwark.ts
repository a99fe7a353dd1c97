import {
  combineEventHandlers,
  getCostMetadata,
  schemaCostMetadata,
  setCostMetadata,
} from '@bulwark/core';
import type { OnSecurityEvent } from '@bulwark/core';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { authzPlugin, createAuthz } from '@bulwark/authz';
import type { Authz } from '@bulwark/authz';
import type { IntrospectionPolicy } from '@bulwark/introspection';
import {
  createNoIntrospectionRule,
  introspectionPlugin,
  withoutSuggestions,
} from '@bulwark/introspection';
import type { JwtAuth } from '@bulwark/jwt';
import { createLimits } from '@bulwark/limits';
import type { Limits } from '@bulwark/limits';
import { createMasking } from '@bulwark/masking';
import type { ErrorMasking } from '@bulwark/masking';
import {
  MemoryRateLimitStore,
  createClientIpResolver,
  createRateLimiter,
  rateLimitPlugin,
} from '@bulwark/rate-limit';
import type { RateLimiter, RateLimitPluginOptions } from '@bulwark/rate-limit';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type {
  GraphQLFormattedError,
  GraphQLResolveInfo,
  GraphQLSchema,
  ParseOptions,
  ValidationRule,
} from 'graphql';
import type { BulwarkConfig } from './config.js';
import { createContextFactory } from './context.js';
import type { ContextFactory } from './context.js';
import { createHttpLayer } from './http.js';
import type { HttpLayer } from './http.js';
import { pinoEvents } from './monitoring/pino.js';
import { prometheusEvents } from './monitoring/prometheus.js';
import { createRequestMonitor } from './monitoring/requests.js';
import type { RequestMonitor } from './monitoring/requests.js';
import { createAuthentication, section } from './auth.js';
import { withFreeIntrospection } from './introspection.js';
import { BULWARK_DEFAULTS, assertNoReserved, resolvePresetOptions } from './options.js';
import type { ResolvedPresetOptions } from './options.js';
import { composePlugins } from './compose.js';
import { knownOperationTypesRule } from './operation-types.js';
import { contextGuardPlugin, noStorePlugin } from './plugins.js';

/**
 * The Apollo Server options of the preset, to spread into `new ApolloServer({...})`. Each access
 * to `security.apollo` returns a fresh object (Apollo Server adds its own plugins to the array
 * it is given).
 */
export interface BulwarkApolloOptions {
  /** Authentication check, limits, introspection, authorization, rate limits, masking, headers. */
  plugins: ApolloServerPlugin<BaseContext>[];
  /** The static limits and, with `introspection: 'disabled'`, the introspection rule. */
  validationRules: ValidationRule[];
  /** Masking, then suggestion stripping, on every error Apollo Server returns. */
  formatError: (formattedError: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** `{ maxTokens }`: the parser stops at the token limit. */
  parseOptions: ParseOptions;
  /** Apollo Server's CSRF prevention (pinned on unless `http.csrf: false`). */
  csrfPrevention: boolean | { requestHeaders: string[] };
  /** `true` only with `http.batching`. */
  allowBatchedHttpRequests: boolean;
  /** Always `false`: stacks never reach a client (masking's `debug` is the escape hatch). */
  includeStacktraceInErrorResponses: false;
  /**
   * Always `true`: Apollo Server's own rule would refuse everyone; the preset's rule or plugin
   * decides instead.
   */
  introspection: true;
  /** Apollo Server's suggestion hiding, on top of the preset's stripping. */
  hideSchemaDetailsFromClientErrors: true;
  /**
   * `false`: automatic persisted queries off, so clients cannot store documents in the
   * server's cache (clients fall back to sending the document). Spread your own value after
   * `...security.apollo` to turn them on.
   */
  persistedQueries: false;
}

/** What {@link bulwark} returns. */
export interface Bulwark {
  /** Spread into `new ApolloServer({ schema: security.wrapSchema(schema), ...security.apollo })`. */
  readonly apollo: BulwarkApolloOptions;
  /**
   * The schema to give Apollo Server: authorization's wrapped schema (object policies, filter
   * mode, fail-closed execution), with cost metadata registered through `setCostMetadata`
   * carried over. The schema itself when `authz` is `false`.
   *
   * When some principals may introspect, introspection fields cost nothing (the standard
   * introspection query would exceed the default cost limit); the schema's other costs are
   * kept. This registers cost metadata on the schema returned.
   */
  wrapSchema(schema: GraphQLSchema): GraphQLSchema;
  /**
   * The context function for `expressMiddleware` (Express 5): authenticates the request (a
   * refusal answers 401 before any GraphQL work), resolves the client IP, then adds your own
   * fields from `build(arg, { auth, clientIp })`. `auth` and `clientIp` are set last.
   */
  readonly context: ContextFactory;
  /**
   * Express 5 middleware for the GraphQL route, in order: monitoring, security headers, CORS,
   * the JSON body parser with its size limit, batch and document limits. Mount it before
   * `expressMiddleware` (and mount no other JSON parser before it). Each access returns a
   * fresh array; express must be installed.
   */
  readonly express: RequestHandler[];
  /**
   * An Express error handler answering coded JSON (400, 413, 415, or a masked 500 with an
   * `errorId`), never an HTML page or a stack. Mount it after the routes
   * (`app.use(security.errorHandler)`).
   */
  readonly errorHandler: ErrorRequestHandler;
  /** A JSON 404 (`NOT_FOUND`) for the paths the API does not serve; mount it after the routes. */
  readonly notFound: RequestHandler;
  /** The rate limiter, `undefined` when `rateLimit` is `false`. */
  readonly limiter: RateLimiter | undefined;
  /**
   * Reports a failed login (a wrong password) from a resolver, to fill the login jails:
   * `await security.reportFailure(context, info)`. Does nothing when rate limiting is off.
   */
  reportFailure(context: unknown, info: GraphQLResolveInfo): Promise<void>;
  /** The combined event handler (`onEvent` and the monitoring adapters). */
  readonly events: OnSecurityEvent;
  /** The JWT authentication, when `auth.type` is `'jwt'`. */
  readonly jwt: JwtAuth | undefined;
  /** The authorization, `undefined` when `authz` is `false`. */
  readonly authz: Authz | undefined;
  /** The limits, `undefined` when `limits` is `false`. */
  readonly limits: Limits | undefined;
  /** The preset's resolved settings. */
  readonly options: ResolvedPresetOptions;
}

/**
 * Hardens an Apollo Server 5 API on Express 5 from one configuration: JWT authentication into
 * the context, depth/cost/alias/token limits, field authorization, rate limits and login jails,
 * introspection control, suggestion stripping, error masking, CSRF prevention, batching off,
 * security headers, a strict CORS allowlist, a body size limit and coded JSON errors for
 * malformed requests, plus logs and metrics.
 *
 * `auth` and `authz` are required; every other protection is on with a safe default unless set
 * to `false`. The configuration is checked at once: a mistake throws a `TypeError` naming the
 * option, an unknown option included.
 *
 * @example
 * ```ts
 * const security = bulwark({
 *   auth: { type: 'jwt', issuer, audience, algorithms: ['RS256'], keys: { type: 'remote-jwks', url } },
 *   authz: { defaultPolicy: 'deny', policies },
 *   http: { cors: { origins: ['https://app.example.com'] } },
 * });
 * const server = new ApolloServer({ schema: security.wrapSchema(schema), ...security.apollo });
 * await server.start();
 * app.use('/graphql', ...security.express, expressMiddleware(server, { context: security.context() }));
 * app.use(security.errorHandler);
 * ```
 */
export function bulwark<TContext = unknown>(config: BulwarkConfig<TContext>): Bulwark {
  const c = config as unknown as BulwarkConfig<never>;
  const options = resolvePresetOptions(c);
  const { monitoring } = options;

  const combined = combineEventHandlers(
    c.onEvent,
    monitoring?.logger
      ? pinoEvents(monitoring.logger, { sensitivePattern: monitoring.sensitivePattern })
      : undefined,
    monitoring?.registry
      ? prometheusEvents(monitoring.registry, {
          prefix: monitoring.metricPrefix,
          maxOperationLabels: monitoring.maxOperationLabels,
        })
      : undefined,
  );
  const events: OnSecurityEvent = combined ?? (() => undefined);

  const { authenticate, jwt } = createAuthentication(c, combined);

  let limits: Limits | undefined;
  if (c.limits !== false) {
    const limitsOptions = { ...c.limits };
    assertNoReserved('limits', limitsOptions);
    // The standard introspection query nests `ofType` 14 deep: where some principals may
    // introspect, its subtree does not count for depth (graphql-js's MaxIntrospectionDepthRule
    // bounds nesting inside introspection). An explicit `ignore` is kept as given.
    if (
      options.introspection !== 'disabled' &&
      limitsOptions.ignore === undefined &&
      limitsOptions.ignoreIntrospection === undefined
    ) {
      limitsOptions.ignoreIntrospection = true;
    }
    limits = section('limits', () => createLimits({ ...limitsOptions, onEvent: combined }));
  }

  let authz: Authz | undefined;
  if (c.authz !== false) {
    assertNoReserved('authz', c.authz);
    const authzOptions = c.authz;
    authz = section('authz', () => createAuthz({ ...authzOptions, onEvent: combined }));
  }

  let limiter: RateLimiter | undefined;
  let rateLimitPluginOptions: RateLimitPluginOptions = {};
  if (c.rateLimit !== false) {
    const rl = c.rateLimit ?? {};
    assertNoReserved('rateLimit', rl);
    const { store, headers, throttleStatus, ...rest } = rl;
    rateLimitPluginOptions = {
      ...(headers !== undefined ? { headers } : {}),
      ...(throttleStatus !== undefined ? { throttleStatus } : {}),
    };
    const defaultListSize = rest.defaultListSize ?? limits?.options.defaultListSize;
    limiter = section('rateLimit', () =>
      createRateLimiter({
        ...rest,
        ...(defaultListSize !== undefined ? { defaultListSize } : {}),
        store: store ?? new MemoryRateLimitStore({ max: BULWARK_DEFAULTS.memoryStoreMax }),
        onEvent: combined,
      }),
    );
  }

  let masking: ErrorMasking | undefined;
  if (c.masking !== false) {
    const maskingOptions = c.masking ?? {};
    assertNoReserved('masking', maskingOptions);
    if (options.production && (maskingOptions as { debug?: unknown }).debug === true) {
      throw new TypeError(
        '`masking.debug` cannot be true in production: it sends error messages and stacks to clients.',
      );
    }
    masking = section('masking', () =>
      createMasking<BaseContext>({ ...maskingOptions, onEvent: combined }),
    );
  }

  const monitor: RequestMonitor | undefined =
    monitoring && (monitoring.logger || monitoring.registry)
      ? createRequestMonitor({
          logger: monitoring.logger,
          registry: monitoring.registry,
          logVariables: monitoring.logVariables,
          sensitivePattern: monitoring.sensitivePattern,
          metricPrefix: monitoring.metricPrefix,
          now: monitoring.now,
        })
      : undefined;

  const clientIp = section('http', () =>
    createClientIpResolver({ trustProxy: options.trustProxy }),
  );
  const context = createContextFactory(authenticate, clientIp, monitor);

  const validationRules: ValidationRule[] = [
    ...(limits?.validationRules ?? []),
    knownOperationTypesRule,
  ];
  if (options.introspection === 'disabled') {
    validationRules.push(createNoIntrospectionRule({ onEvent: combined }));
  }
  const introspection =
    typeof options.introspection === 'object'
      ? introspectionPlugin<BaseContext>({
          allow: options.introspection.allow as IntrospectionPolicy<BaseContext>,
          onEvent: combined,
        })
      : undefined;
  const rateLimiting = limiter ? rateLimitPlugin(limiter, rateLimitPluginOptions) : undefined;
  // The order matters: the plugins run as one, hook by hook, in this order. Observers first
  // (they must see every operation, refused or not), then the checks from the cheapest to the
  // one that charges (a refused operation never spends rate-limit budget).
  const plugins: ApolloServerPlugin<BaseContext>[] = [
    ...(monitor ? [monitor.plugin] : []),
    ...(masking ? [masking.plugin] : []),
    contextGuardPlugin(combined),
    ...(jwt ? [jwt.plugin()] : []),
    ...(limits?.plugins ?? []),
    ...(introspection ? [introspection] : []),
    ...(authz ? [authzPlugin<BaseContext>(authz)] : []),
    ...(rateLimiting ? [rateLimiting as ApolloServerPlugin<BaseContext>] : []),
    noStorePlugin(),
  ];
  const formatError = withoutSuggestions(masking?.formatError);
  const parseOptions = limits?.parseOptions ?? {};
  const csrf = options.csrfRequestHeaders;

  let http: HttpLayer | undefined;
  const httpLayer = (): HttpLayer =>
    (http ??= createHttpLayer({ options, limits: limits?.options, onEvent: combined, monitor }));

  return {
    get apollo(): BulwarkApolloOptions {
      return {
        plugins: [
          // One listener for all of them: Apollo dispatches each hook once, and the checks run in
          // order (a refused operation never reaches the rate limiter).
          composePlugins(plugins),
          ...(options.landingPage ? [] : [ApolloServerPluginLandingPageDisabled()]),
        ],
        validationRules: [...validationRules],
        formatError,
        parseOptions: { ...parseOptions },
        csrfPrevention: csrf === false ? false : { requestHeaders: [...csrf] },
        allowBatchedHttpRequests: options.maxBatchSize !== false,
        includeStacktraceInErrorResponses: false,
        introspection: true,
        hideSchemaDetailsFromClientErrors: true,
        persistedQueries: false,
      };
    },
    wrapSchema(schema) {
      const served = authz ? authz.wrapSchema(schema) : schema;
      const registered = getCostMetadata(schema);
      if (limits && options.introspection !== 'disabled') {
        setCostMetadata(served, withFreeIntrospection(registered ?? schemaCostMetadata(schema)));
      } else if (registered && served !== schema && !getCostMetadata(served)) {
        setCostMetadata(served, registered);
      }
      return served;
    },
    context,
    get express() {
      return [...httpLayer().middleware];
    },
    get errorHandler() {
      return httpLayer().errorHandler;
    },
    get notFound() {
      return httpLayer().notFound;
    },
    limiter,
    async reportFailure(ctx, info) {
      if (limiter) await limiter.reportFailure(ctx, info);
    },
    events,
    jwt,
    authz,
    limits,
    options,
  };
}
