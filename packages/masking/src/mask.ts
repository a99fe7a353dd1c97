import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import { classifyError, GENERIC_CLIENT_MESSAGES } from './classify.js';
import { redactedMessage } from './redact.js';
import type { ResolvedMaskingOptions } from './options.js';

/**
 * Extensions that never reach a client from a safe error: stacks (`stacktrace`, Apollo 2's
 * `exception`), the HTTP head (`http`), and what a gateway adds about its subgraphs
 * (`serviceName`, `response` with the subgraph URL and body).
 */
export const LEAKY_EXTENSION_KEYS: readonly string[] = Object.freeze([
  'exception',
  'stacktrace',
  'http',
  'serviceName',
  'response',
]);

/** The outcome of {@link maskError}. */
export interface MaskResult {
  /** What the client gets. */
  readonly formatted: GraphQLFormattedError;
  /** The id shared by the client error and the event; `undefined` for a safe error. */
  readonly errorId: string | undefined;
  /** The code the client gets. */
  readonly code: string;
  /** The error behind a masked one (what was thrown), for the event. */
  readonly cause: unknown;
}

function position(
  formatted: GraphQLFormattedError,
): Pick<GraphQLFormattedError, 'locations' | 'path'> {
  const out: {
    locations?: GraphQLFormattedError['locations'];
    path?: GraphQLFormattedError['path'];
  } = {};
  if (formatted.locations !== undefined) out.locations = formatted.locations;
  if (formatted.path !== undefined) out.path = formatted.path;
  return out;
}

function cleanExtensions(
  extensions: GraphQLFormattedError['extensions'],
): Record<string, unknown> | undefined {
  if (extensions === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extensions)) {
    if (!LEAKY_EXTENSION_KEYS.includes(key)) out[key] = value;
  }
  return out;
}

/** The stack of an error as lines, for `debug` responses and events. */
export function stackOf(value: unknown): string[] | undefined {
  return value instanceof Error && typeof value.stack === 'string'
    ? value.stack.split('\n')
    : undefined;
}

// The most useful stack for a developer: what was thrown, else one the error already carries
// (a subgraph's, forwarded by a gateway), else the wrapper's own.
function debugStack(cause: unknown, formatted: GraphQLFormattedError, error: unknown): unknown {
  if (cause instanceof Error && !(cause instanceof GraphQLError)) return stackOf(cause);
  return formatted.extensions?.['stacktrace'] ?? stackOf(cause) ?? stackOf(error);
}

function newErrorId(generate: () => string): string {
  const id = generate();
  return typeof id === 'string' && id.length > 0 ? id : randomUUID();
}

/**
 * Decides what a client sees of one error. `formatted` is the error as Apollo Server formats
 * it (or `error.toJSON()` with plain graphql-js); `error` is the original.
 *
 * - A safe error keeps its message (or a generic one under `redactValidationErrors`),
 *   locations, path and extensions, minus {@link LEAKY_EXTENSION_KEYS}.
 * - A client error whose text came from an unexpected error keeps its code and gets a generic
 *   message and an `errorId`.
 * - Anything else becomes `{ message, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } }`
 *   with its locations and path.
 *
 * Under `debug`, safe errors pass untouched and masked ones keep their text and get their
 * stack in `extensions.stacktrace`, with an `errorId` still. Pure but for the id.
 */
export function maskError(
  formatted: GraphQLFormattedError,
  error: unknown,
  options: Pick<
    ResolvedMaskingOptions,
    'message' | 'safeErrorCodes' | 'debug' | 'redactValidationErrors' | 'generateErrorId'
  >,
): MaskResult {
  const verdict = classifyError(error, options.safeErrorCodes);
  const originalCode = formatted.extensions?.['code'];
  if (verdict.kind === 'safe') {
    const code = typeof originalCode === 'string' ? originalCode : 'INTERNAL_SERVER_ERROR';
    if (options.debug) return { formatted, errorId: undefined, code, cause: undefined };
    const message = options.redactValidationErrors
      ? (redactedMessage(formatted, error) ?? formatted.message)
      : formatted.message;
    const extensions = cleanExtensions(formatted.extensions);
    return {
      formatted: { message, ...position(formatted), ...(extensions ? { extensions } : {}) },
      errorId: undefined,
      code,
      cause: undefined,
    };
  }
  const errorId = newErrorId(options.generateErrorId);
  const code = verdict.kind === 'client' ? verdict.code : 'INTERNAL_SERVER_ERROR';
  if (options.debug) {
    const stacktrace = debugStack(verdict.cause, formatted, error);
    return {
      formatted: {
        ...formatted,
        extensions: {
          ...formatted.extensions,
          code: typeof originalCode === 'string' ? originalCode : code,
          errorId,
          ...(stacktrace ? { stacktrace } : {}),
        },
      },
      errorId,
      code,
      cause: verdict.cause,
    };
  }
  const message =
    verdict.kind === 'client'
      ? (GENERIC_CLIENT_MESSAGES[verdict.code] ?? options.message)
      : options.message;
  return {
    formatted: { message, ...position(formatted), extensions: { code, errorId } },
    errorId,
    code,
    cause: verdict.cause,
  };
}
