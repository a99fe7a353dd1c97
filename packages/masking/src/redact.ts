import type { GraphQLFormattedError } from 'graphql';
import { isErrorCode, isSecurityError } from '@bulwark/core';
import { GENERIC_CLIENT_MESSAGES } from './classify.js';

// Apollo Server's own `introspection: false` rule shares the code `INTROSPECTION_DISABLED`
// with Bulwark's, but its message names the engine.
const APOLLO_INTROSPECTION_MESSAGE = 'GraphQL introspection is not allowed by Apollo Server';

// graphql-js variable coercion: `Variable "$x" got invalid value ...`, `Variable "$x" of
// required type "T!" was not provided.`, `Variable "$x" of non-null type "T!" must not be null.`
const VARIABLE_MESSAGE =
  /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" (?:got invalid value|has invalid value|of required type|of non-null type)/;

function isBulwarkValidationError(error: unknown, formatted: GraphQLFormattedError): boolean {
  if (isSecurityError(error)) return true;
  const validationCode = formatted.extensions?.['validationErrorCode'];
  return isErrorCode(validationCode) && !formatted.message.startsWith(APOLLO_INTROSPECTION_MESSAGE);
}

/**
 * The generic sentence that replaces the engine's wording of a client error, or `undefined`
 * to keep the message: Bulwark's messages, application errors with `BAD_USER_INPUT` and
 * codes outside parse, validation, variable coercion, operation resolution and bad request
 * are kept.
 */
export function redactedMessage(
  formatted: GraphQLFormattedError,
  error: unknown,
): string | undefined {
  const code = formatted.extensions?.['code'];
  switch (code) {
    case 'GRAPHQL_VALIDATION_FAILED':
      return isBulwarkValidationError(error, formatted) ? undefined : GENERIC_CLIENT_MESSAGES[code];
    case 'BAD_USER_INPUT': {
      const variable = VARIABLE_MESSAGE.exec(formatted.message);
      return variable ? `Variable "$${variable[1]}" has an invalid value.` : undefined;
    }
    case 'GRAPHQL_PARSE_FAILED':
    case 'OPERATION_RESOLUTION_FAILURE':
    case 'BAD_REQUEST':
      return GENERIC_CLIENT_MESSAGES[code];
    default:
      return undefined;
  }
}
