import { GraphQLError } from 'graphql';
import { isSecurityError } from '@bulwark/core';

/** How far `originalError` chains are followed (they are short; this bounds a cycle). */
const MAX_CHAIN = 16;

/**
 * What masking makes of an error:
 * - `safe`: shown as is (minus leaky extensions): a Bulwark error, or a `GraphQLError` with a
 *   safe code whose message is its own;
 * - `client`: a client-error code (parse, validation, user input, ...) whose message was taken
 *   from an unexpected error, such as the parser's `RangeError: Maximum call stack size
 *   exceeded` or a custom scalar's internal `Error`: the code stays, the text goes;
 * - `unexpected`: anything else, masked as `INTERNAL_SERVER_ERROR`.
 */
export type ErrorClassification =
  | { readonly kind: 'safe' }
  | { readonly kind: 'client'; readonly code: string; readonly cause: Error }
  | { readonly kind: 'unexpected'; readonly cause: unknown };

/**
 * Codes that stay when their text is replaced: the request was bad, the detail was not for
 * the client. Each comes with the generic sentence the client gets instead.
 */
export const GENERIC_CLIENT_MESSAGES: Readonly<Record<string, string>> = Object.freeze({
  GRAPHQL_PARSE_FAILED: 'The document could not be parsed.',
  GRAPHQL_VALIDATION_FAILED: 'The document is not valid for this schema.',
  BAD_USER_INPUT: 'The input is not valid.',
  OPERATION_RESOLUTION_FAILURE: 'The operation to run could not be determined.',
  BAD_REQUEST: 'The request is not a valid GraphQL request.',
});

/**
 * The first non-GraphQL `Error` down the `originalError` chain whose message shows in
 * `message`: graphql-js and Apollo Server copy a thrown error's message into the
 * `GraphQLError` they wrap it in ("Context creation failed: ...", "Expected type ...; ...").
 * A plain object in the chain (a subgraph's error, as a gateway receives it) is not an
 * `Error` and ends the walk.
 */
export function leakingCause(error: GraphQLError, message: string): Error | undefined {
  let current: unknown = error.originalError;
  for (let i = 0; i < MAX_CHAIN && current != null; i++) {
    if (current instanceof GraphQLError) {
      current = current.originalError;
      continue;
    }
    if (current instanceof Error) {
      return current.message !== '' && message.includes(current.message) ? current : undefined;
    }
    return undefined;
  }
  return undefined;
}

/**
 * The error worth logging behind a masked one: the first non-GraphQL `Error` down the
 * `originalError` chain (what the resolver, context function or plugin threw), else the
 * deepest `GraphQLError`, else the value itself.
 */
export function rootCause(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < MAX_CHAIN; i++) {
    if (!(current instanceof GraphQLError)) return current;
    const next: unknown = current.originalError;
    if (next == null || !(next instanceof Error)) return current;
    current = next;
  }
  return current;
}

/** The `extensions.code` of a `GraphQLError`, when it is a string. */
export function codeOf(error: GraphQLError): string | undefined {
  const code = error.extensions?.['code'];
  return typeof code === 'string' ? code : undefined;
}

/**
 * Classifies an error the server is about to return. Pure: depends only on the error and the
 * allowlist. Errors from another copy of `graphql` fail the `instanceof` checks and are
 * masked (fail closed).
 */
export function classifyError(
  error: unknown,
  safeErrorCodes: ReadonlySet<string>,
): ErrorClassification {
  if (isSecurityError(error)) return { kind: 'safe' };
  if (!(error instanceof GraphQLError)) return { kind: 'unexpected', cause: error };
  const code = codeOf(error);
  if (code === undefined || !safeErrorCodes.has(code)) {
    return { kind: 'unexpected', cause: rootCause(error) };
  }
  const cause = leakingCause(error, error.message);
  if (cause === undefined) return { kind: 'safe' };
  if (Object.prototype.hasOwnProperty.call(GENERIC_CLIENT_MESSAGES, code)) {
    return { kind: 'client', code, cause };
  }
  return { kind: 'unexpected', cause };
}
