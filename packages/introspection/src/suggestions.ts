import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';

/**
 * graphql-js 16's `didYouMean` suffix, always the end of the message (variable coercion puts
 * the coercion message, suggestion included, after `; `):
 * ` Did you mean "a"?`, ` Did you mean "a" or "b"?`, ` Did you mean "a", "b", or "c"?`, with
 * an optional `to use an inline fragment on ` or `the enum value ` between, and
 * ScalarLeafsRule's ` Did you mean "field { ... }"?`. Suggested names never hold a quote.
 */
const GRAPHQL_JS_SUGGESTION =
  / Did you mean (?:to use an inline fragment on |the enum value )?"[^"]*"(?:(?:, or |, | or )"[^"]*")*\?$/;

/**
 * Removes the "Did you mean ...?" suggestion from an error message and keeps the rest intact:
 * `Cannot query field "usr" on type "Query". Did you mean "user"?` becomes
 * `Cannot query field "usr" on type "Query".`
 *
 * Covers every graphql-js 16 template that suggests: unknown fields and inline-fragment
 * hints, types (variables, fragment conditions), arguments of fields and directives, input
 * object fields and enum values, in literals and in variables (coercion errors), scalar-leaf
 * hints, and SDL type extensions. A message with no suggestion is returned as is.
 *
 * Security: the suffix names schema members the client did not ask for; with introspection
 * off, repeated typos recover the schema (clairvoyance). Other validation messages still
 * name types and arguments the client touched ("must have a selection of subfields", "is
 * required"); to hide those too, redact validation messages (`@bulwark/masking`).
 */
export function stripSuggestions(message: string): string {
  const exact = message.replace(GRAPHQL_JS_SUGGESTION, '');
  if (exact !== message) return exact;
  // Another engine or a future wording: cut from the last "Did you mean" when the message
  // ends in "?". Echoed client input in the middle of a message is left alone.
  if (!message.trimEnd().endsWith('?')) return message;
  const start = message.lastIndexOf('Did you mean');
  if (start === -1) return message;
  return message.slice(0, start).trimEnd();
}

/** True when the message carries a "Did you mean" suggestion that {@link stripSuggestions} removes. */
export function hasSuggestion(message: string): boolean {
  return stripSuggestions(message) !== message;
}

/**
 * The same formatted error without its suggestion (the object itself when there is none).
 * Only `message` changes; `locations`, `path` and `extensions` are kept.
 */
export function stripSuggestionsFromError<T extends GraphQLFormattedError>(error: T): T {
  const message = stripSuggestions(error.message);
  return message === error.message ? error : { ...error, message };
}

/** Apollo Server's `formatError` signature. */
export type FormatError = (
  formattedError: GraphQLFormattedError,
  error: unknown,
) => GraphQLFormattedError;

/**
 * Wraps a `formatError` (or none) so that every error the server returns loses its
 * suggestion, after the inner formatter ran. Apollo Server calls `formatError` on every path:
 * parse, validation, variable coercion, execution, context-function and HTTP-level errors,
 * and incremental payloads, so this is the complete way to strip.
 *
 * @example new ApolloServer({ schema, formatError: withoutSuggestions(masking.formatError) })
 */
export function withoutSuggestions(formatError?: FormatError): FormatError {
  if (formatError !== undefined && typeof formatError !== 'function') {
    throw new TypeError('`formatError` must be a function, got ' + typeof formatError + '.');
  }
  return (formattedError, error) =>
    stripSuggestionsFromError(formatError ? formatError(formattedError, error) : formattedError);
}

/**
 * An Apollo Server plugin that strips suggestions from the errors of every GraphQL response
 * (`willSendResponse`): validation errors and variable coercion errors alike, which Apollo's
 * own `hideSchemaDetailsFromClientErrors` misses (it only rewrites validation errors).
 *
 * Use it when you cannot change `formatError`. It does not see errors answered before the
 * GraphQL pipeline starts (context-function and HTTP-level errors, which carry no
 * suggestions from graphql-js) nor incremental payloads; {@link withoutSuggestions} does.
 */
export function suggestionsPlugin<
  TContext extends BaseContext = BaseContext,
>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const body = response.body;
          if (body.kind === 'single') {
            const errors = body.singleResult.errors;
            if (errors?.some((e) => hasSuggestion(e.message))) {
              body.singleResult = {
                ...body.singleResult,
                errors: errors.map(stripSuggestionsFromError),
              };
            }
          } else {
            const errors = body.initialResult.errors;
            if (errors?.some((e) => hasSuggestion(e.message))) {
              body.initialResult = {
                ...body.initialResult,
                errors: errors.map(stripSuggestionsFromError),
              };
            }
          }
        },
      };
    },
  };
}
