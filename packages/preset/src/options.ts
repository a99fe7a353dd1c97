import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertNonEmptyString,
  assertObject,
  assertPositiveInteger,
} from '@bulwark/core';
import type { TrustProxy } from '@bulwark/rate-limit';
import type {
  BulwarkConfig,
  CorsConfig,
  CsrfConfig,
  HstsConfig,
  IntrospectionConfig,
  MonitoringConfig,
} from './config.js';
import { SENSITIVE_NAME_PATTERN } from './monitoring/redact.js';

/** Defaults of {@link BulwarkConfig}, resolved once by `bulwark()`. */
export const BULWARK_DEFAULTS = Object.freeze({
  bodyLimit: '100kb',
  corsMaxAge: 600,
  corsAllowedHeaders: Object.freeze(['content-type', 'authorization']),
  corsExposedHeaders: Object.freeze([
    'retry-after',
    'ratelimit',
    'ratelimit-policy',
    'www-authenticate',
  ]),
  csrfRequestHeaders: Object.freeze(['x-apollo-operation-name', 'apollo-require-preflight']),
  hstsMaxAge: 31_536_000,
  memoryStoreMax: 100_000,
  maxOperationLabels: 100,
  metricPrefix: 'bulwark_',
});

/** CORS after validation. */
export interface ResolvedCors {
  readonly origins: readonly (string | RegExp)[];
  readonly credentials: boolean;
  readonly maxAge: number;
  readonly allowedHeaders: readonly string[];
  readonly exposedHeaders: readonly string[];
}

/** HSTS after validation. */
export interface ResolvedHsts {
  readonly maxAge: number;
  readonly includeSubDomains: boolean;
  readonly preload: boolean;
}

/** Monitoring after validation. */
export interface ResolvedMonitoring {
  readonly logger: MonitoringConfig['logger'];
  readonly registry: MonitoringConfig['registry'];
  readonly logVariables: boolean;
  readonly sensitivePattern: RegExp;
  readonly maxOperationLabels: number;
  readonly metricPrefix: string;
  readonly now: () => number;
}

/** The preset's own settings after validation; feature options are validated by each feature. */
export interface ResolvedPresetOptions {
  readonly production: boolean;
  readonly landingPage: boolean;
  readonly bodyLimit: number;
  readonly cors: ResolvedCors | false;
  readonly csrfRequestHeaders: readonly string[] | false;
  readonly maxBatchSize: number | false;
  readonly hsts: ResolvedHsts | false;
  readonly trustProxy: TrustProxy;
  readonly introspection: IntrospectionConfig<never>;
  readonly monitoring: ResolvedMonitoring | undefined;
}

const KNOWN = [
  'auth',
  'authz',
  'limits',
  'rateLimit',
  'introspection',
  'masking',
  'http',
  'monitoring',
  'production',
  'landingPage',
  'onEvent',
] as const;
const HTTP_KNOWN = ['bodyLimit', 'cors', 'csrf', 'batching', 'hsts', 'trustProxy'];
const CORS_KNOWN = ['origins', 'credentials', 'maxAge', 'allowedHeaders', 'exposedHeaders'];
const HSTS_KNOWN = ['maxAge', 'includeSubDomains', 'preload'];
const MONITORING_KNOWN = [
  'logger',
  'registry',
  'logVariables',
  'sensitivePattern',
  'maxOperationLabels',
  'metricPrefix',
  'now',
];

/** Options the preset sets itself in each feature, with where to configure them instead. */
const RESERVED: Record<string, Record<string, string>> = {
  auth: { onEvent: 'use the top-level `onEvent`' },
  authz: {
    onEvent: 'use the top-level `onEvent`',
    getPrincipal: 'the principal is the one `auth` produces',
  },
  limits: {
    onEvent: 'use the top-level `onEvent`',
    getPrincipal: 'the principal is the one `auth` produces',
    maxBatchSize: 'use `http.batching.maxBatchSize`',
  },
  rateLimit: {
    onEvent: 'use the top-level `onEvent`',
    getPrincipal: 'the principal is the one `auth` produces',
  },
  masking: {
    onEvent: 'use the top-level `onEvent`',
    getPrincipal: 'the principal is the one `auth` produces',
  },
};

/** Refuses options the preset sets itself, saying where they belong. */
export function assertNoReserved(section: string, options: object): void {
  const reserved = RESERVED[section] ?? {};
  for (const [key, instead] of Object.entries(reserved)) {
    if ((options as Record<string, unknown>)[key] !== undefined) {
      throw new TypeError(`\`${section}.${key}\` is set by the preset: ${instead}.`);
    }
  }
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb)$/i;
const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** `100kb` → 102400. */
export function parseByteSize(name: string, value: unknown): number {
  if (typeof value === 'number') {
    assertPositiveInteger(name, value);
    return value;
  }
  const match = typeof value === 'string' ? SIZE.exec(value.trim()) : null;
  if (!match) {
    throw new TypeError(
      `\`${name}\` must be a positive integer (bytes) or a size such as "100kb", got ${JSON.stringify(value) ?? String(value)}.`,
    );
  }
  const bytes = Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
  if (bytes < 1) throw new TypeError(`\`${name}\` must be at least 1 byte, got "${value}".`);
  return bytes;
}

