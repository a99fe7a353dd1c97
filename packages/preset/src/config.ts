import type { IncomingMessage } from 'node:http';
import type { OnSecurityEvent, Principal, RateLimitStore } from '@bulwark/core';
import type { AuthzOptions } from '@bulwark/authz';
import type { IntrospectionPolicy } from '@bulwark/introspection';
import type { JwtAuthOptions } from '@bulwark/jwt';
import type { LimitsOptions } from '@bulwark/limits';
import type { MaskingOptions } from '@bulwark/masking';
import type { RateLimiterOptions, TrustProxy } from '@bulwark/rate-limit';
import type { EventLogger } from './monitoring/pino.js';
import type { MetricsRegistry } from './monitoring/prometheus.js';

/** `Omit` over each member of a union (plain `Omit` merges the members). */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * JWT authentication with `@bulwark/jwt`: the options of `createJwtAuth` (issuer, audience,
 * algorithms and keys are required) plus `type: 'jwt'`. Its events go to the preset's `onEvent`.
 */
export type JwtAuthConfig = { readonly type: 'jwt' } & DistributiveOmit<JwtAuthOptions, 'onEvent'>;

/**
 * Your own authentication. `authenticate` receives the Node (Express) request and returns the
 * principal, or `null` for an anonymous request. To refuse, throw a `@bulwark/core` error
 * (`UnauthenticatedError` answers 401); any other throw is masked and answers 500.
 */
export interface CustomAuthConfig {
  readonly type: 'custom';
  readonly authenticate: (req: IncomingMessage) => Principal | null | Promise<Principal | null>;
}

/**
 * Who is asking. Required: `{ type: 'jwt', ... }`, `{ type: 'custom', authenticate }`, or
 * `false` (no authentication: every request is anonymous).
 */
export type AuthConfig = JwtAuthConfig | CustomAuthConfig | false;

/**
 * `@bulwark/authz` options (`defaultPolicy` is required). `onEvent` and `getPrincipal` are the
 * preset's: the principal is the one `auth` produced.
 */
export type PresetAuthzOptions<TContext = unknown> = Omit<
  AuthzOptions<TContext>,
  'onEvent' | 'getPrincipal'
>;

/**
 * `@bulwark/limits` options. `maxBatchSize` lives in `http.batching`; `onEvent` and
 * `getPrincipal` are the preset's.
 */
export type PresetLimitsOptions = Omit<LimitsOptions, 'onEvent' | 'getPrincipal' | 'maxBatchSize'>;

/** `@bulwark/rate-limit` options, with a default store and the plugin's options. */
export type PresetRateLimitOptions<TContext = unknown> = Omit<
  RateLimiterOptions<TContext>,
  'store' | 'onEvent' | 'getPrincipal'
> & {
  /**
   * Where counters live. Use `@bulwark/redis`'s `RedisRateLimitStore` when the API runs as
   * several instances: in-memory counters are per process.
   * @default new MemoryRateLimitStore({ max: 100_000 })
   */
  readonly store?: RateLimitStore | undefined;
  /** Send the IETF `RateLimit-Policy` and `RateLimit` headers. @default true */
  readonly headers?: boolean | undefined;
  /** With a `budget`, add `extensions.cost.throttleStatus` to responses. @default true */
  readonly throttleStatus?: boolean | undefined;
};

/** `@bulwark/masking` options. `onEvent` and `getPrincipal` are the preset's. */
export type PresetMaskingOptions = Omit<MaskingOptions, 'onEvent' | 'getPrincipal'>;

/**
 * Who may introspect (`__schema`, `__type`):
 * - `'disabled'`: nobody; a validation rule refuses the document (400);
 * - `{ allow }`: the principals for which `allow` returns `true`; others get 403;
 * - `'enabled'`: everyone (turns the protection off).
 */
export type IntrospectionConfig<TContext = unknown> =
  'disabled' | 'enabled' | { readonly allow: IntrospectionPolicy<TContext> };

/** Cross-origin access (CORS) for browsers. */
export interface CorsConfig {
  /**
   * Origins allowed to call the API from a browser: exact origins (`'https://app.example.com'`,
   * scheme, host and port, no path) or anchored RegExps (`/^https:\/\/[a-z]+\.example\.com$/`).
   * `'*'` and `'null'` are refused, and so are RegExps without `^` and `$` (an unanchored
   * `/example\.com/` also matches `https://example.com.evil.net`).
   */
  readonly origins: readonly (string | RegExp)[];
  /**
   * Let browsers send cookies and read responses with them (`Access-Control-Allow-Credentials`).
   * Security: only with cookie tokens, and keep CSRF prevention on.
   * @default false
   */
  readonly credentials?: boolean | undefined;
  /** How long a browser may cache a preflight answer, in seconds. @default 600 */
  readonly maxAge?: number | undefined;
  /**
   * Request headers a browser may send, besides the CSRF headers.
   * @default ['content-type', 'authorization']
   */
  readonly allowedHeaders?: readonly string[] | undefined;
  /**
   * Response headers a browser may read.
   * @default ['retry-after', 'ratelimit', 'ratelimit-policy', 'www-authenticate']
   */
  readonly exposedHeaders?: readonly string[] | undefined;
}

/** `Strict-Transport-Security`: send it only when every client reaches the API over TLS. */
export interface HstsConfig {
  /** Seconds browsers remember to use HTTPS only. @default 31536000 (one year) */
  readonly maxAge?: number | undefined;
  /** Apply to subdomains too. @default true */
  readonly includeSubDomains?: boolean | undefined;
  /**
   * Ask to be preloaded in browsers (needs `includeSubDomains` and a `maxAge` of a year or more).
   * @default false
   */
  readonly preload?: boolean | undefined;
}

