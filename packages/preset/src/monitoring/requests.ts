import type { IncomingMessage, ServerResponse } from 'node:http';
import { principalFromContext } from '@bulwark/core';
import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { EventLogger } from './pino.js';
import { histogramIn, resolveMetricOptions } from './prometheus.js';
import type { MetricsRegistry } from './prometheus.js';
import { SENSITIVE_NAME_PATTERN, redactText, redactVariables, statelessPattern } from './redact.js';

/** Options of {@link createRequestMonitor}. */
export interface RequestMonitorOptions {
  /** Receives one line per request (`info`, or `error` for a 5xx). */
  readonly logger?: EventLogger | undefined;
  /** Receives the latency histogram `bulwark_graphql_request_duration_seconds`. */
  readonly registry?: MetricsRegistry | undefined;
  /**
   * Log each operation's variables, sensitive ones replaced by `"[REDACTED]"`.
   * @default false
   */
  readonly logVariables?: boolean | undefined;
  /** Names of sensitive variables, arguments and input fields. @default SENSITIVE_NAME_PATTERN */
  readonly sensitivePattern?: RegExp | undefined;
  /** Prefix of the histogram's name. @default 'bulwark_' */
  readonly metricPrefix?: string | undefined;
  /** Histogram buckets, in seconds. @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] */
  readonly buckets?: readonly number[] | undefined;
  /** The clock, in ms (tests inject one). @default performance.now */
  readonly now?: (() => number) | undefined;
}

/** The request-monitoring pieces: give the middleware to Express and the plugin to Apollo. */
export interface RequestMonitor {
  /**
   * Express middleware, first on the GraphQL route: times the request and writes its line when
   * the response is sent, including requests refused before GraphQL (413, malformed JSON, 401
   * from the context function).
   */
  readonly middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  /**
   * Apollo Server plugin: operation name and type, error codes, subject. Alone (without the
   * middleware, or for a request the middleware did not see), it writes the line itself.
   */
  readonly plugin: ApolloServerPlugin<BaseContext>;
  /**
   * Ties a request to its GraphQL context through the context's `auth` object, so that the
   * plugin completes the line the middleware writes.
   */
  link(req: IncomingMessage, auth: object, fields: { subject?: string; clientIp?: string }): void;
  /** Records an error code answered outside GraphQL (HTTP layer, context function). */
  noteError(req: IncomingMessage, code: string): void;
}

interface OperationRecord {
  name?: string | undefined;
  type?: string | undefined;
  variables?: Record<string, unknown> | undefined;
}

interface RequestRecord {
  readonly start: number;
  readonly method: string;
  readonly operations: OperationRecord[];
  readonly codes: Set<string>;
  readonly errorIds: Set<string>;
  subject?: string | undefined;
  clientIp?: string | undefined;
  queryHash?: string | undefined;
  done: boolean;
}

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function clip(name: string | null | undefined): string | undefined {
  return typeof name === 'string' && name.length > 0 ? redactText(name, 128) : undefined;
}

function codeOf(error: GraphQLFormattedError): string | undefined {
  const ext = error.extensions ?? {};
  const code = ext['validationErrorCode'] ?? ext['code'];
  return typeof code === 'string' ? redactText(code, 64) : undefined;
}

/**
 * One log line and one latency observation per HTTP request on the GraphQL route: method,
 * status, duration, operation name and type, error codes (what the client was told, never the
 * messages), masked error ids, principal subject, client IP and Apollo's query hash.
 *
 * Security: the line never holds the document, headers (`Authorization`, cookies), tokens or
 * error messages (variable coercion messages quote the value sent). Variables are logged only
 * with `logVariables`, with those named like a secret, or passed to an argument or input field
 * named like one (`login(password: $p)`), replaced by `"[REDACTED]"`.
 */