function assertStringList(name: string, value: unknown): asserts value is readonly string[] {
  if (!Array.isArray(value)) throw new TypeError(`\`${name}\` must be an array of strings.`);
  value.forEach((v, i) => assertNonEmptyString(`${name}[${i}]`, v));
}

function resolveOrigin(name: string, origin: unknown): string | RegExp {
  if (origin instanceof RegExp) {
    if (!origin.source.startsWith('^') || !origin.source.endsWith('$')) {
      throw new TypeError(
        `\`${name}\` must be anchored with ^ and $, got ${String(origin)}: an unanchored pattern also matches other sites' origins.`,
      );
    }
    if (origin.flags.includes('g') || origin.flags.includes('y')) {
      throw new TypeError(
        `\`${name}\` must not have the g or y flag (it keeps state between tests).`,
      );
    }
    return origin;
  }
  assertNonEmptyString(name, origin);
  if (origin === '*' || origin === 'null') {
    throw new TypeError(
      `\`${name}\` must be an exact origin such as "https://app.example.com", got ${JSON.stringify(origin)}.`,
    );
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(origin);
  } catch {
    parsed = undefined;
  }
  if (!parsed || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
    throw new TypeError(
      `\`${name}\` must be an exact origin such as "https://app.example.com" (scheme, host, port; no path or trailing slash), got ${JSON.stringify(origin)}.`,
    );
  }
  return origin;
}

function resolveCors(cors: CorsConfig | false | undefined): ResolvedCors | false {
  if (cors === false) return false;
  const c = cors ?? { origins: [] };
  assertObject('http.cors', c as unknown);
  assertKnownKeys('http.cors', c, CORS_KNOWN);
  if (!Array.isArray(c.origins)) {
    throw new TypeError('`http.cors.origins` must be an array of origins (strings or RegExps).');
  }
  const origins = c.origins.map((o, i) => resolveOrigin(`http.cors.origins[${i}]`, o));
  const credentials = c.credentials ?? false;
  assertBoolean('http.cors.credentials', credentials);
  const maxAge = c.maxAge ?? BULWARK_DEFAULTS.corsMaxAge;
  if (!Number.isInteger(maxAge) || maxAge < 0) {
    throw new TypeError(
      `\`http.cors.maxAge\` must be a non-negative integer (seconds), got ${String(maxAge)}.`,
    );
  }
  const allowedHeaders = c.allowedHeaders ?? BULWARK_DEFAULTS.corsAllowedHeaders;
  assertStringList('http.cors.allowedHeaders', allowedHeaders);
  const exposedHeaders = c.exposedHeaders ?? BULWARK_DEFAULTS.corsExposedHeaders;
  assertStringList('http.cors.exposedHeaders', exposedHeaders);
  return { origins, credentials, maxAge, allowedHeaders, exposedHeaders };
}

function resolveHsts(hsts: HstsConfig | false | undefined): ResolvedHsts | false {
  if (hsts === undefined || hsts === false) return false;
  assertObject('http.hsts', hsts as unknown);
  assertKnownKeys('http.hsts', hsts, HSTS_KNOWN);
  const maxAge = hsts.maxAge ?? BULWARK_DEFAULTS.hstsMaxAge;
  assertPositiveInteger('http.hsts.maxAge', maxAge);
  const includeSubDomains = hsts.includeSubDomains ?? true;
  assertBoolean('http.hsts.includeSubDomains', includeSubDomains);
  const preload = hsts.preload ?? false;
  assertBoolean('http.hsts.preload', preload);
  if (preload && (!includeSubDomains || maxAge < BULWARK_DEFAULTS.hstsMaxAge)) {
    throw new TypeError(
      '`http.hsts.preload` needs `includeSubDomains: true` and a `maxAge` of at least 31536000 (one year).',
    );
  }
  return { maxAge, includeSubDomains, preload };
}

function resolveCsrf(csrf: CsrfConfig | false | undefined, cookieTokens: boolean) {
  if (csrf === false) {
    if (cookieTokens) {
      throw new TypeError(
        '`http.csrf` cannot be false when `auth` reads tokens from a cookie: a browser sends the cookie on cross-site requests.',
      );
    }
    return false as const;
  }
  const c = csrf ?? {};
  assertObject('http.csrf', c as unknown);
  assertKnownKeys('http.csrf', c, ['requestHeaders']);
  const headers = c.requestHeaders ?? BULWARK_DEFAULTS.csrfRequestHeaders;
  assertStringList('http.csrf.requestHeaders', headers);
  if (headers.length === 0) {
    throw new TypeError('`http.csrf.requestHeaders` must name at least one header.');
  }
  return headers.map((h) => h.toLowerCase());
}

function resolveIntrospection(value: unknown): IntrospectionConfig<never> {
  if (value === undefined) return 'disabled';
  if (value === 'disabled' || value === 'enabled') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    assertKnownKeys('introspection', value, ['allow']);
    assertFunction('introspection.allow', (value as { allow?: unknown }).allow);
    return value as IntrospectionConfig<never>;
  }
  throw new TypeError(
    `\`introspection\` must be "disabled", "enabled" or { allow }, got ${JSON.stringify(value) ?? String(value)}.`,
  );
}

