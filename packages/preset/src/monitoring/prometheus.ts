import { createRequire } from 'node:module';
import type { OnSecurityEvent, SecurityEvent } from '@bulwark/core';
import { AUTH_FAILURE_REASONS } from '@bulwark/jwt';
import type * as PromClient from 'prom-client';

/**
 * What the adapters need of a prom-client `Registry`: they create their metrics in it. A
 * prom-client `Registry` (or its global `register`) fits as is.
 */
export interface MetricsRegistry {
  registerMetric(metric: object): void;
  getSingleMetric(name: string): unknown;
}

/** Options of {@link prometheusEvents}. */
export interface PrometheusEventsOptions {
  /** Prefix of every metric name. @default 'bulwark_' */
  readonly prefix?: string | undefined;
  /**
   * Most distinct operation names kept as label values; further names count as `"__other__"`.
   * Security: operation names are chosen by clients, and every label value is a series kept
   * forever: without a bound, a client sending random names exhausts the metrics store.
   * @default 100
   */
  readonly maxOperationLabels?: number | undefined;
}

/** Most distinct error codes and rule ids kept as label values (they come from the server). */
const SERVER_LABEL_MAX = 200;

let promClientModule: typeof PromClient | undefined;

/** prom-client, loaded on first use: it is an optional peer dependency. */
export function loadPromClient(): typeof PromClient {
  if (!promClientModule) {
    try {
      promClientModule = createRequire(import.meta.url)('prom-client') as typeof PromClient;
    } catch (error) {
      throw new Error(
        'The Prometheus adapters need prom-client: install it next to @bulwark/preset.',
        {
          cause: error,
        },
      );
    }
  }
  return promClientModule;
}

/** The metric of that name in the registry, or a new one (so two servers can share a registry). */
export function counterIn(
  registry: MetricsRegistry,
  name: string,
  help: string,
  labelNames: readonly string[],
): PromClient.Counter {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as PromClient.Counter;
  const { Counter } = loadPromClient();
  return new Counter({
    name,
    help,
    labelNames: [...labelNames],
    registers: [registry as unknown as PromClient.Registry],
  });
}

