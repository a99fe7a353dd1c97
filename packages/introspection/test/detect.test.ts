import { buildSchema, parse } from 'graphql';
import { analyzeOperation, MAX_WALK_DEPTH } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import {
  findIntrospectionFields,
  findIntrospectionFieldsInDocument,
  introspectionMessage,
} from '../src/index.js';

const schema = buildSchema(`
  type User { id: ID! name: String }
  type Query { me: User self: Query }
`);

const names = (fields: { name: { value: string } }[]) => fields.map((f) => f.name.value);

describe('findIntrospectionFieldsInDocument', () => {
  it.each([
    ['{ __schema { types { name } } }', ['__schema']],
    ['{ __type(name: "User") { name } }', ['__type']],
    ['{ a: __schema { __typename } b: __type(name: "User") { name } }', ['__schema', '__type']],
    ['{ ...F } fragment F on Query { __schema { __typename } }', ['__schema']],
    ['{ ... on Query { ... { __type(name: "User") { name } } } }', ['__type']],
    ['{ self { self { __schema { __typename } } } }', ['__schema']],
    ['query A { me { id } } query B { __schema { __typename } }', ['__schema']],
  ])('finds the fields of %s', (query, expected) => {
    expect(names(findIntrospectionFieldsInDocument(schema, parse(query)))).toEqual(expected);
  });

  it.each([
    '{ __typename }',
    '{ me { __typename id } t: __typename }',
    '{ ...F } fragment F on Query { __typename }',
  ])('finds nothing in %s', (query) => {
    expect(findIntrospectionFieldsInDocument(schema, parse(query))).toEqual([]);
  });

  it('works without a schema (the analysis tolerates it)', () => {
    expect(
      names(findIntrospectionFieldsInDocument(null, parse('{ x { __schema { a } } }'))),
    ).toEqual(['__schema']);
  });

  it('tolerates fragment cycles and unknown fragments', () => {
    const doc = parse(
      '{ ...A ...Missing } fragment A on Query { ...B } fragment B on Query { ...A __schema { __typename } }',
    );
    expect(names(findIntrospectionFieldsInDocument(schema, doc))).toEqual(['__schema']);
  });

  it('still finds a field below the depth where the analysis stops walking', () => {
    const depth = MAX_WALK_DEPTH + 20;
    const query =
      '{ ' + 'self { '.repeat(depth) + '__schema { __typename }' + ' }'.repeat(depth) + ' }';
    const doc = parse(query);
    const analysis = analyzeOperation(schema, doc);
    expect(analysis?.truncated).toBe(true);
    expect(analysis?.introspectionFields).toBe(0);
    expect(names(findIntrospectionFieldsInDocument(schema, doc))).toEqual(['__schema']);
  });

  it('does not flag a truncated document without introspection', () => {
    const depth = MAX_WALK_DEPTH + 20;
    const doc = parse('{ ' + 'self { '.repeat(depth) + '__typename' + ' }'.repeat(depth) + ' }');
    expect(findIntrospectionFieldsInDocument(schema, doc)).toEqual([]);
  });
});

describe('findIntrospectionFields (the operation that runs)', () => {
  const doc = parse(
    'query A { me { id } } query B { ...F } fragment F on Query { __type(name: "User") { name } }',
  );

  it('counts only the named operation and its fragments', () => {
    expect(findIntrospectionFields(schema, doc, 'A')).toEqual([]);
    expect(names(findIntrospectionFields(schema, doc, 'B'))).toEqual(['__type']);
  });

  it('finds nothing when no operation would run', () => {
    expect(findIntrospectionFields(schema, doc)).toEqual([]);
    expect(findIntrospectionFields(schema, doc, 'C')).toEqual([]);
    expect(findIntrospectionFields(schema, doc, '')).toEqual([]);
  });

  it('takes the only operation when no name is given', () => {
    expect(
      names(findIntrospectionFields(schema, parse('{ __schema { __typename } }'), null)),
    ).toEqual(['__schema']);
  });
});

describe('introspectionMessage', () => {
  it('names the first field found', () => {
    const fields = findIntrospectionFieldsInDocument(
      schema,
      parse('{ __type(name: "User") { name } __schema { __typename } }'),
    );
    expect(introspectionMessage(fields)).toBe(
      'Introspection is not allowed: the operation selects "__type".',
    );
  });
});
