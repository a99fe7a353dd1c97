import { buildSchema, execute, extendSchema, parse, validate } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  hasSuggestion,
  stripSuggestions,
  stripSuggestionsFromError,
  withoutSuggestions,
} from '../src/index.js';

const schema = buildSchema(`
  enum Role { ADMIN USER }
  enum Level { L1 L2 }
  input Filter { name: String role: Role }
  interface Node { id: ID! }
  type User implements Node { id: ID! name: String }
  type Stats { count1: Int count2: Int count3: Int count4: Int count5: Int count6: Int }
  type Query { user(id: ID): User node: Node users(role: Role, level: Level, filter: Filter): [User] stats: Stats }
`);

// The messages come from graphql-js itself, so a change of wording in a graphql-js release
// fails here first.
function validationMessage(query: string): string {
  const errors = validate(schema, parse(query));
  expect(errors.length).toBeGreaterThan(0);
  return errors[0]!.message;
}

function coercionMessage(query: string, variables: Record<string, unknown>): string {
  const result = execute({ schema, document: parse(query), variableValues: variables });
  if ('then' in result) throw new Error('unexpected promise');
  expect(result.errors?.length).toBeGreaterThan(0);
  return result.errors![0]!.message;
}

function sdlMessage(sdl: string): string {
  try {
    extendSchema(schema, parse(sdl));
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected extendSchema to fail');
}

describe('stripSuggestions on every graphql-js 16 template', () => {
  it.each([
    [
      'unknown field, two suggestions',
      () => validationMessage('{ usr { id } }'),
      'Cannot query field "usr" on type "Query".',
    ],
    [
      'unknown field, five suggestions',
      () => validationMessage('{ stats { count } }'),
      'Cannot query field "count" on type "Stats".',
    ],
    [
      'inline fragment hint',
      () => validationMessage('{ node { name } }'),
      'Cannot query field "name" on type "Node".',
    ],
    [
      'field argument',
      () => validationMessage('{ user(idd: 1) { id } }'),
      'Unknown argument "idd" on field "Query.user".',
    ],
    [
      'directive argument',
      () => validationMessage('{ user { id @include(iff: true, if: true) } }'),
      'Unknown argument "iff" on directive "@include".',
    ],
    [
      'type name',
      () => validationMessage('query Q($r: Rol) { users(role: $r) { id } }'),
      'Unknown type "Rol".',
    ],
    [
      'input field literal',
      () => validationMessage('{ users(filter: { nme: "x" }) { id } }'),
      'Field "nme" is not defined by type "Filter".',
    ],
    [
      'enum literal',
      () => validationMessage('{ users(role: ADMN) { id } }'),
      'Value "ADMN" does not exist in "Role" enum.',
    ],
    [
      'enum string literal',
      () => validationMessage('{ users(role: "ADMIN") { id } }'),
      'Enum "Role" cannot represent non-enum value: "ADMIN".',
    ],
    [
      'enum int literal',
      () => validationMessage('{ users(level: 1) { id } }'),
      'Enum "Level" cannot represent non-enum value: 1.',
    ],
    [
      'scalar leaf',
      () => validationMessage('{ user }'),
      'Field "user" of type "User" must have a selection of subfields.',
    ],
    [
      'enum variable',
      () => coercionMessage('query Q($r: Role) { users(role: $r) { id } }', { r: 'ADMN' }),
      'Variable "$r" got invalid value "ADMN"; Value "ADMN" does not exist in "Role" enum.',
    ],
    [
      'non-string enum variable',
      () => coercionMessage('query Q($l: Level) { users(level: $l) { id } }', { l: 1 }),
      'Variable "$l" got invalid value 1; Enum "Level" cannot represent non-string value: 1.',
    ],
    [
      'input field variable',
      () =>
        coercionMessage('query Q($f: Filter) { users(filter: $f) { id } }', { f: { nme: 'x' } }),
      'Variable "$f" got invalid value { nme: "x" }; Field "nme" is not defined by type "Filter".',
    ],
    [
      'enum nested in an input variable',
      () =>
        coercionMessage('query Q($f: Filter) { users(filter: $f) { id } }', {
          f: { role: 'ADMN' },
        }),
      'Variable "$f" got invalid value "ADMN" at "f.role"; Value "ADMN" does not exist in "Role" enum.',
    ],
    [
      'SDL type extension (PossibleTypeExtensionsRule, SDL only)',
      () => sdlMessage('extend type Usr { a: Int }'),
      'Cannot extend type "Usr" because it is not defined.',
    ],
  ])('%s', (_name, produce, expected) => {
    const message = produce();
    expect(message).toContain('Did you mean');
    expect(hasSuggestion(message)).toBe(true);
    expect(stripSuggestions(message)).toBe(expected);
    expect(stripSuggestions(expected)).toBe(expected);
  });
});

describe('stripSuggestions leaves everything else alone', () => {
  it.each([
    'Unknown directive "@privileged".',
    'Unknown fragment "Secret".',
    'Syntax Error: Expected Name, found <EOF>.',
    'Variable "$r" got invalid value "Did you mean"; Value "Did you mean" does not exist in "Role" enum.',
    'Is this a question?',
    '',
  ])('%j', (message) => {
    expect(stripSuggestions(message)).toBe(message);
    expect(hasSuggestion(message)).toBe(false);
  });

  it('strips a suggestion worded by another engine when the message ends with it', () => {
    expect(stripSuggestions('Unknown field "usr". Did you mean: user, users?')).toBe(
      'Unknown field "usr".',
    );
  });

  it('only strips the trailing suggestion when client input echoes the phrase earlier', () => {
    expect(
      stripSuggestions(
        'Variable "$r" got invalid value "Did you mean"; Value "Did you mean" does not exist in "Role" enum. Did you mean the enum value "ADMIN"?',
      ),
    ).toBe(
      'Variable "$r" got invalid value "Did you mean"; Value "Did you mean" does not exist in "Role" enum.',
    );
  });
});

describe('stripSuggestionsFromError and withoutSuggestions', () => {
  const error: GraphQLFormattedError = {
    message: 'Cannot query field "usr" on type "Query". Did you mean "user"?',
    locations: [{ line: 1, column: 3 }],
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
  };

  it('changes only the message', () => {
    expect(stripSuggestionsFromError(error)).toEqual({
      ...error,
      message: 'Cannot query field "usr" on type "Query".',
    });
  });

  it('returns the same object when there is nothing to strip', () => {
    const clean = { message: 'Fine.' };
    expect(stripSuggestionsFromError(clean)).toBe(clean);
  });

  it('strips after the inner formatError ran', () => {
    const inner = (formatted: GraphQLFormattedError) => ({
      ...formatted,
      extensions: { code: 'X' },
    });
    expect(withoutSuggestions(inner)(error, null)).toEqual({
      message: 'Cannot query field "usr" on type "Query".',
      locations: [{ line: 1, column: 3 }],
      extensions: { code: 'X' },
    });
    expect(withoutSuggestions()(error, null).message).toBe(
      'Cannot query field "usr" on type "Query".',
    );
  });

  it('refuses a formatError that is not a function', () => {
    expect(() => withoutSuggestions('nope' as never)).toThrow(
      new TypeError('`formatError` must be a function, got string.'),
    );
  });
});
