import { DocumentSizeLimitError, TokenLimitError } from '@bulwark/core';
import { documentLengthMessage, tokenMessage } from './messages.js';
import { countTokens } from './tokens.js';

/** Limits on a document's source, checked before parsing. */
export interface SourceLimits {
  /** @default 10000 */
  maxTokens?: number | false;
  /** @default 100000 */
  maxDocumentLength?: number | false;
  /** @default true */
  exposeLimits?: boolean;
}

/**
 * Checks a document's source before it is parsed: its length, then its token count (only for
 * sources longer than `maxTokens` characters, which alone can exceed it; the count stops at the
 * limit). Returns the error to answer with (400), or `null`.
 */
export function checkSource(
  source: string,
  limits: SourceLimits = {},
): InstanceType<typeof TokenLimitError> | InstanceType<typeof DocumentSizeLimitError> | null {
  const { maxTokens = 10_000, maxDocumentLength = 100_000, exposeLimits = true } = limits;
  if (maxDocumentLength !== false && source.length > maxDocumentLength) {
    return new DocumentSizeLimitError(
      documentLengthMessage(source.length, maxDocumentLength, exposeLimits),
    );
  }
  if (
    maxTokens !== false &&
    source.length > maxTokens &&
    countTokens(source, maxTokens) > maxTokens
  ) {
    return new TokenLimitError(tokenMessage(maxTokens, exposeLimits));
  }
  return null;
}

/** The parts of an Express request that can carry a document. */
export interface DocumentRequest {
  /** The parsed JSON body: one operation or a batch. */
  body?: unknown;
  /** The parsed query string (GET `?query=`). */
  query?: unknown;
  /** The request URL: when it has no `?`, `query` is not read (Express parses it per read). */
  url?: string;
}

interface MinimalResponse {
  status(code: number): MinimalResponse;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/**
 * The documents a request carries before any GraphQL parsing: the POST body's `query`, each
 * batch entry's, and GET `?query=`.
 */
export function documentSources(req: DocumentRequest): string[] {
  const out: string[] = [];
  const body = req.body;
  const entries = Array.isArray(body) ? body : [body];
  for (const e of entries) {
    if (e && typeof e === 'object' && typeof (e as { query?: unknown }).query === 'string') {
      out.push((e as { query: string }).query);
    }
  }
  if (typeof req.url === 'string' && !req.url.includes('?')) return out;
  const q = req.query;
  if (q && typeof q === 'object' && typeof (q as { query?: unknown }).query === 'string') {
    out.push((q as { query: string }).query);
  }
  return out;
}

/**
 * Express (4/5) middleware, mounted after the JSON body parser: refuses, before any parsing, a
 * request whose document (POST body, every entry of a batch, or GET `?query=`) is too long or
 * has too many tokens, with 400 and a coded GraphQL error.
 */
export function sourceLimitMiddleware(limits: SourceLimits = {}) {
  return (req: DocumentRequest, res: MinimalResponse, next: () => void): void => {
    for (const source of documentSources(req)) {
      const error = checkSource(source, limits);
      if (error) {
        res.status(400);
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(
          JSON.stringify({
            errors: [{ message: error.message, extensions: { code: error.code } }],
          }),
        );
        return;
      }
    }
    next();
  };
}
