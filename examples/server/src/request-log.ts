import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { NextFunction, Request, Response } from 'express';
import { Kind, visit } from 'graphql';
import type { DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import type { RequestMetrics } from './monitoring.js';

/**
 * One JSON log line per request outcome, whatever answered it (Apollo, the body parser, CORS,
 * a 404): method, path (never the query string, which holds GET documents and variables),
 * status, duration, the GraphQL operation, the subject, the error codes, and the variables
 * with sensitive values censored.
 */

/** What is known about a request by the time it is answered. */
export interface RequestRecord {
  readonly requestId: string;
  operationName?: string | undefined;
  operationType?: string | undefined;
  subject?: string | undefined;
  clientIp?: string | null | undefined;
  errorCodes: string[];
  variables?: unknown;
}

const store = new AsyncLocalStorage<RequestRecord>();

/** The record of the request being handled, if any. */
export function currentRequest(): RequestRecord | undefined {
  return store.getStore();
}

/** Notes the codes of the errors of a response (called from `formatError`, which sees them all). */
export function noteErrorCode(code: unknown): void {
  const record = store.getStore();
  if (record && typeof code === 'string' && record.errorCodes.length < 20) {
    record.errorCodes.push(code);
  }
}

/** Variable, argument and input-field names whose values never reach a log. */
export const SENSITIVE_NAME =
  /pass(word|wd|phrase)?|secret|token|authori[sz]ation|cookie|otp|ssn|card|cvv|iban|email|address|phone/i;

const MAX_STRING = 200;
const MAX_ITEMS = 20;
const MAX_DEPTH = 4;

function censor(value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…[truncated]` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => censor(v, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `…${value.length - MAX_ITEMS} more`] : items;
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(value)) {
    if (n++ >= MAX_ITEMS) {
      out['…'] = 'more keys';
      break;
    }
    out[k] = SENSITIVE_NAME.test(k) ? '[Redacted]' : censor(v, depth + 1);
  }
  return out;
}

/**
 * The variables as they may be logged: a variable is censored when its name, or the name of an
 * argument or input field it is passed to, looks sensitive (`$p` given as `password: $p` is
 * censored); inside the others, keys that look sensitive are censored; long strings, lists and
 * deep objects are cut.
 */
export function loggableVariables(
  document: DocumentNode | undefined,
  variables: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (!variables || typeof variables !== 'object') return undefined;
  const sensitive = new Set<string>();
  if (document) {
    visit(document, {
      Argument(node) {
        if (node.value.kind === Kind.VARIABLE && SENSITIVE_NAME.test(node.name.value)) {
          sensitive.add(node.value.name.value);
        }
      },
      ObjectField(node) {
        if (node.value.kind === Kind.VARIABLE && SENSITIVE_NAME.test(node.name.value)) {
          sensitive.add(node.value.name.value);
        }
      },
    });
  }
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(variables).slice(0, MAX_ITEMS)) {
    out[name] = sensitive.has(name) || SENSITIVE_NAME.test(name) ? '[Redacted]' : censor(value, 1);
  }
  return out;
}

/**
 * Express middleware, first in the chain: opens the request's record and writes its line when
 * the response is finished (or the connection closed first).
 */
export function requestLogMiddleware(
  logger: Logger | undefined,
  metrics: RequestMetrics | undefined,
) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const record: RequestRecord = { requestId: randomUUID(), errorCodes: [] };
    const started = process.hrtime.bigint();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.headersSent || res.writableFinished ? res.statusCode : 499;
      metrics?.observe(
        { method: req.method, status, operationType: record.operationType ?? 'none' },
        seconds,
      );
      if (!logger) return;
      const line = {
        requestId: record.requestId,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status,
        durationMs: Math.round(seconds * 1e5) / 100,
        clientIp: record.clientIp ?? req.socket.remoteAddress,
        operationName: record.operationName,
        operationType: record.operationType,
        subject: record.subject,
        errors: record.errorCodes.length > 0 ? record.errorCodes : undefined,
        variables: record.variables,
        userAgent: req.get('user-agent')?.slice(0, 200),
      };
      if (status >= 500) logger.error(line, 'request');
      else if (status >= 400) logger.warn(line, 'request');
      else logger.info(line, 'request');
    };
    res.on('finish', finish);
    res.on('close', finish);
    res.setHeader('x-request-id', record.requestId);
    store.run(record, next);
  };
}

/** The Apollo plugin that fills the record: operation, subject, client IP, variables. */
export function requestLogPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          const record = store.getStore();
          if (!record) return;
          record.operationName = rc.operationName ?? undefined;
          record.operationType = rc.operation?.operation;
          record.variables = loggableVariables(rc.document, rc.request.variables);
        },
        async willSendResponse(rc) {
          const record = store.getStore();
          if (!record) return;
          const ctx = rc.contextValue as {
            auth?: { principal?: { subject?: string } | null };
            clientIp?: string | null;
          };
          record.subject = ctx.auth?.principal?.subject;
          record.clientIp = ctx.clientIp;
          record.operationType ??= rc.operation?.operation;
        },
      };
    },
  };
}
