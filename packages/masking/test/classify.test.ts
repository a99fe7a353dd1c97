import { GraphQLError, locatedError } from 'graphql';
import { ForbiddenError, IntrospectionDisabledError, RateLimitedError } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { classifyError, DEFAULT_SAFE_ERROR_CODES, leakingCause, rootCause } from '../src/index.js';

const safe = new Set(DEFAULT_SAFE_ERROR_CODES);
const coded = (message: string, code: string, originalError?: Error) =>
  new GraphQLError(message, { extensions: { code }, originalError });

describe('classifyError', () => {
  it('trusts Bulwark errors, thrown directly or wrapped by graphql-js', () => {
    expect(classifyError(new ForbiddenError('Access denied.'), safe)).toEqual({ kind: 'safe' });
    expect(
      classifyError(locatedError(new RateLimitedError('Slow down.'), null, ['a']), safe),
    ).toEqual({ kind: 'safe' });
    const validation = new GraphQLError('x', {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      originalError: new IntrospectionDisabledError('x', { status: 400 }),
    });
    expect(classifyError(validation, safe)).toEqual({ kind: 'safe' });
  });

  it('trusts a GraphQLError with an allowlisted code and its own message', () => {
    expect(classifyError(coded('Email is taken.', 'BAD_USER_INPUT'), safe)).toEqual({
      kind: 'safe',
    });
    const withCause = coded(
      'Email is taken.',
      'BAD_USER_INPUT',
      new Error('duplicate key users_email_key'),
    );
    expect(classifyError(withCause, safe)).toEqual({ kind: 'safe' });
  });

  it('masks codes off the allowlist, missing codes and INTERNAL_SERVER_ERROR', () => {
    const notFound = coded('Order not found.', 'NOT_FOUND');
    expect(classifyError(notFound, safe)).toEqual({ kind: 'unexpected', cause: notFound });
    expect(classifyError(coded('x', 'INTERNAL_SERVER_ERROR'), safe).kind).toBe('unexpected');
    expect(classifyError(new GraphQLError('x'), safe).kind).toBe('unexpected');
    expect(classifyError(new GraphQLError('x', { extensions: { code: 42 } }), safe).kind).toBe(
      'unexpected',
    );
  });

  it('masks what a resolver threw and points at it', () => {
    const thrown = new TypeError('boom');
    expect(classifyError(locatedError(thrown, null, ['a']), safe)).toEqual({
      kind: 'unexpected',
      cause: thrown,
    });
  });

  it('masks a plain Error even when it carries an allowlisted code in extensions', () => {
    const thrown = Object.assign(new Error('SELECT * FROM users failed'), {
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const located = locatedError(thrown, null, ['a']);
    expect(located.extensions['code']).toBe('BAD_USER_INPUT');
    expect(classifyError(located, safe)).toEqual({
      kind: 'client',
      code: 'BAD_USER_INPUT',
      cause: thrown,
    });
  });

  it('keeps a client code but not the text when the text came from an unexpected error', () => {
    const overflow = new RangeError('Maximum call stack size exceeded');
    const parse = coded(
      overflow.message,
      'GRAPHQL_PARSE_FAILED',
      new GraphQLError(overflow.message, { originalError: overflow }),
    );
    expect(classifyError(parse, safe)).toEqual({
      kind: 'client',
      code: 'GRAPHQL_PARSE_FAILED',
      cause: overflow,
    });
  });

  it('masks an allowlisted code without a generic message when its text leaks', () => {
    const cause = new Error('ldap bind failed for cn=svc');
    expect(classifyError(coded(`Denied: ${cause.message}`, 'FORBIDDEN', cause), safe)).toEqual({
      kind: 'unexpected',
      cause,
    });
  });

  it('treats a subgraph error (plain-object originalError) by its code', () => {
    const fromSubgraph = (code: string) =>
      new GraphQLError('Email is taken.', {
        extensions: { code, serviceName: 'accounts' },
        originalError: { message: 'Email is taken.', extensions: { code } } as unknown as Error,
      });
    expect(classifyError(fromSubgraph('BAD_USER_INPUT'), safe)).toEqual({ kind: 'safe' });
    expect(classifyError(fromSubgraph('INTERNAL_SERVER_ERROR'), safe).kind).toBe('unexpected');
  });

  it('masks anything that is not a GraphQLError', () => {
    expect(classifyError(new Error('x'), safe)).toEqual({
      kind: 'unexpected',
      cause: expect.any(Error),
    });
    expect(classifyError('a string', safe)).toEqual({ kind: 'unexpected', cause: 'a string' });
    expect(classifyError(undefined, safe)).toEqual({ kind: 'unexpected', cause: undefined });
  });

  it('fails closed on a GraphQLError-like object from another graphql copy', () => {
    const foreign = { message: 'x', extensions: { code: 'BAD_USER_INPUT' }, name: 'GraphQLError' };
    expect(classifyError(foreign, safe).kind).toBe('unexpected');
  });

  it('honours added codes', () => {
    expect(
      classifyError(coded('Order not found.', 'NOT_FOUND'), new Set([...safe, 'NOT_FOUND'])),
    ).toEqual({ kind: 'safe' });
  });
});

describe('leakingCause and rootCause', () => {
  it('ignores empty messages and stops on cycles', () => {
    expect(leakingCause(coded('x', 'BAD_USER_INPUT', new Error('')), 'x')).toBeUndefined();
    const a = new GraphQLError('a');
    const b = new GraphQLError('b', { originalError: a });
    Object.defineProperty(a, 'originalError', { value: b });
    expect(leakingCause(b, 'b')).toBeUndefined();
    expect(rootCause(b)).toBeInstanceOf(GraphQLError);
  });

  it('finds the innermost thrown error', () => {
    const thrown = new Error('inner');
    const wrapped = new GraphQLError('outer', {
      originalError: new GraphQLError('mid', { originalError: thrown }),
    });
    expect(rootCause(wrapped)).toBe(thrown);
    expect(rootCause('value')).toBe('value');
  });
});
