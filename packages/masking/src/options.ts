import { randomUUID } from 'node:crypto';
import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertNonEmptyString,
  assertObject,
  ERROR_CODE_LIST,
  principalFromContext,
  withDefaults,
} from '@bulwark/core';
import type { OnSecurityEvent, PrincipalAccessor } from '@bulwark/core';

const HTTP_ONLY_OR_INTERNAL: ReadonlySet<string> = new Set([
  'INTERNAL_SERVER_ERROR',
  'NOT_FOUND',
  'UNSUPPORTED_MEDIA_TYPE',
]);

/**
 * Codes of errors that reach the client as they are (message, locations, path, extensions),
 * when the error is a `GraphQLError` whose message was not taken from an unexpected error:
 * Apollo Server's client-error codes and every Bulwark code a GraphQL response can carry (so a
 * subgraph's `FORBIDDEN` passes a gateway). Not `INTERNAL_SERVER_ERROR`, and not the codes the
 * preset answers at the HTTP layer only (`NOT_FOUND`, `UNSUPPORTED_MEDIA_TYPE`): an
 * application error that happens to use one of those is not Bulwark's and stays masked unless
 * you list it in `safeErrorCodes`.
 */
export const DEFAULT_SAFE_ERROR_CODES: readonly string[] = Object.freeze([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  ...ERROR_CODE_LIST.filter((code) => !HTTP_ONLY_OR_INTERNAL.has(code)),
]);

/** Options of {@link createMasking}. */
export interface MaskingOptions<TContext = unknown> {
  /**
   * The message a masked error carries.
   * @default 'An unexpected error occurred.'
   */
  message?: string;
  /**
   * More codes whose `GraphQLError`s are safe to show, added to
   * {@link DEFAULT_SAFE_ERROR_CODES} (`NOT_FOUND`, your own). `INTERNAL_SERVER_ERROR` is refused.
   * @default []
   */
  safeErrorCodes?: readonly string[];
  /**
   * Send unexpected errors unmasked, with their stack in `extensions.stacktrace` (the event
   * is still emitted, with the same `errorId`). For development only: it must be set to
   * `true` explicitly, and a `warning` event says so at construction.
   * @default false
   */
  debug?: boolean;
  /**
   * Replace the engine's wording of client errors with generic sentences, for teams that want
   * no engine fingerprint (graphw00f matches these texts): graphql-js validation messages,
   * parse errors, variable coercion errors, operation resolution and bad-request errors keep
   * their code and locations but say, e.g., "The document is not valid for this schema."
   * Bulwark's own messages are kept.
   * @default false
   */
  redactValidationErrors?: boolean;
  /**
   * Makes the id that ties a masked error to its event. Must return a hard-to-guess string.
   * @default crypto.randomUUID (122 random bits)
   */
  generateErrorId?: () => string;
  /**
   * Reads the principal from the GraphQL context, for the event's `subject` (used by the
   * plugin returned with `formatError`).
   * @default principalFromContext (`context.auth.principal`)
   */
  getPrincipal?: PrincipalAccessor<TContext>;
  /**
   * Receives a `masked` event per masked error, with the original error and its stack in
   * `detail`, under the `errorId` the client got. The original message may hold personal data
   * or secrets (a SQL statement, a connection string): sanitize before long-term storage.
   * @default undefined (no events)
   */
  onEvent?: OnSecurityEvent;
}

/** Defaults of {@link createMasking}. */
export const MASKING_DEFAULTS = Object.freeze({
  message: 'An unexpected error occurred.',
  safeErrorCodes: Object.freeze([]) as readonly string[],
  debug: false,
  redactValidationErrors: false,
  generateErrorId: randomUUID as () => string,
});

/** Options after validation and defaults. */
export interface ResolvedMaskingOptions<TContext = unknown> {
  readonly message: string;
  /** The defaults plus `safeErrorCodes`. */
  readonly safeErrorCodes: ReadonlySet<string>;
  readonly debug: boolean;
  readonly redactValidationErrors: boolean;
  readonly generateErrorId: () => string;
  readonly getPrincipal: PrincipalAccessor<TContext>;
  readonly onEvent: OnSecurityEvent | undefined;
}

const KNOWN = [
  'message',
  'safeErrorCodes',
  'debug',
  'redactValidationErrors',
  'generateErrorId',
  'getPrincipal',
  'onEvent',
];

/** Validates options and resolves defaults, once (a `TypeError` names a bad option). */
export function resolveMaskingOptions<TContext>(
  options: MaskingOptions<TContext> | undefined,
): ResolvedMaskingOptions<TContext> {
  if (options !== undefined) {
    assertObject('createMasking options', options);
    assertKnownKeys('createMasking options', options, KNOWN);
  }
  const o = withDefaults(
    {
      ...MASKING_DEFAULTS,
      getPrincipal: principalFromContext as PrincipalAccessor<TContext>,
      onEvent: undefined as OnSecurityEvent | undefined,
    },
    options,
  );
  assertNonEmptyString('message', o.message);
  assertBoolean('debug', o.debug);
  assertBoolean('redactValidationErrors', o.redactValidationErrors);
  assertFunction('generateErrorId', o.generateErrorId);
  assertFunction('getPrincipal', o.getPrincipal);
  if (o.onEvent !== undefined) assertFunction('onEvent', o.onEvent);
  if (!Array.isArray(o.safeErrorCodes)) {
    throw new TypeError(
      '`safeErrorCodes` must be an array of error codes, got ' + typeof o.safeErrorCodes + '.',
    );
  }
  for (const code of o.safeErrorCodes as unknown[]) {
    assertNonEmptyString('safeErrorCodes[]', code);
    if (code === 'INTERNAL_SERVER_ERROR') {
      throw new TypeError(
        '`safeErrorCodes` must not include "INTERNAL_SERVER_ERROR": it is the code of masked errors.',
      );
    }
  }
  return Object.freeze({
    message: o.message,
    safeErrorCodes: new Set([...DEFAULT_SAFE_ERROR_CODES, ...o.safeErrorCodes]),
    debug: o.debug,
    redactValidationErrors: o.redactValidationErrors,
    generateErrorId: o.generateErrorId,
    getPrincipal: o.getPrincipal,
    onEvent: o.onEvent,
  });
}