/** Apollo Server's CSRF prevention. */
export interface CsrfConfig {
  /**
   * A request with any of these headers is not a CSRF risk even without a JSON content type.
   * @default ['x-apollo-operation-name', 'apollo-require-preflight'] (Apollo Server's)
   */
  readonly requestHeaders?: readonly string[] | undefined;
}

/** HTTP batching (several operations in one POST). */
export interface BatchingConfig {
  /** Most operations in one batch; a larger batch is refused before parsing (400). */
  readonly maxBatchSize: number;
}

/** The HTTP layer (Express 5). */
export interface HttpConfig {
  /**
   * Largest request body, in bytes or as `'100kb'` / `'1mb'`; larger ones answer 413
   * `PAYLOAD_TOO_LARGE` before they are parsed.
   * @default '100kb'
   */
  readonly bodyLimit?: number | string | undefined;
  /**
   * CORS allowlist. `false` leaves CORS to you (no CORS header is sent, so browsers refuse
   * cross-origin reads).
   * @default { origins: [] } (no cross-origin browser access)
   */
  readonly cors?: CorsConfig | false | undefined;
  /**
   * Apollo Server's CSRF prevention: a GET or a POST that a browser could send cross-origin
   * without a preflight (form, `text/plain`) is refused with 400. `false` turns it off, which
   * is refused when tokens may come from a cookie.
   * @default {} (on, Apollo Server's headers)
   */
  readonly csrf?: CsrfConfig | false | undefined;
  /**
   * HTTP batching. Security: a batch multiplies the work of one request; limits and rate
   * limits count each operation.
   * @default false (Apollo Server refuses batches with 400)
   */
  readonly batching?: BatchingConfig | false | undefined;
  /**
   * `Strict-Transport-Security`. Security: only behind TLS (browsers ignore it over plain
   * HTTP, and a wrong `maxAge` locks users out of a site that loses its certificate).
   * @default false
   */
  readonly hsts?: HstsConfig | false | undefined;
  /**
   * Proxies trusted to report the client address in `X-Forwarded-For` (see
   * `createClientIpResolver`): `false`, a hop count, or addresses and CIDR ranges.
   * Security: anything left of what trusted proxies wrote is chosen by the client.
   * @default false (the socket address is the client)
   */
  readonly trustProxy?: TrustProxy | undefined;
}

/** Logs and metrics (pino and prom-client, both optional). */
export interface MonitoringConfig {
  /**
   * A pino logger (or anything with `info`, `warn` and `error(object, message)`): one JSON
   * line per security event and one per request.
   */
  readonly logger?: EventLogger | undefined;
  /** A prom-client `Registry`: event counters and a request latency histogram. */
  readonly registry?: MetricsRegistry | undefined;
  /**
   * Log the request's variables, with sensitive ones replaced by `"[REDACTED]"`.
   * @default false (variables are never logged)
   */
  readonly logVariables?: boolean | undefined;
  /**
   * Names of sensitive variables, arguments and input fields. A variable is redacted when its
   * name matches, or when it is passed to an argument or input field whose name matches.
   * @default SENSITIVE_NAME_PATTERN
   */
  readonly sensitivePattern?: RegExp | undefined;
  /**
   * Most distinct operation names used as a metric label; further names count as
   * `"__other__"`. Operation names are chosen by clients: unbounded labels would let them
   * exhaust the metrics store.
   * @default 100
   */
  readonly maxOperationLabels?: number | undefined;
  /** Prefix of every metric name. @default 'bulwark_' */
  readonly metricPrefix?: string | undefined;
  /** The clock for durations, in ms (tests inject one). @default performance.now */
  readonly now?: (() => number) | undefined;
}

/**
 * The one configuration of {@link bulwark}. `auth` and `authz` are required (a decision only you
 * can make); every other protection is on with a safe default unless set to `false`.
 */
export interface BulwarkConfig<TContext = unknown> {
  /** Authentication. Required: JWT, your own, or `false`. */
  readonly auth: AuthConfig;
  /** Field-level authorization. Required: options with `defaultPolicy`, or `false`. */
  readonly authz: PresetAuthzOptions<TContext> | false;
  /** Depth, cost, aliases, tokens... @default {} (`@bulwark/limits`' defaults) */
  readonly limits?: PresetLimitsOptions | false | undefined;
  /**
   * Rate limits: `@rateLimit` directives, code rules, a cost budget, login jails.
   * @default {} (directive rules, an in-memory store)
   */
  readonly rateLimit?: PresetRateLimitOptions<TContext> | false | undefined;
  /** Who may introspect. @default 'disabled' */
  readonly introspection?: IntrospectionConfig<TContext> | undefined;
  /**
   * Error masking. `false` leaves Apollo Server's formatting (no stack traces still).
   * Security: `debug: true` is refused in production.
   * @default {}
   */
  readonly masking?: PresetMaskingOptions | false | undefined;
  /** The HTTP layer (Express 5). @default {} */
  readonly http?: HttpConfig | undefined;
  /** Logs and metrics. @default none */
  readonly monitoring?: MonitoringConfig | undefined;
  /**
   * Production mode: no landing page, masking `debug` refused.
   * @default process.env.NODE_ENV === 'production'
   */
  readonly production?: boolean | undefined;
  /**
   * Serve Apollo Server's landing page on `GET` from a browser. The strict CSP is not sent on
   * that page (it loads Apollo Sandbox from Apollo's CDN).
   * @default !production
   */
  readonly landingPage?: boolean | undefined;
  /** Receives every security event of every protection. @default none */
  readonly onEvent?: OnSecurityEvent | undefined;
}
