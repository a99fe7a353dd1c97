import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { emitEvent } from '@bulwark/core';
import type { ErrorCode, OnSecurityEvent } from '@bulwark/core';
import { checkBatchSize, checkSource, documentSources } from '@bulwark/limits';
import type { ResolvedLimitsOptions } from '@bulwark/limits';
import cors from 'cors';
import type Express from 'express';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import helmet from 'helmet';
import type { HelmetOptions } from 'helmet';
import type { RequestMonitor } from './monitoring/requests.js';
import { redactText } from './monitoring/redact.js';
import type { ResolvedCors, ResolvedPresetOptions } from './options.js';

/** What the HTTP layer needs from the rest of the preset. */
export interface HttpLayerSettings {
  readonly options: ResolvedPresetOptions;
  /** The resolved limits, or `undefined` when limits are off. */
  readonly limits: ResolvedLimitsOptions | undefined;
  readonly onEvent: OnSecurityEvent | undefined;
  readonly monitor: RequestMonitor | undefined;
}

/** The Express 5 pieces of the preset. */
export interface HttpLayer {
  /** Middleware for the GraphQL route, in order. */
  readonly middleware: readonly RequestHandler[];
  /** An error handler that answers coded JSON, never an HTML page or a stack. */
  readonly errorHandler: ErrorRequestHandler;
  /** A JSON 404 for paths the API does not serve (Express's page names the framework). */
  readonly notFound: RequestHandler;
}

/** The generic message of an unexpected HTTP-layer failure. */
export const UNEXPECTED_MESSAGE = 'An unexpected error occurred.';

type Next = (error?: unknown) => void;

/** Writes a coded GraphQL error response: `{ errors: [{ message, extensions: { code } }] }`. */
export function sendJsonError(
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify({ errors: [{ message, extensions: { ...extensions, code } }] }));
}

/** The client-facing form of an error thrown while reading a request. */
export interface HttpRefusal {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * Maps an error raised while reading a request (body-parser's, or any error with a 4xx
 * `status`) to what the client is told. `undefined` for anything else: an internal failure.
 */
export function refusalOf(error: unknown, bodyLimit: number): HttpRefusal | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const e = error as { type?: unknown; status?: unknown; statusCode?: unknown };
  switch (e.type) {
    case 'entity.too.large':
      return {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: `The request body exceeds the maximum of ${bodyLimit} bytes.`,
      };
    case 'entity.parse.failed':
      return { status: 400, code: 'BAD_REQUEST', message: 'The request body is not valid JSON.' };
    case 'encoding.unsupported':
      return {
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'The content encoding of the request body is not supported.',
      };
    case 'charset.unsupported':
      return {
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'The charset of the request body is not supported.',
      };
    default:
      break;
  }
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 413) {
      return {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: `The request body exceeds the maximum of ${bodyLimit} bytes.`,
      };
    }
    return { status: 400, code: 'BAD_REQUEST', message: 'The request could not be read.' };
  }
  return undefined;
}

function loadExpress(): typeof Express {
  try {
    return createRequire(import.meta.url)('express') as typeof Express;
  } catch (error) {
    throw new Error('The HTTP layer of @bulwark/preset needs express 5: install it.', {
      cause: error,
    });
  }
}

function helmetOptions(options: ResolvedPresetOptions, csp: boolean): HelmetOptions {
  const { hsts } = options;
  return {
    contentSecurityPolicy: csp
      ? {
          useDefaults: false,
          directives: {
            defaultSrc: ["'none'"],
            baseUri: ["'none'"],
            formAction: ["'none'"],
            frameAncestors: ["'none'"],
          },
        }
      : false,
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    originAgentCluster: true,
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: hsts
      ? { maxAge: hsts.maxAge, includeSubDomains: hsts.includeSubDomains, preload: hsts.preload }
      : false,
    xContentTypeOptions: true,
    xDnsPrefetchControl: { allow: false },
    xDownloadOptions: true,
    xFrameOptions: { action: 'deny' },
    xPermittedCrossDomainPolicies: { permittedPolicies: 'none' },
    xPoweredBy: true,
    xXssProtection: true,
  };
}

const LANDING_PAGE_TYPES = [
  'application/json',
  'application/graphql-response+json',
  'multipart/mixed',
  'text/html',
];

/** True when Apollo Server would answer this request with its landing page (HTML). */
function wantsLandingPage(req: Request): boolean {
  return (
    req.method === 'GET' &&
    typeof req.headers.accept === 'string' &&
    typeof req.accepts === 'function' &&
    req.accepts(LANDING_PAGE_TYPES) === 'text/html'
  );
}

/** The headers a helmet configuration sets (and removes), read once by running it on a stub. */
interface HeaderSet {
  readonly set: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
}

