import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { emitEvent } from '@bulwark/core';
import { maskError, stackOf } from './mask.js';
import type { MaskResult } from './mask.js';
import { resolveMaskingOptions } from './options.js';
import type { MaskingOptions } from './options.js';

/** Apollo Server's `formatError` signature. */
export type FormatError = (
  formattedError: GraphQLFormattedError,
  error: unknown,
) => GraphQLFormattedError;

/** What {@link createMasking} returns: give both to Apollo Server. */
export interface ErrorMasking<TContext extends BaseContext = BaseContext> {
  /**
   * The masking itself. Apollo Server calls it on every error it returns: parse, validation,
   * variable coercion, resolvers, plugins, the context function, HTTP-level errors and a
   * gateway's subgraph errors. It never throws.
   */
  readonly formatError: FormatError;
  /**
   * Optional: tags each request's errors with the operation name and the principal's subject,
   * so the events of masked errors carry them. Masking works without it.
   */
  readonly plugin: ApolloServerPlugin<TContext>;
}

interface RequestInfo {
  operationName: string | undefined;
  subject: string | undefined;
}

function describe(cause: unknown): { name: string; message: string } {
  if (cause instanceof Error) return { name: cause.name, message: cause.message };
  return { name: typeof cause, message: String(cause) };
}

/**
 * Error masking for Apollo Server: an error that is not known to be safe reaches the client as
 * `{ message: 'An unexpected error occurred.', extensions: { code: 'INTERNAL_SERVER_ERROR',
 * errorId } }`, and the original, with its stack, goes to `onEvent` under the same `errorId`.
 * Safe errors are Bulwark's own and `GraphQLError`s with a code on the allowlist
 * ({@link DEFAULT_SAFE_ERROR_CODES} plus `safeErrorCodes`) whose message is their own.
 *
 * No stack, file path, `extensions.exception` or library error name reaches a client unless
 * `debug: true`, even with Apollo's `includeStacktraceInErrorResponses`.
 *
 * @example
 * const masking = createMasking({ onEvent: (e) => logger.warn(e) });
 * new ApolloServer({ schema, formatError: masking.formatError, plugins: [masking.plugin] });
 */
export function createMasking<TContext extends BaseContext = BaseContext>(
  options?: MaskingOptions<TContext>,
): ErrorMasking<TContext> {
  const resolved = resolveMaskingOptions(options);
  const { onEvent, getPrincipal } = resolved;
  const requests = new WeakMap<object, RequestInfo>();

  if (resolved.debug) {
    emitEvent(onEvent, {
      source: 'masking',
      outcome: 'warning',
      code: 'MASKING_DEBUG_ENABLED',
      reason: 'Error masking runs with debug: true; clients see error messages and stacks.',
    });
  }

  function report(result: MaskResult, formatted: GraphQLFormattedError, error: unknown): void {
    const info = typeof error === 'object' && error !== null ? requests.get(error) : undefined;
    const { name, message } = describe(result.cause);
    emitEvent(onEvent, {
      source: 'masking',
      outcome: 'masked',
      code: result.code,
      reason: `${resolved.debug ? 'Sent unmasked (debug)' : 'Masked'} an unexpected ${name}: ${message}`,
      operationName: info?.operationName,
      subject: info?.subject,
      errorId: result.errorId,
      detail: {
        error: result.cause,
        name,
        message,
        stack: stackOf(result.cause)?.join('\n'),
        clientMessage: formatted.message,
        extensions: formatted.extensions,
        path: formatted.path,
        debug: resolved.debug,
      },
    });
  }

  const formatError: FormatError = (formatted, error) => {
    try {
      const result = maskError(formatted, error, resolved);
      if (result.errorId !== undefined) report(result, formatted, error);
      return result.formatted;
    } catch {
      // A throw here would make Apollo fall back to its own formatting, stack included when
      // includeStacktraceInErrorResponses is on.
      return { message: resolved.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
  };

  const plugin: ApolloServerPlugin<TContext> = {
    async requestDidStart() {
      return {
        async didEncounterErrors(requestContext) {
          let subject: string | undefined;
          try {
            subject = getPrincipal(requestContext.contextValue)?.subject;
          } catch {
            subject = undefined;
          }
          const info: RequestInfo = {
            operationName:
              requestContext.operationName ?? requestContext.request.operationName ?? undefined,
            subject,
          };
          for (const error of requestContext.errors) requests.set(error, info);
        },
      };
    },
  };

  return { formatError, plugin };
}
