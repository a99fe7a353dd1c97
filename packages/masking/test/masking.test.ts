import { buildSchema, execute, GraphQLError, parse } from 'graphql';
import type { SecurityEvent } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { createMasking, DEFAULT_SAFE_ERROR_CODES, MASKING_DEFAULTS } from '../src/index.js';

describe('createMasking options', () => {
  it.each([
    [{ message: '' }, '`message` must be a non-empty string, got "".'],
    [{ debug: 'true' }, '`debug` must be a boolean, got "true".'],
    [{ redactValidationErrors: 1 }, '`redactValidationErrors` must be a boolean, got 1.'],
    [{ generateErrorId: 'uuid' }, '`generateErrorId` must be a function, got "uuid".'],
    [{ onEvent: {} }, '`onEvent` must be a function, got an object.'],
    [
      { safeErrorCodes: 'NOT_FOUND' },
      '`safeErrorCodes` must be an array of error codes, got string.',
    ],
    [{ safeErrorCodes: [''] }, '`safeErrorCodes[]` must be a non-empty string, got "".'],
    [
      { safeErrorCodes: ['INTERNAL_SERVER_ERROR'] },
      '`safeErrorCodes` must not include "INTERNAL_SERVER_ERROR": it is the code of masked errors.',
    ],
  ])('refuses %j', (options, message) => {
    expect(() => createMasking(options as never)).toThrow(new TypeError(message));
  });

  it('refuses unknown options (a misspelled debug flag must not pass silently)', () => {
    expect(() => createMasking({ debugg: true } as never)).toThrow(/unknown option "debugg"/);
  });

  it('keeps defaults for explicit undefined', () => {
    expect(() => createMasking({ message: undefined, debug: undefined })).not.toThrow();
  });

  it('documents its defaults', () => {
    expect(MASKING_DEFAULTS).toMatchObject({
      message: 'An unexpected error occurred.',
      debug: false,
      redactValidationErrors: false,
    });
    expect(DEFAULT_SAFE_ERROR_CODES).toContain('BAD_USER_INPUT');
    expect(DEFAULT_SAFE_ERROR_CODES).toContain('FORBIDDEN');
    expect(DEFAULT_SAFE_ERROR_CODES).not.toContain('INTERNAL_SERVER_ERROR');
  });

  it('warns once, at construction, when debug is on', () => {
    const events: SecurityEvent[] = [];
    createMasking({ debug: true, onEvent: (e) => events.push(e) });
    createMasking({ onEvent: (e) => events.push(e) });
    expect(events).toEqual([
      expect.objectContaining({
        source: 'masking',
        outcome: 'warning',
        code: 'MASKING_DEBUG_ENABLED',
      }),
    ]);
  });
});

describe('formatError', () => {
  it('never throws, even when the id generator does', () => {
    const masking = createMasking({
      generateErrorId: () => {
        throw new Error('no entropy');
      },
    });
    const error = new GraphQLError('x');
    expect(masking.formatError(error.toJSON(), error)).toEqual({
      message: 'An unexpected error occurred.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('survives an observer that throws', () => {
    const masking = createMasking({
      onEvent: () => {
        throw new Error('logger down');
      },
    });
    const error = new GraphQLError('x');
    expect(masking.formatError(error.toJSON(), error).extensions?.['errorId']).toEqual(
      expect.any(String),
    );
  });

  it('works with plain graphql-js: format each error with its toJSON()', async () => {
    const schema = buildSchema('type Query { a: String b: String }');
    const events: SecurityEvent[] = [];
    const masking = createMasking({ onEvent: (e) => events.push(e) });
    const result = await execute({
      schema,
      document: parse('{ a b }'),
      rootValue: {
        a: () => {
          throw new Error('secret detail');
        },
        b: () => 'ok',
      },
    });
    const errors = result.errors?.map((e) => masking.formatError(e.toJSON(), e));
    expect(errors).toEqual([
      {
        message: 'An unexpected error occurred.',
        locations: [{ line: 1, column: 3 }],
        path: ['a'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', errorId: events[0]?.errorId },
      },
    ]);
    expect(events[0]?.detail?.['message']).toBe('secret detail');
    expect(events[0]?.detail?.['stack']).toContain('masking.test.ts');
    expect(events[0]?.operationName).toBeUndefined();
  });
});