function resolveMonitoring(m: MonitoringConfig | undefined): ResolvedMonitoring | undefined {
  if (m === undefined) return undefined;
  assertObject('monitoring', m as unknown);
  assertKnownKeys('monitoring', m, MONITORING_KNOWN);
  if (m.logger !== undefined) {
    assertObject('monitoring.logger', m.logger as unknown);
    for (const level of ['info', 'warn', 'error'] as const) {
      assertFunction(`monitoring.logger.${level}`, m.logger[level]);
    }
  }
  if (m.registry !== undefined) {
    assertObject('monitoring.registry', m.registry as unknown);
    assertFunction('monitoring.registry.registerMetric', m.registry.registerMetric);
  }
  const logVariables = m.logVariables ?? false;
  assertBoolean('monitoring.logVariables', logVariables);
  const sensitivePattern = m.sensitivePattern ?? SENSITIVE_NAME_PATTERN;
  if (!(sensitivePattern instanceof RegExp)) {
    throw new TypeError('`monitoring.sensitivePattern` must be a RegExp.');
  }
  const maxOperationLabels = m.maxOperationLabels ?? BULWARK_DEFAULTS.maxOperationLabels;
  assertPositiveInteger('monitoring.maxOperationLabels', maxOperationLabels);
  const metricPrefix = m.metricPrefix ?? BULWARK_DEFAULTS.metricPrefix;
  if (typeof metricPrefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/.test(metricPrefix)) {
    throw new TypeError(
      `\`monitoring.metricPrefix\` must be a Prometheus metric name prefix, got ${JSON.stringify(metricPrefix)}.`,
    );
  }
  const now = m.now ?? (() => performance.now());
  assertFunction('monitoring.now', now);
  return {
    logger: m.logger,
    registry: m.registry,
    logVariables,
    sensitivePattern: new RegExp(
      sensitivePattern.source,
      sensitivePattern.flags.replace(/[gy]/g, ''),
    ),
    maxOperationLabels,
    metricPrefix,
    now,
  };
}

function usesCookieTokens(auth: unknown): boolean {
  if (auth === null || typeof auth !== 'object') return false;
  const sources = (auth as { type?: unknown; tokenSources?: unknown }).tokenSources;
  return (
    (auth as { type?: unknown }).type === 'jwt' &&
    Array.isArray(sources) &&
    sources.some((s) => (s as { from?: unknown } | null)?.from === 'cookie')
  );
}

/**
 * Validates the top level of a {@link BulwarkConfig} and the preset's own sections; feature
 * sections are validated by the features. Every mistake is a `TypeError` naming the option.
 */
export function resolvePresetOptions(
  config: BulwarkConfig<never>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedPresetOptions {
  assertObject('bulwark config', config as unknown);
  assertKnownKeys('bulwark config', config, KNOWN);
  if (!('auth' in config) || config.auth === undefined) {
    throw new TypeError(
      "`auth` is required: { type: 'jwt', ... }, { type: 'custom', authenticate }, or false for no authentication.",
    );
  }
  if (!('authz' in config) || config.authz === undefined) {
    throw new TypeError(
      "`authz` is required: { defaultPolicy: 'deny' | 'allow', ... }, or false for no authorization.",
    );
  }
  for (const section of ['limits', 'rateLimit', 'masking'] as const) {
    const value: unknown = config[section];
    if (value !== undefined && value !== false) assertObject(section, value);
  }
  if (config.authz !== false) assertObject('authz', config.authz as unknown);
  if (config.onEvent !== undefined) assertFunction('onEvent', config.onEvent);

  const production = config.production ?? env['NODE_ENV'] === 'production';
  assertBoolean('production', production);
  const landingPage = config.landingPage ?? !production;
  assertBoolean('landingPage', landingPage);

  const http = config.http ?? {};
  assertObject('http', http as unknown);
  assertKnownKeys('http', http, HTTP_KNOWN);
  const bodyLimit = parseByteSize('http.bodyLimit', http.bodyLimit ?? BULWARK_DEFAULTS.bodyLimit);
  let maxBatchSize: number | false = false;
  if (http.batching !== undefined && http.batching !== false) {
    assertObject('http.batching', http.batching as unknown);
    assertKnownKeys('http.batching', http.batching, ['maxBatchSize']);
    assertPositiveInteger('http.batching.maxBatchSize', http.batching.maxBatchSize);
    maxBatchSize = http.batching.maxBatchSize;
  }
  const trustProxy = http.trustProxy ?? false;

  return {
    production,
    landingPage,
    bodyLimit,
    cors: resolveCors(http.cors),
    csrfRequestHeaders: resolveCsrf(http.csrf, usesCookieTokens(config.auth)),
    maxBatchSize,
    hsts: resolveHsts(http.hsts),
    trustProxy,
    introspection: resolveIntrospection(config.introspection),
    monitoring: resolveMonitoring(config.monitoring),
  };
}
