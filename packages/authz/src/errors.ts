import { ForbiddenError } from '@bulwark/core';
import type { BulwarkError } from '@bulwark/core';

/** How many denied paths the message of a rejected operation names. */
export const MAX_LISTED_PATHS = 10;

const quote = (s: string) => `"${s}"`;

/**
 * The rejection of a whole operation (403 `FORBIDDEN`), naming the denied paths. The paths are
 * the client's own operation (response keys, arguments as `field(arg:)`, variables as `$name`);
 * `extensions.deniedPaths` carries the same list.
 */
export function operationDeniedError(
  paths: readonly string[],
  total: number,
  reason: string,
): BulwarkError<'FORBIDDEN'> {
  const listed = paths.slice(0, MAX_LISTED_PATHS);
  const more = total - listed.length;
  const list = listed.map(quote).join(', ') + (more > 0 ? ` and ${more} more` : '');
  return new ForbiddenError(`Access denied to ${list}.`, {
    extensions: { deniedPaths: listed },
    reason,
  });
}

/**
 * A field-level denial: the field resolves to `null` with this error at its path. It carries no
 * HTTP status: the rest of the response is data, so the status stays 200.
 */
export function fieldDeniedError(coordinate: string, reason: string): BulwarkError<'FORBIDDEN'> {
  return withoutStatus(new ForbiddenError(`Access denied to ${quote(coordinate)}.`, { reason }));
}

/** An object denied by its type's object policy: it resolves to `null` with this error. */
export function objectDeniedError(typeName: string, reason: string): BulwarkError<'FORBIDDEN'> {
  return withoutStatus(
    new ForbiddenError(`Access denied to an object of type ${quote(typeName)}.`, { reason }),
  );
}

function withoutStatus(error: BulwarkError<'FORBIDDEN'>): BulwarkError<'FORBIDDEN'> {
  // Apollo Server applies `extensions.http` of any error to the response: a partial result
  // must keep its 200.
  delete (error.extensions as Record<string, unknown>)['http'];
  return error;
}

/** The operation reached execution without being checked (plugin missing, other executor). */
export function notCheckedError(): BulwarkError<'FORBIDDEN'> {
  return new ForbiddenError('The operation was not authorized before execution.', {
    reason:
      'A resolver of a schema wrapped by authz ran for an operation that authz.authorize (or the plugin) did not check.',
  });
}

/** The analysis was truncated: what the operation touches is not fully known. */
export function tooDeepError(): BulwarkError<'FORBIDDEN'> {
  return new ForbiddenError('The operation is nested too deeply to be authorized.', {
    reason: 'The document analysis was truncated; the operation is refused unchecked.',
  });
}
