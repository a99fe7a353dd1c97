import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { bulwark, knownOperationTypesRule } from '@bulwark/preset';

describe('knownOperationTypesRule', () => {
  const queryOnly = buildSchema('type Query { a: Int }');
  const all = buildSchema(
    'type Query { a: Int } type Mutation { b: Int } type Subscription { c: Int }',
  );
  const messages = (schema: typeof all, source: string) =>
    validate(schema, parse(source), [knownOperationTypesRule]).map((e) => e.message);

  it('refuses an operation type the schema has no root type for', () => {
    expect(messages(queryOnly, 'subscription { a }')).toEqual([
      'The subscription operation is not supported by the schema.',
    ]);
    expect(messages(queryOnly, 'mutation M { a } query Q { a }')).toEqual([
      'The mutation operation is not supported by the schema.',
    ]);
  });

  it('accepts every operation type the schema has', () => {
    expect(messages(queryOnly, '{ a }')).toEqual([]);
    expect(messages(all, 'query { a } mutation { b } subscription { c }')).toEqual([]);
  });

  it('is one of the validation rules of the preset', () => {
    const preset = bulwark({ production: true, auth: false, authz: false, rateLimit: false });
    expect(preset.apollo.validationRules).toContain(knownOperationTypesRule);
  });
});