function headerSetOf(mw: RequestHandler): HeaderSet {
  const set: [string, string][] = [];
  const remove: string[] = [];
  const stub = {
    setHeader(name: string, value: string | number | readonly string[]) {
      set.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
    },
    removeHeader(name: string) {
      remove.push(name);
    },
    getHeader: () => undefined,
  };
  let called = false;
  mw(
    { headers: {}, method: 'GET' } as unknown as Request,
    stub as unknown as ServerResponse as never,
    () => {
      called = true;
    },
  );
  if (!called)
    throw new Error('helmet did not call next() synchronously: its headers cannot be precomputed.');
  return { set, remove };
}

function applyHeaders(res: ServerResponse, headers: HeaderSet): void {
  for (const [name, value] of headers.set) res.setHeader(name, value);
  for (const name of headers.remove) res.removeHeader(name);
}

/**
 * The security headers. helmet decides them; they do not depend on the request, so they are
 * computed once at construction and applied per request with plain `setHeader` calls instead
 * of helmet's chain of thirteen middleware functions.
 */
function headersMiddleware(options: ResolvedPresetOptions): RequestHandler {
  const strict = headerSetOf(helmet(helmetOptions(options, true)) as unknown as RequestHandler);
  const landing = options.landingPage
    ? headerSetOf(helmet(helmetOptions(options, false)) as unknown as RequestHandler)
    : strict;
  return (req, res, next) => {
    // Apollo Server replaces it with a cacheable policy only for anonymous cacheable results.
    res.setHeader('cache-control', 'no-store');
    applyHeaders(res, options.landingPage && wantsLandingPage(req) ? landing : strict);
    next();
  };
}

function addVary(res: ServerResponse, field: string): void {
  const current = res.getHeader('vary');
  // The usual case, first on a new response: nothing to merge with.
  if (current === undefined) {
    res.setHeader('vary', field);
    return;
  }
  const list = (Array.isArray(current) ? current.join(',') : String(current))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!list.some((v) => v === '*' || v.toLowerCase() === field.toLowerCase())) {
    res.setHeader('vary', [...list, field].join(', '));
  }
}

/** True when `origin` names the host the request was sent to (a same-origin browser request). */
function sameHost(origin: string, req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (typeof host !== 'string') return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function corsMiddleware(
  c: ResolvedCors,
  csrfHeaders: readonly string[],
  refuse: (req: IncomingMessage, res: ServerResponse, origin: string) => void,
): RequestHandler {
  const allowed = (origin: string): boolean =>
    c.origins.some((o) => (typeof o === 'string' ? o === origin : o.test(origin)));
  const handler = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed(origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: [...new Set([...c.allowedHeaders, ...csrfHeaders])],
    exposedHeaders: [...c.exposedHeaders],
    credentials: c.credentials,
    maxAge: c.maxAge,
    optionsSuccessStatus: 204,
  });
  return (req, res, next) => {
    addVary(res, 'Origin');
    const origin = req.headers.origin;
    // No Origin: not a browser cross-origin request; the cors package would add nothing.
    if (origin === undefined && req.method !== 'OPTIONS') {
      next();
      return;
    }
    // A browser sends `Origin` on cross-origin requests and on same-origin POSTs. One from a
    // site outside the allowlist is refused before any work (defense in depth over CSRF
    // prevention); requests without it (servers, curl) are not browser cross-origin requests.
    if (typeof origin === 'string' && !allowed(origin) && !sameHost(origin, req)) {
      refuse(req, res, origin);
      return;
    }
    handler(req, res, next);
  };
}

/**
 * Builds the Express 5 middleware of the GraphQL route and the error handler:
 *
 * 1. request monitoring (when configured);
 * 2. headers: `Content-Security-Policy: default-src 'none'; base-uri 'none'; form-action 'none';
 *    frame-ancestors 'none'`, `X-Frame-Options: DENY`,
 *    `X-Content-Type-Options: nosniff`, no `X-Powered-By`, `Referrer-Policy: no-referrer`,
 *    `Cache-Control: no-store`, HSTS when configured;
 * 3. CORS allowlist: a request whose `Origin` is neither listed nor the API's own host answers
 *    403 `FORBIDDEN`;
 * 4. the JSON body parser with the size limit (413 `PAYLOAD_TOO_LARGE`, 400 for malformed
 *    JSON, coded JSON bodies, no stack);
 * 5. the batch size limit (when batching is on);
 * 6. document length and token limits, before any parsing.
 */
