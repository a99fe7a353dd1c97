import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import type { SecurityEvent } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { createNoIntrospectionRule } from '../src/index.js';

const schema = buildSchema(`
  type User { id: ID! name: String }
  type Query { me: User self: Query }
  type Mutation { touch: Query }
`);

function run(query: string, events?: SecurityEvent[]) {
  const rule = createNoIntrospectionRule(events ? { onEvent: (e) => events.push(e) } : undefined);
  return validate(schema, parse(query), [rule]);
}

function expectErrors(query: string, field: string, locations: { line: number; column: number }[]) {
  const errors = run(query);
  expect(errors).toHaveLength(1);
  const json = errors[0]!.toJSON();
  expect(json.message).toBe(`Introspection is not allowed: the operation selects "${field}".`);
  expect(json.locations).toEqual(locations);
  expect(json.extensions).toMatchObject({
    code: 'INTROSPECTION_DISABLED',
    validationErrorCode: 'INTROSPECTION_DISABLED',
    http: { status: 400 },
  });
}

function expectValid(query: string) {
  expect(run(query)).toEqual([]);
}

describe('createNoIntrospectionRule', () => {
  it('refuses __schema and __type', () => {
    expectErrors('{ __schema { __typename } }', '__schema', [{ line: 1, column: 3 }]);
    expectErrors('{ __type(name: "User") { name } }', '__type', [{ line: 1, column: 3 }]);
  });

  it('refuses aliases', () => {
    expectErrors('{ me { id } s: __schema { __typename } }', '__schema', [{ line: 1, column: 13 }]);
  });

  it('refuses named and inline fragments', () => {
    expectErrors('{ ...F }\nfragment F on Query { __schema { __typename } }', '__schema', [
      { line: 2, column: 23 },
    ]);
    expectErrors('{ ... on Query { __type(name: "User") { name } } }', '__type', [
      { line: 1, column: 18 },
    ]);
  });

  it('refuses fields nested under the query type and in mutations', () => {
    expectErrors('{ self { __schema { __typename } } }', '__schema', [{ line: 1, column: 10 }]);
    expectErrors('mutation { touch { __schema { __typename } } }', '__schema', [
      { line: 1, column: 20 },
    ]);
  });

  it('refuses the document whichever operation is named (a rule cannot know)', () => {
    expectErrors('query A { me { id } }\nquery B { __schema { __typename } }', '__schema', [
      { line: 2, column: 11 },
    ]);
  });

  it('reports every occurrence in one error', () => {
    expectErrors('{ a: __schema { __typename } b: __schema { __typename } }', '__schema', [
      { line: 1, column: 3 },
      { line: 1, column: 30 },
    ]);
  });

  it('survives fragment cycles and unknown fragments (other rules report them)', () => {
    expectErrors(
      '{ ...A ...Nope } fragment A on Query { ...B } fragment B on Query { ...A __schema { __typename } }',
      '__schema',
      [{ line: 1, column: 74 }],
    );
  });

  it('lets __typename through', () => {
    expectValid('{ __typename }');
    expectValid('{ t: __typename me { __typename } ...F } fragment F on Query { __typename }');
  });

  it('lets unknown fields through (FieldsOnCorrectTypeRule reports them)', () => {
    expectValid('{ nope { id } }');
  });

  it('emits one rejected event per refused document', () => {
    const events: SecurityEvent[] = [];
    run('{ __schema { __typename } }', events);
    run('{ me { id } }', events);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'introspection',
      outcome: 'rejected',
      code: 'INTROSPECTION_DISABLED',
      detail: { fields: ['__schema'], scope: 'everyone' },
    });
    expect(events[0]?.reason).toContain('__schema at 1:3');
  });

  it('composes with the specified rules (it reports on entering the document, so first)', () => {
    const errors = validate(schema, parse('{ __schema { nope } }'), [
      ...specifiedRules,
      createNoIntrospectionRule(),
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      'Introspection is not allowed: the operation selects "__schema".',
      'Cannot query field "nope" on type "__Schema".',
    ]);
  });

  it('refuses bad options at construction', () => {
    expect(() => createNoIntrospectionRule({ onEvent: 'log' as never })).toThrow(
      new TypeError('`onEvent` must be a function, got "log".'),
    );
    expect(() => createNoIntrospectionRule({ onEvnt: () => {} } as never)).toThrow(TypeError);
  });
});
