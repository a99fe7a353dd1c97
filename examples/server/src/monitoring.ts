import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import pino from 'pino';
import type { DestinationStream, Logger, LevelWithSilent } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OnSecurityEvent, SecurityEvent } from '@bulwark/core';

/**
 * Monitoring adapters: security events to pino and to Prometheus, each a plain
 * `(event: SecurityEvent) => void` that any Bulwark `onEvent` accepts. Plug your own logger or
 * registry in the same way.
 */

/** Paths pino censors whatever the code logs (a second line of defence behind sanitizing). */
export const REDACTED_PATHS = Object.freeze([
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'password',
  'accessToken',
  'refreshToken',
  '*.authorization',
  '*.password',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
]);

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** @default 'info' */
  level?: LevelWithSilent;
  /** Where JSON lines go. @default stdout */
  destination?: DestinationStream;
}

/** A pino logger writing one JSON line per entry, with secrets censored by path. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'bulwark-example' },
      redact: { paths: [...REDACTED_PATHS], censor: '[Redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

function serializable(value: unknown): unknown {
  if (value instanceof Error)
    return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

/** The JSON form of an event: errors in `detail` become `{ name, message, stack }`. */
export function eventRecord(event: SecurityEvent): Record<string, unknown> {
  const detail = event.detail
    ? Object.fromEntries(Object.entries(event.detail).map(([k, v]) => [k, serializable(v)]))
    : undefined;
  return { ...event, ...(detail ? { detail } : {}) };
}

const LEVELS: Record<SecurityEvent['outcome'], 'info' | 'warn' | 'error'> = {
  rejected: 'warn',
  flagged: 'info',
  masked: 'error',
  warning: 'warn',
};

/**
 * Writes each security event as one pino line (`msg: "security event"`, the event under
 * `event`): `rejected` and `warning` at warn, `masked` at error (an unexpected error, with its
 * original stack), `flagged` at info. Events never carry tokens or passwords.
 */
export function pinoEvents(logger: Logger): OnSecurityEvent {
  return (event) => {
    logger[LEVELS[event.outcome]]({ event: eventRecord(event) }, 'security event');
  };
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

/**
 * Bounds a label's values: operation names are chosen by clients, and every new label value is
 * a new time series. The first `max` well-formed names are kept; the rest are `"other"`.
 */
export function boundedLabel(max = 200): (value: string | null | undefined) => string {
  const seen = new Set<string>();
  return (value) => {
    if (!value) return 'anonymous';
    if (seen.has(value)) return value;
    if (!NAME.test(value) || seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

/** Authentication failures: refused tokens, wrong passwords, refused refresh tokens. */
const AUTH_FAILURES = new Set([
  'UNAUTHENTICATED',
  'LOGIN_FAILED',
  'REFRESH_TOKEN_INVALID',
  'REFRESH_TOKEN_REUSED',
]);

/**
 * Counts security events in a prom-client registry:
 * - `bulwark_security_events_total{source, outcome, code}`: every event;
 * - `bulwark_rejections_total{code, operation}`: refusals;
 * - `bulwark_rate_limit_hits_total{policy}`: rate-limit refusals, by rule;
 * - `bulwark_authentication_failures_total{reason}`: bad tokens, wrong passwords, bad refresh
 *   tokens.
 */
export function prometheusEvents(registry: Registry): OnSecurityEvent {
  const operation = boundedLabel();
  const events = new Counter({
    name: 'bulwark_security_events_total',
    help: 'Security events, by source, outcome and code.',
    labelNames: ['source', 'outcome', 'code'],
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'bulwark_rejections_total',
    help: 'Requests or fields refused, by error code and operation name.',
    labelNames: ['code', 'operation'],
    registers: [registry],
  });
  const rateLimitHits = new Counter({
    name: 'bulwark_rate_limit_hits_total',
    help: 'Operations refused by a rate limit or budget, by rule.',
    labelNames: ['policy'],
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'bulwark_authentication_failures_total',
    help: 'Refused access tokens, wrong passwords and refused refresh tokens, by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  return (event) => {
    events.inc({ source: event.source, outcome: event.outcome, code: event.code });
    if (event.outcome === 'rejected') {
      rejections.inc({ code: event.code, operation: operation(event.operationName) });
    }
    if (event.code === 'RATE_LIMITED') {
      const refused = event.detail?.['refused'];
      const first = Array.isArray(refused) ? (refused[0] as { policy?: unknown }) : undefined;
      rateLimitHits.inc({ policy: typeof first?.policy === 'string' ? first.policy : 'unknown' });
    }
    if (AUTH_FAILURES.has(event.code) && event.outcome === 'rejected') {
      const reason = event.detail?.['reason'];
      authFailures.inc({
        reason:
          event.code === 'UNAUTHENTICATED' && typeof reason === 'string' ? reason : event.code,
      });
    }
  };
}

/** The request metrics: a latency histogram and a request counter. */
export interface RequestMetrics {
  observe(labels: { method: string; status: number; operationType: string }, seconds: number): void;
}

/** Registers `http_request_duration_seconds{method, status, operation_type}` in the registry. */
export function requestMetrics(registry: Registry): RequestMetrics {
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Latency of HTTP requests to the API, by method, status and GraphQL operation type.',
    labelNames: ['method', 'status', 'operation_type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const methods = new Set(['GET', 'POST', 'OPTIONS', 'HEAD']);
  return {
    observe({ method, status, operationType }, seconds) {
      histogram.observe(
        {
          method: methods.has(method) ? method : 'other',
          status: String(status),
          operation_type: operationType,
        },
        seconds,
      );
    },
  };
}

/** A registry with the process's default metrics. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Serves `GET /metrics` from the registry on its own port (keep it off the public interface:
 * the default host is loopback). Anything else is 404.
 */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host = '127.0.0.1',
): Promise<Server> {
  const server = createHttpServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found.\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () => res.writeHead(503, { 'content-type': 'text/plain' }).end('Metrics unavailable.\n'),
    );
  });
  await listen(server, port, host);
  return server;
}

/** `server.listen` as a promise that rejects on `EADDRINUSE` and friends. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