export function createHttpLayer(settings: HttpLayerSettings): HttpLayer {
  const { options, limits, onEvent, monitor } = settings;
  const express = loadExpress();

  const refuse = (
    req: IncomingMessage,
    res: ServerResponse,
    refusal: HttpRefusal,
    source: 'preset' | 'limits',
    reason: string,
    detail?: Record<string, unknown>,
  ): void => {
    monitor?.noteError(req, refusal.code);
    emitEvent(onEvent, {
      source,
      outcome: 'rejected',
      code: refusal.code,
      reason,
      ...(detail ? { detail } : {}),
    });
    sendJsonError(res, refusal.status, refusal.code, refusal.message);
  };

  const fail = (req: IncomingMessage, res: ServerResponse, error: unknown): void => {
    const errorId = randomUUID();
    monitor?.noteError(req, 'INTERNAL_SERVER_ERROR');
    emitEvent(onEvent, {
      source: 'preset',
      outcome: 'masked',
      code: 'INTERNAL_SERVER_ERROR',
      reason: `Masked an unexpected error on the HTTP layer: ${error instanceof Error ? redactText(error.message, 256) : typeof error}.`,
      errorId,
      detail: { error },
    });
    sendJsonError(res, 500, 'INTERNAL_SERVER_ERROR', UNEXPECTED_MESSAGE, { errorId });
  };

  const answer = (req: IncomingMessage, res: ServerResponse, error: unknown): void => {
    const refusal = refusalOf(error, options.bodyLimit);
    if (!refusal) {
      fail(req, res, error);
      return;
    }
    const type = (error as { type?: unknown }).type;
    refuse(req, res, refusal, 'preset', refusal.message, {
      ...(typeof type === 'string' ? { type } : {}),
      ...(refusal.status === 413 ? { limit: options.bodyLimit } : {}),
    });
  };

  const middleware: RequestHandler[] = [];
  if (monitor) middleware.push(monitor.middleware as unknown as RequestHandler);
  middleware.push(headersMiddleware(options));
  if (options.cors) {
    middleware.push(
      corsMiddleware(options.cors, options.csrfRequestHeaders || [], (req, res, origin) =>
        refuse(
          req,
          res,
          {
            status: 403,
            code: 'FORBIDDEN',
            message: 'The request origin is not allowed.',
          },
          'preset',
          'A request came from an origin outside the CORS allowlist.',
          { origin: redactText(origin, 256), method: req.method },
        ),
      ),
    );
  }

  const json = express.json({ limit: options.bodyLimit });
  middleware.push((req, res, next) => {
    json(req, res, (error?: unknown) => {
      if (error === undefined || error === null) next();
      else answer(req, res, error);
    });
  });

  if (options.maxBatchSize !== false) {
    const max = options.maxBatchSize;
    const expose = limits?.exposeLimits ?? true;
    middleware.push((req, res, next) => {
      const error = checkBatchSize(req.body, max, expose);
      if (!error) {
        next();
        return;
      }
      const size = Array.isArray(req.body) ? req.body.length : 0;
      refuse(
        req,
        res,
        { status: 400, code: error.code, message: error.message },
        'limits',
        error.message,
        {
          limit: 'maxBatchSize',
          value: size,
          max,
        },
      );
    });
  }

  if (limits && (limits.maxTokens !== false || limits.maxDocumentLength !== false)) {
    const sourceLimits = {
      maxTokens: limits.maxTokens,
      maxDocumentLength: limits.maxDocumentLength,
      exposeLimits: limits.exposeLimits,
    };
    middleware.push((req, res, next) => {
      for (const source of documentSources(req)) {
        const error = checkSource(source, sourceLimits);
        if (error) {
          refuse(
            req,
            res,
            { status: 400, code: error.code, message: error.message },
            'limits',
            error.message,
            {
              limit: error.code === 'TOKEN_LIMIT_EXCEEDED' ? 'maxTokens' : 'maxDocumentLength',
              length: source.length,
            },
          );
          return;
        }
      }
      next();
    });
  }

  const errorHandler: ErrorRequestHandler = (error, req, res, next: Next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    answer(req, res, error);
  };

  const notFound: RequestHandler = (_req, res) => {
    sendJsonError(res, 404, 'NOT_FOUND', 'Not found.');
  };

  return { middleware: [chain(middleware)], errorHandler, notFound };
}

/**
 * Runs Express handlers one after the other as one handler: the same semantics as mounting them
 * in order (an error goes to `next(error)`), without a trip through Express's router per step.
 */
function chain(handlers: readonly RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (error?: unknown): void => {
      if (error !== undefined && error !== null && error !== 'route') {
        next(error);
        return;
      }
      const handler = handlers[i++];
      if (!handler) {
        next();
        return;
      }
      try {
        // Express 5 handlers may return a promise: a rejection is an error, as in Express.
        const returned: unknown = handler(req, res, step);
        if (returned instanceof Promise) returned.catch(next);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
