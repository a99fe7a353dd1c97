import type { RequestHandler } from 'express';

/**
 * What the example adds to the preset's Express layer.
 */

/**
 * Refuses automatic persisted queries with 400 `PERSISTED_QUERY_NOT_SUPPORTED`: the server
 * stores no client documents, and Apollo Server would answer the attempt with a 200.
 */
export function noPersistedQueries(): RequestHandler {
  const asks = (entry: unknown) => {
    const extensions = (entry as { extensions?: unknown } | null | undefined)?.extensions;
    return (
      typeof extensions === 'object' &&
      extensions !== null &&
      (extensions as Record<string, unknown>)['persistedQuery'] !== undefined
    );
  };
  return (req, res, next) => {
    const body: unknown = req.body;
    const inBody = Array.isArray(body) ? body.some(asks) : asks(body);
    const search = (req.query as Record<string, unknown>)['extensions'];
    const inQuery = typeof search === 'string' && search.includes('persistedQuery');
    if (inBody || inQuery) {
      // Apollo Server's own code for it (not one of Bulwark's), with a 4xx status.
      res
        .status(400)
        .type('application/json')
        .send(
          JSON.stringify({
            errors: [
              {
                message: 'Persisted queries are not supported.',
                extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' },
              },
            ],
          }),
        );
      return;
    }
    next();
  };
}

/**
 * `Strict-Transport-Security` on responses to requests that came over TLS: directly, or as a
 * proxy trusted by `TRUST_PROXY` reports with `X-Forwarded-Proto` (Express's `req.secure`).
 * Never on plain HTTP, where it means nothing, nor on the word of an untrusted client.
 */
export function hstsWhenSecure(maxAge = 31_536_000): RequestHandler {
  const value = `max-age=${maxAge}; includeSubDomains`;
  return (req, res, next) => {
    if (req.secure) res.setHeader('Strict-Transport-Security', value);
    next();
  };
}