/** The histogram of that name in the registry, or a new one. */
export function histogramIn(
  registry: MetricsRegistry,
  name: string,
  help: string,
  labelNames: readonly string[],
  buckets: readonly number[],
): PromClient.Histogram {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as PromClient.Histogram;
  const { Histogram } = loadPromClient();
  return new Histogram({
    name,
    help,
    labelNames: [...labelNames],
    buckets: [...buckets],
    registers: [registry as unknown as PromClient.Registry],
  });
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;
/** Printable ASCII, at most 128 characters: rule ids (`Mutation.login`, `op:Login#2`), codes. */
export const PRINTABLE_LABEL = /^[\x20-\x7e]{1,128}$/;

/**
 * Bounds the values of a label chosen by clients: the first `max` distinct values are kept,
 * later ones become `"__other__"`; values that are not GraphQL names become `"__invalid__"`
 * and a missing one `"__anonymous__"`.
 */
export class BoundedLabel {
  readonly #seen = new Set<string>();
  readonly #max: number;
  readonly #pattern: RegExp;

  /** `pattern` is what a kept value looks like (default: a GraphQL name). */
  constructor(max: number, pattern: RegExp = GRAPHQL_NAME) {
    this.#max = max;
    this.#pattern = pattern;
  }

  value(name: string | null | undefined): string {
    if (name === undefined || name === null || name === '') return '__anonymous__';
    if (!this.#pattern.test(name)) return '__invalid__';
    if (this.#seen.has(name)) return name;
    if (this.#seen.size >= this.#max) return '__other__';
    this.#seen.add(name);
    return name;
  }
}

/** Checks a prefix and a bound shared by the Prometheus adapters. */
export function resolveMetricOptions(options: PrometheusEventsOptions): {
  prefix: string;
  maxOperationLabels: number;
} {
  const prefix = options.prefix ?? 'bulwark_';
  if (typeof prefix !== 'string' || !/^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    throw new TypeError(
      `\`prefix\` must be a Prometheus metric name prefix, got ${JSON.stringify(prefix)}.`,
    );
  }
  const max = options.maxOperationLabels ?? 100;
  if (!Number.isInteger(max) || max < 1) {
    throw new TypeError(`\`maxOperationLabels\` must be a positive integer, got ${String(max)}.`);
  }
  return { prefix, maxOperationLabels: max };
}

function assertRegistry(registry: unknown): asserts registry is MetricsRegistry {
  const r = registry as Partial<MetricsRegistry> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    typeof r.registerMetric !== 'function' ||
    typeof r.getSingleMetric !== 'function'
  ) {
    throw new TypeError('`registry` must be a prom-client Registry.');
  }
}

const AUTH_REASONS = new Set<string>(AUTH_FAILURE_REASONS);

function authFailureReason(event: SecurityEvent): string {
  const reason = event.detail?.['reason'];
  return typeof reason === 'string' && AUTH_REASONS.has(reason) ? reason : 'OTHER';
}

function refusedRules(event: SecurityEvent): string[] {
  const refused = event.detail?.['refused'];
  if (!Array.isArray(refused)) return [];
  return refused
    .map((r) => (r as { policy?: unknown } | null)?.policy)
    .filter((p): p is string => typeof p === 'string');
}

/**
 * A security-event handler that counts events in a prom-client registry:
 *
 * - `bulwark_security_events_total{source, outcome, code}`: every event;
 * - `bulwark_rejections_total{code, operation}`: refusals, by code and operation name;
 * - `bulwark_rate_limit_hits_total{rule}`: rate-limit refusals, per refused rule;
 * - `bulwark_authentication_failures_total{reason}`: refused credentials (`TOKEN_MISSING`,
 *   `TOKEN_INVALID`, `TOKEN_EXPIRED`, `TOKEN_REVOKED`, `OTHER`), and failed logins an
 *   application reports as `LOGIN_FAILED` events (reason `LOGIN_FAILED`).
 *
 * prom-client is an optional peer: it is loaded when this function is called.
 *
 * @example
 * const registry = new Registry();
 * const security = bulwark({ ..., onEvent: prometheusEvents(registry) });
 */
export function prometheusEvents(
  registry: MetricsRegistry,
  options: PrometheusEventsOptions = {},
): OnSecurityEvent {
  assertRegistry(registry);
  const { prefix, maxOperationLabels } = resolveMetricOptions(options);
  const events = counterIn(
    registry,
    `${prefix}security_events_total`,
    'Security events, by source, outcome and code.',
    ['source', 'outcome', 'code'],
  );
  const rejections = counterIn(
    registry,
    `${prefix}rejections_total`,
    'Operations and fields refused, by error code and operation name.',
    ['code', 'operation'],
  );
  const rateLimitHits = counterIn(
    registry,
    `${prefix}rate_limit_hits_total`,
    'Rate-limit refusals, by rule.',
    ['rule'],
  );
  const authFailures = counterIn(
    registry,
    `${prefix}authentication_failures_total`,
    'Refused credentials, by reason.',
    ['reason'],
  );
  const operations = new BoundedLabel(maxOperationLabels);
  // Codes and rule ids come from the server, not the client; the bound is only a backstop.
  const codes = new BoundedLabel(SERVER_LABEL_MAX, PRINTABLE_LABEL);
  const rules = new BoundedLabel(SERVER_LABEL_MAX, PRINTABLE_LABEL);
  return (event) => {
    const code = codes.value(event.code);
    events.inc({ source: event.source, outcome: event.outcome, code });
    if (event.outcome !== 'rejected') return;
    rejections.inc({ code, operation: operations.value(event.operationName) });
    if (event.code === 'RATE_LIMITED') {
      for (const rule of refusedRules(event)) rateLimitHits.inc({ rule: rules.value(rule) });
    }
    if (event.code === 'UNAUTHENTICATED') authFailures.inc({ reason: authFailureReason(event) });
    else if (event.code === 'LOGIN_FAILED') authFailures.inc({ reason: 'LOGIN_FAILED' });
  };
}
