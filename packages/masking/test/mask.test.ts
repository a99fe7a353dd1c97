import { GraphQLError, locatedError } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import { ForbiddenError } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import {
  LEAKY_EXTENSION_KEYS,
  maskError,
  redactedMessage,
  resolveMaskingOptions,
} from '../src/index.js';

let n = 0;
const options = resolveMaskingOptions({ generateErrorId: () => `id-${++n}` });
const debugOptions = resolveMaskingOptions({ debug: true, generateErrorId: () => 'dbg' });
const redactOptions = resolveMaskingOptions({ redactValidationErrors: true });

function formatted(error: GraphQLError, code = 'INTERNAL_SERVER_ERROR'): GraphQLFormattedError {
  const json = error.toJSON();
  return {
    ...json,
    extensions: { code, ...json.extensions, stacktrace: ['Error: x', '    at /srv/app.js:1'] },
  };
}

describe('maskError', () => {
  it('replaces an unexpected error by the generic message, code and a fresh id, keeping path and locations', () => {
    const error = locatedError(new Error('db at 10.0.0.5 down'), null, ['order', 'total']);
    const result = maskError(formatted(error), error, options);
    expect(result.formatted).toEqual({
      message: 'An unexpected error occurred.',
      path: ['order', 'total'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId: result.errorId },
    });
    expect(result.errorId).toMatch(/^id-\d+$/);
    expect(result.cause).toBe(error.originalError);
    expect(maskError(formatted(error), error, options).errorId).not.toBe(result.errorId);
  });

  it('uses the configured message', () => {
    const error = new GraphQLError('x');
    const custom = resolveMaskingOptions({ message: 'Something went wrong.' });
    expect(maskError(formatted(error), error, custom).formatted.message).toBe(
      'Something went wrong.',
    );
  });

  it('falls back to a random id when the generator returns nothing usable', () => {
    const error = new GraphQLError('x');
    const bad = resolveMaskingOptions({ generateErrorId: () => '' });
    expect(maskError(formatted(error), error, bad).errorId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a safe error but drops leaky extensions', () => {
    const error = new GraphQLError('Email is taken.', {
      extensions: {
        code: 'BAD_USER_INPUT',
        field: 'email',
        serviceName: 'accounts',
        exception: { stacktrace: [] },
        response: { url: 'http://x' },
      },
    });
    const result = maskError(formatted(error, 'BAD_USER_INPUT'), error, options);
    expect(result).toEqual({
      formatted: {
        message: 'Email is taken.',
        extensions: { code: 'BAD_USER_INPUT', field: 'email' },
      },
      errorId: undefined,
      code: 'BAD_USER_INPUT',
      cause: undefined,
    });
    for (const key of LEAKY_EXTENSION_KEYS)
      expect(result.formatted.extensions).not.toHaveProperty(key);
  });

  it('keeps a Bulwark error thrown by a resolver', () => {
    const error = locatedError(new ForbiddenError('Access denied.', { reason: 'scope' }), null, [
      'secret',
    ]);
    expect(maskError(formatted(error, 'FORBIDDEN'), error, options).formatted).toEqual({
      message: 'Access denied.',
      path: ['secret'],
      extensions: { code: 'FORBIDDEN' },
    });
  });

  it('keeps the code of a client error whose text leaked, with a generic message and an id', () => {
    const overflow = new RangeError('Maximum call stack size exceeded');
    const error = new GraphQLError(overflow.message, {
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
      originalError: new GraphQLError(overflow.message, { originalError: overflow }),
    });
    const result = maskError(formatted(error, 'GRAPHQL_PARSE_FAILED'), error, options);
    expect(result.formatted).toEqual({
      message: 'The document could not be parsed.',
      extensions: { code: 'GRAPHQL_PARSE_FAILED', errorId: result.errorId },
    });
    expect(result.cause).toBe(overflow);
  });

  it('under debug, sends the original with the stack of what was thrown, and still an id', () => {
    const thrown = new Error('db down');
    const error = locatedError(thrown, null, ['a']);
    const result = maskError(formatted(error), error, debugOptions);
    expect(result.formatted).toEqual({
      message: 'db down',
      path: ['a'],
      extensions: {
        code: 'INTERNAL_SERVER_ERROR',
        errorId: 'dbg',
        stacktrace: thrown.stack!.split('\n'),
      },
    });
  });

  it('under debug, leaves safe errors untouched', () => {
    const error = new GraphQLError('Email is taken.', {
      extensions: { code: 'BAD_USER_INPUT', serviceName: 'a' },
    });
    const input = formatted(error, 'BAD_USER_INPUT');
    expect(maskError(input, error, debugOptions)).toEqual({
      formatted: input,
      errorId: undefined,
      code: 'BAD_USER_INPUT',
      cause: undefined,
    });
  });

  it('redacts engine wording of client errors when asked', () => {
    const parse = new GraphQLError('Syntax Error: Unexpected "}".', {
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
    expect(
      maskError(formatted(parse, 'GRAPHQL_PARSE_FAILED'), parse, redactOptions).formatted.message,
    ).toBe('The document could not be parsed.');
  });
});

describe('redactedMessage', () => {
  const f = (message: string, extensions: Record<string, unknown>): GraphQLFormattedError => ({
    message,
    extensions,
  });

  it.each([
    [
      f('Cannot query field "x" on type "Query".', { code: 'GRAPHQL_VALIDATION_FAILED' }),
      'The document is not valid for this schema.',
    ],
    [
      f('Syntax Error: Expected Name, found <EOF>.', { code: 'GRAPHQL_PARSE_FAILED' }),
      'The document could not be parsed.',
    ],
    [
      f('Variable "$r" got invalid value "X"; Value "X" does not exist in "Role" enum.', {
        code: 'BAD_USER_INPUT',
      }),
      'Variable "$r" has an invalid value.',
    ],
    [
      f('Variable "$id" of required type "ID!" was not provided.', { code: 'BAD_USER_INPUT' }),
      'Variable "$id" has an invalid value.',
    ],
    [
      f('Variable "$id" of non-null type "ID!" must not be null.', { code: 'BAD_USER_INPUT' }),
      'Variable "$id" has an invalid value.',
    ],
    [
      f('Must provide operation name if query contains multiple operations.', {
        code: 'OPERATION_RESOLUTION_FAILURE',
      }),
      'The operation to run could not be determined.',
    ],
    [
      f('This operation has been blocked as a potential Cross-Site Request Forgery (CSRF).', {
        code: 'BAD_REQUEST',
      }),
      'The request is not a valid GraphQL request.',
    ],
    [
      f(
        'GraphQL introspection is not allowed by Apollo Server, but the query contained __schema or __type.',
        {
          code: 'GRAPHQL_VALIDATION_FAILED',
          validationErrorCode: 'INTROSPECTION_DISABLED',
        },
      ),
      'The document is not valid for this schema.',
    ],
  ])('replaces %j', (error, expected) => {
    expect(redactedMessage(error, null)).toBe(expected);
  });

  it.each([
    f('Query depth 12 exceeds the maximum of 10.', {
      code: 'GRAPHQL_VALIDATION_FAILED',
      validationErrorCode: 'DEPTH_LIMIT_EXCEEDED',
    }),
    f('Email is taken.', { code: 'BAD_USER_INPUT' }),
    f('PersistedQueryNotFound', { code: 'PERSISTED_QUERY_NOT_FOUND' }),
    f('Access denied.', { code: 'FORBIDDEN' }),
  ])('keeps %j', (error) => {
    expect(redactedMessage(error, null)).toBeUndefined();
  });

  it('keeps a Bulwark error wrapped as a validation error', () => {
    const error = new GraphQLError('x', { originalError: new ForbiddenError('Nope.') });
    expect(
      redactedMessage(f('Nope.', { code: 'GRAPHQL_VALIDATION_FAILED' }), error),
    ).toBeUndefined();
  });
});
