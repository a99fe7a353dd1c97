import { randomUUID } from 'node:crypto';
import express from 'express';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { emitEvent } from '@bulwark/core';
import type { OnSecurityEvent } from '@bulwark/core';
import { noteErrorCode } from './request-log.js';

/**
 * The HTTP layer of the API, for Express 5: security headers, a strict CORS allowlist, a JSON
 * body parser with a size limit, and coded JSON answers for everything that fails before
 * GraphQL (never Express's HTML pages, never a 500 for bad input).
 */

/** Sends a GraphQL-shaped error answer. */
export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  extensions: Record<string, unknown> = {},
): void {
  noteErrorCode(code);
  res
    .status(status)
    .type('application/json')
    .send(JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }));
}

/**
 * Security headers on every response: no MIME sniffing, no framing, a CSP that allows nothing
 * (an API serves no page), no referrer, isolation from other origins, no caching of API
 * answers (they hold tokens and personal data), and HSTS when the request came over TLS
 * (directly, or as reported by a trusted proxy).
 */
export function securityHeaders(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('X-Permitted-Cross-Domain-Policies', 'none');
    res.setHeader('X-DNS-Prefetch-Control', 'off');
    res.setHeader('Cache-Control', 'no-store');
    if (req.secure) {
      res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    }
    next();
  };
}

const ALLOWED_HEADERS =
  'authorization, content-type, apollo-require-preflight, x-apollo-operation-name';

/**
 * A strict CORS allowlist: exact origins (`https://shop.example.com`), no wildcard, no
 * credentials (tokens travel in `Authorization`, never in cookies). A request whose `Origin`
 * is not listed is refused with 403 before any GraphQL work; requests without `Origin`
 * (servers, curl) are not CORS requests and pass.
 */
export function strictCors(origins: readonly string[], onEvent?: OnSecurityEvent): RequestHandler {
  for (const o of origins) {
    let parsed: URL;
    try {
      parsed = new URL(o);
    } catch {
      throw new TypeError(
        `\`corsOrigins\` entries must be origins like "https://app.example.com", got "${o}".`,
      );
    }
    if (parsed.origin !== o) {
      throw new TypeError(
        `\`corsOrigins\` entries must be bare origins (scheme://host[:port]), got "${o}".`,
      );
    }
  }
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (origin === undefined) {
      next();
      return;
    }
    if (!allowed.has(origin)) {
      emitEvent(onEvent, {
        source: 'preset',
        outcome: 'rejected',
        code: 'FORBIDDEN',
        reason: 'A request came from an origin that is not in the CORS allowlist.',
        detail: { origin: origin.slice(0, 200), method: req.method },
      });
      sendError(res, 403, 'FORBIDDEN', 'The request origin is not allowed.');
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

/**
 * `express.json` with a size limit. Compressed bodies are refused (415) rather than inflated:
 * a few kilobytes of gzip can expand to gigabytes.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  return express.json({ limit: limitBytes, inflate: false, strict: true });
}

/**
 * Refuses automatic persisted queries (400): the server does not store client documents, and
 * Apollo would answer the refusal with a 200.
 */
export function noPersistedQueries(): RequestHandler {
  return (req, res, next) => {
    const entries: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
    const inBody = entries.some(
      (e) =>
        typeof e === 'object' &&
        e !== null &&
        typeof (e as { extensions?: unknown }).extensions === 'object' &&
        (e as { extensions: Record<string, unknown> | null }).extensions?.['persistedQuery'] !==
          undefined,
    );
    const query = req.query as Record<string, unknown>;
    const inQuery =
      typeof query['extensions'] === 'string' && query['extensions'].includes('persistedQuery');
    if (inBody || inQuery) {
      sendError(res, 400, 'PERSISTED_QUERY_NOT_SUPPORTED', 'Persisted queries are not supported.');
      return;
    }
    next();
  };
}

interface HttpError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/**
 * The last Express error handler: body-parser and other HTTP errors become coded JSON with
 * their 4xx status; anything else is a masked 500 with an error id (and a `masked` event).
 */
export function errorHandler(limitBytes: number, onEvent?: OnSecurityEvent): ErrorRequestHandler {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const e = (typeof error === 'object' && error !== null ? error : {}) as HttpError;
    const status = e.status ?? e.statusCode ?? 500;
    if (e.type === 'entity.too.large' || status === 413) {
      sendError(
        res,
        413,
        'PAYLOAD_TOO_LARGE',
        `The request body is larger than the maximum of ${limitBytes} bytes.`,
      );
      return;
    }
    if (e.type === 'entity.parse.failed') {
      sendError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON.');
      return;
    }
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported' || status === 415) {
      sendError(res, 415, 'BAD_REQUEST', 'The request body encoding is not supported.');
      return;
    }
    if (status >= 400 && status < 500) {
      sendError(res, status, 'BAD_REQUEST', 'The request could not be processed.');
      return;
    }
    const errorId = randomUUID();
    emitEvent(onEvent, {
      source: 'preset',
      outcome: 'masked',
      code: 'INTERNAL_SERVER_ERROR',
      reason: 'An HTTP handler failed unexpectedly.',
      errorId,
      detail: { error },
    });
    sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'An unexpected error occurred.', { errorId });
  };
}

/** JSON 404 for every path the API does not serve (Express's page would name the framework). */
export function notFound(): RequestHandler {
  return (_req, res) => sendError(res, 404, 'NOT_FOUND', 'Not found.');
}