export function createRequestMonitor(options: RequestMonitorOptions = {}): RequestMonitor {
  const { logger, registry } = options;
  const now = options.now ?? (() => performance.now());
  const logVariables = options.logVariables ?? false;
  const pattern = statelessPattern(options.sensitivePattern ?? SENSITIVE_NAME_PATTERN);
  const { prefix } = resolveMetricOptions({ prefix: options.metricPrefix });
  const histogram = registry
    ? histogramIn(
        registry,
        `${prefix}graphql_request_duration_seconds`,
        'GraphQL HTTP request duration, by operation type and status.',
        ['operation_type', 'status'],
        options.buckets ?? DEFAULT_BUCKETS,
      )
    : undefined;
  const byRequest = new WeakMap<object, RequestRecord>();
  const byAuth = new WeakMap<object, RequestRecord>();

  const newRecord = (method: string): RequestRecord => ({
    start: now(),
    method,
    operations: [],
    codes: new Set(),
    errorIds: new Set(),
    done: false,
  });

  function finish(record: RequestRecord, status: number, aborted: boolean): void {
    if (record.done) return;
    record.done = true;
    const durationMs = Math.max(0, now() - record.start);
    const first = record.operations[0];
    histogram?.observe(
      { operation_type: first?.type ?? 'none', status: String(status) },
      durationMs / 1000,
    );
    if (!logger) return;
    const line: Record<string, unknown> = {
      bulwark: 'request',
      method: record.method,
      status,
      durationMs: Math.round(durationMs * 1000) / 1000,
    };
    if (record.operations.length > 1) {
      line['operations'] = record.operations.map((op) => ({
        operationName: op.name,
        operationType: op.type,
        ...(op.variables ? { variables: op.variables } : {}),
      }));
    } else if (first) {
      if (first.name !== undefined) line['operationName'] = first.name;
      if (first.type !== undefined) line['operationType'] = first.type;
      if (first.variables) line['variables'] = first.variables;
    }
    line['errorCodes'] = [...record.codes];
    if (record.errorIds.size > 0) line['errorIds'] = [...record.errorIds];
    if (record.subject !== undefined) line['subject'] = record.subject;
    if (record.clientIp !== undefined) line['clientIp'] = record.clientIp;
    if (record.queryHash !== undefined) line['queryHash'] = record.queryHash;
    if (aborted) line['aborted'] = true;
    try {
      (status >= 500 ? logger.error : logger.info).call(logger, line, 'GraphQL request');
    } catch {
      // A failing logger must not fail the request it logs.
    }
  }

  const middleware: RequestMonitor['middleware'] = (req, res, next) => {
    const record = newRecord(req.method ?? 'GET');
    byRequest.set(req, record);
    res.once('finish', () => finish(record, res.statusCode, false));
    res.once('close', () => finish(record, res.statusCode, !res.writableFinished));
    next();
  };

  function collect(record: RequestRecord, errors: readonly GraphQLFormattedError[] | undefined) {
    for (const error of errors ?? []) {
      const code = codeOf(error);
      if (code !== undefined) record.codes.add(code);
      const errorId = error.extensions?.['errorId'];
      if (typeof errorId === 'string') record.errorIds.add(redactText(errorId, 64));
    }
  }

  const plugin: ApolloServerPlugin<BaseContext> = {
    async requestDidStart(start) {
      const auth = (start.contextValue as { auth?: unknown } | null)?.auth;
      const linked = auth !== null && typeof auth === 'object' ? byAuth.get(auth) : undefined;
      const record =
        linked && !linked.done ? linked : newRecord(start.request.http?.method ?? 'POST');
      const standalone = record !== linked;
      const op: OperationRecord = {};
      record.operations.push(op);
      const listener: GraphQLRequestListener<BaseContext> = {
        async didResolveOperation(rc) {
          op.name = clip(rc.operationName);
          op.type = rc.operation?.operation;
          record.queryHash ??= rc.queryHash;
          if (logVariables)
            op.variables = redactVariables(rc.request.variables, rc.document, pattern);
        },
        async willSendResponse(rc) {
          op.name ??= clip(rc.request.operationName);
          const body = rc.response.body;
          collect(
            record,
            body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors,
          );
          try {
            record.subject ??= principalFromContext(rc.contextValue)?.subject;
          } catch {
            // An odd context has no subject.
          }
          if (standalone) finish(record, rc.response.http.status ?? 200, false);
        },
      };
      return listener;
    },
  };

  return {
    middleware,
    plugin,
    link(req, auth, fields) {
      const record = byRequest.get(req);
      if (!record) return;
      byAuth.set(auth, record);
      record.subject = fields.subject;
      record.clientIp = fields.clientIp;
    },
    noteError(req, code) {
      byRequest.get(req)?.codes.add(code);
    },
  };
}

/**
 * The request log alone, as an Apollo Server plugin: one line per operation (HTTP-level
 * refusals and context-function failures are not seen; the preset's middleware logs those).
 */
export function requestLogPlugin(
  logger: EventLogger,
  options: Omit<RequestMonitorOptions, 'logger' | 'registry'> = {},
): ApolloServerPlugin<BaseContext> {
  return createRequestMonitor({ ...options, logger }).plugin;
}

/**
 * The latency histogram alone, as an Apollo Server plugin:
 * `bulwark_graphql_request_duration_seconds{operation_type, status}`.
 */
export function requestMetricsPlugin(
  registry: MetricsRegistry,
  options: Omit<RequestMonitorOptions, 'logger' | 'registry' | 'logVariables'> = {},
): ApolloServerPlugin<BaseContext> {
  return createRequestMonitor({ ...options, registry }).plugin;
}
