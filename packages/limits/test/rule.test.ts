import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import type { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createPrincipal } from '@bulwark/core';
import type { SecurityEvent } from '@bulwark/core';
import {
  aliasLimitRule,
  costLimitRule,
  createLimitsRule,
  depthLimit,
  depthLimitRule,
  directiveLimitRule,
  heightLimitRule,
  listDepthLimitRule,
  rootFieldLimitRule,
  simpleEstimator,
} from '@bulwark/limits';
import type { LimitsOptions, LimitsRequest } from '@bulwark/limits';
import { shopSchema } from '../../../test/support/corpus.js';

const shop = shopSchema();
const OFF = {
  maxDepth: false,
  maxHeight: false,
  maxAliases: false,
  maxRootFields: false,
  maxDirectives: false,
  maxListDepth: false,
  maxFields: false,
  maxCost: false,
} as const;

function errorsOf(query: string, options: LimitsOptions, request?: LimitsRequest, schema = shop) {
  return validate(schema, parse(query), [createLimitsRule({ ...OFF, ...options }, request)]).map(
    (e: GraphQLError) => ({
      message: e.message,
      locations: e.locations,
      extensions: e.extensions,
    }),
  );
}

function expectValid(
  query: string,
  options: LimitsOptions,
  request?: LimitsRequest,
  schema = shop,
) {
  expect(errorsOf(query, options, request, schema)).toEqual([]);
}

function expectError(
  query: string,
  options: LimitsOptions,
  code: string,
  message: string,
  request?: LimitsRequest,
) {
  expect(errorsOf(query, options, request)).toEqual([
    {
      message,
      locations: [{ line: 1, column: 1 }],
      extensions: { code, validationErrorCode: code },
    },
  ]);
}

describe('depth', () => {
  const forms = [
    '{ me { friends { nodes { id } } } }',
    '{ me { ... on User { friends { ... on UserConnection { nodes { ... { id } } } } } } }',
    '{ me { ...F } } fragment F on User { friends { ...G } } fragment G on UserConnection { nodes { id } }',
  ];

  it('counts fields only: plain, inline and named fragments measure the same', () => {
    for (const q of forms) {
      expectValid(q, { maxDepth: 3 });
      expectError(
        q,
        { maxDepth: 2 },
        'DEPTH_LIMIT_EXCEEDED',
        'Query depth 3 exceeds the maximum of 2.',
      );
    }
  });

  it('measures a fragment at each spread, not at its first one (fragment-cache bypass)', () => {
    const q = `{
      a: me { ...Deep }
      b: me { friends { nodes { friends { nodes { ...Deep } } } } }
    } fragment Deep on User { friends { nodes { id } } }`;
    expect(errorsOf(q, { maxDepth: 6 })).toEqual([
      {
        message: 'Query depth 7 exceeds the maximum of 6.',
        locations: [{ line: 1, column: 1 }],
        extensions: { code: 'DEPTH_LIMIT_EXCEEDED', validationErrorCode: 'DEPTH_LIMIT_EXCEEDED' },
      },
    ]);
  });

  it('counts a fragment named __schema like any other', () => {
    expectError(
      '{ ...__schema } fragment __schema on Query { me { friends { nodes { id } } } }',
      { maxDepth: 2 },
      'DEPTH_LIMIT_EXCEEDED',
      'Query depth 3 exceeds the maximum of 2.',
    );
  });

  it('applies ignore rules as graphql-depth-limit does (names, RegExps, functions)', () => {
    const q = '{ me { friends { nodes { id } } } }';
    expectValid(q, { maxDepth: 1, ignore: ['friends'] });
    expectValid(q, { maxDepth: 1, ignore: [/^fri/] });
    expectValid(q, { maxDepth: 1, ignore: [(name) => name === 'friends'] });
    expectError(
      q,
      { maxDepth: 1, ignore: ['orders'] },
      'DEPTH_LIMIT_EXCEEDED',
      'Query depth 3 exceeds the maximum of 1.',
    );
  });

  it('reports each operation of a document', () => {
    const q =
      'query A { me { friends { nodes { id } } } }\nquery B { me { id } }\nquery C { me { friends { nodes { id } } } }';
    expect(errorsOf(q, { maxDepth: 2 }).map((e) => [e.message, e.locations])).toEqual([
      ['Query depth 3 exceeds the maximum of 2.', [{ line: 1, column: 1 }]],
      ['Query depth 3 exceeds the maximum of 2.', [{ line: 3, column: 1 }]],
    ]);
  });

  it('tolerates fragment cycles and unknown fields, and leaves them to graphql-js', () => {
    const cyc = validate(
      shop,
      parse('{ ...A me { nope { x } } } fragment A on Query { ...B } fragment B on Query { ...A }'),
      [...specifiedRules, createLimitsRule({ ...OFF, maxDepth: 2, maxCost: 100 })],
    );
    // graphql-js reports the cycle and the unknown field; we add nothing.
    expect(cyc.map((e) => e.message).sort()).toEqual([
      'Cannot query field "nope" on type "User". Did you mean "role"?',
      'Cannot spread fragment "A" within itself via "B".',
    ]);
  });

  it('refuses a document with unknown fragments once, in graphql-js words, before its rules run', () => {
    // 200 unknown spreads: graphql-js alone reports 100 errors and gives up.
    const lost = `query Lost { ${Array.from({ length: 200 }, (_, i) => `...Missing${i}`).join(' ')} }`;
    expect(validate(shop, parse(lost), specifiedRules)).toHaveLength(101);
    const errors = validate(shop, parse(lost), [
      ...specifiedRules,
      createLimitsRule({ ...OFF, maxDepth: 2 }),
    ]);
    expect(errors.map((e) => [e.message, e.locations])).toEqual([
      ['Unknown fragment "Missing0".', [{ line: 1, column: 14 }]],
    ]);
    // With other errors beside it, the unknown fragment is the one reported.
    const mixed = validate(shop, parse('{ ...Nope me { nope } }'), [
      ...specifiedRules,
      createLimitsRule({ ...OFF, maxDepth: 2 }),
    ]);
    expect(mixed.map((e) => e.message)).toEqual(['Unknown fragment "Nope".']);
  });

  it('hides the figures with exposeLimits: false', () => {
    expectError(
      '{ me { friends { nodes { id } } } }',
      { maxDepth: 1, exposeLimits: false },
      'DEPTH_LIMIT_EXCEEDED',
      'Query depth exceeds the maximum allowed.',
    );
  });
});

describe('aliases, root fields, directives, height, list depth', () => {
  it('counts every alias occurrence, through fragments spread several times', () => {
    const q = '{ ...A ...A ...A } fragment A on Query { x: me { id } y: me { id } }';
    expectValid(q, { maxAliases: 6 });
    expectError(
      q,
      { maxAliases: 5 },
      'ALIAS_LIMIT_EXCEEDED',
      'Alias count 6 exceeds the maximum of 5.',
    );
  });

  it('counts __typename aliases unless allow-listed', () => {
    const q = '{ a: __typename b: __typename c: __typename }';
    expectError(
      q,
      { maxAliases: 2 },
      'ALIAS_LIMIT_EXCEEDED',
      'Alias count 3 exceeds the maximum of 2.',
    );
    expectValid(q, { maxAliases: 2, allowTypenameAliases: true });
  });

  it('counts root fields through root-level fragments', () => {
    const q =
      '{ me { id } ...R ... on Query { categories { id } } } fragment R on Query { a: me { id } b: me { id } }';
    expectValid(q, { maxRootFields: 4 });
    expectError(
      q,
      { maxRootFields: 3 },
      'ROOT_FIELD_LIMIT_EXCEEDED',
      'Root field count 4 exceeds the maximum of 3.',
    );
  });

  it('counts directives on repeated spreads and inside fragments at each spread', () => {
    const q =
      '{ ...F @include(if: true) ...F @include(if: true) } fragment F on Query { me @skip(if: false) { id } }';
    expectValid(q, { maxDirectives: 4 });
    expectError(
      q,
      { maxDirectives: 3 },
      'DIRECTIVE_LIMIT_EXCEEDED',
      'Directive count 4 exceeds the maximum of 3.',
    );
  });

  it('limits unique fields (height)', () => {
    const q = '{ me { id handle a: id b: handle } categories { id } }';
    expectValid(q, { maxHeight: 5 });
    expectError(
      q,
      { maxHeight: 4 },
      'HEIGHT_LIMIT_EXCEEDED',
      'Query height 5 exceeds the maximum of 4.',
    );
  });

  it('limits nested lists', () => {
    const q = '{ categories { children { products { nodes { related { id } } } } } }';
    expectValid(q, { maxListDepth: 4 });
    expectError(
      q,
      { maxListDepth: 3 },
      'LIST_DEPTH_LIMIT_EXCEEDED',
      'List nesting depth 4 exceeds the maximum of 3.',
    );
  });

  it('has a single-limit rule per limit', () => {
    const q = '{ a: me { friends { nodes { id } } } b: me { id } }';
    const codes = (rule: ReturnType<typeof depthLimitRule>) =>
      validate(shop, parse(q), [rule]).map((e) => e.extensions['code']);
    expect(codes(depthLimitRule(2))).toEqual(['DEPTH_LIMIT_EXCEEDED']);
    expect(codes(aliasLimitRule(1))).toEqual(['ALIAS_LIMIT_EXCEEDED']);
    expect(codes(rootFieldLimitRule(1))).toEqual(['ROOT_FIELD_LIMIT_EXCEEDED']);
    expect(codes(directiveLimitRule(0))).toEqual([]);
    expect(codes(heightLimitRule(3))).toEqual(['HEIGHT_LIMIT_EXCEEDED']);
    expect(codes(listDepthLimitRule(0))).toEqual(['LIST_DEPTH_LIMIT_EXCEEDED']);
    expect(codes(costLimitRule(1))).toEqual(['COST_LIMIT_EXCEEDED']);
  });
});

describe('cost', () => {
  const spec = buildSchema(`
    directive @cost(weight: String!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
    directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
    type User { name: String age: Int @cost(weight: "2.0") }
    type Query { users(max: Int): [User] @listSize(slicingArguments: ["max"]) items(first: Int, last: Int): [User] @listSize(slicingArguments: ["first", "last"]) }
  `);

  it('prices the IBM specification example at 11', () => {
    const q = 'query Example { users(max: 5) { age } }';
    expectValid(q, { maxCost: 11 }, undefined, spec);
    expect(errorsOf(q, { maxCost: 10 }, undefined, spec)).toEqual([
      {
        message: 'Query cost 11 exceeds the maximum of 10.',
        locations: [{ line: 1, column: 1 }],
        extensions: { code: 'COST_LIMIT_EXCEEDED', validationErrorCode: 'COST_LIMIT_EXCEEDED' },
      },
    ]);
  });

  it('never lets a negative size cancel a huge sibling', () => {
    const q = '{ a: users(max: -1000000) { age } b: users(max: 1000) { age } }';
    expect(errorsOf(q, { maxCost: 1000 }, undefined, spec).map((e) => e.message)).toEqual([
      'Query cost 2002 exceeds the maximum of 1000.',
    ]);
  });

  it('leaves variable-dependent costs to the request, and checks them when given variables', () => {
    const q = 'query ($n: Int) { users(max: $n) { age } }';
    expectValid(q, { maxCost: 100 }, undefined, spec);
    expectValid(q, { maxCost: 100 }, { variables: { n: 49 } }, spec);
    expect(
      errorsOf(q, { maxCost: 100 }, { variables: { n: 50 } }, spec).map((e) => e.message),
    ).toEqual(['Query cost 101 exceeds the maximum of 100.']);
  });

  it('requires exactly one slicing argument where @listSize says so', () => {
    expect(
      errorsOf('{ items { age } }', { maxCost: 1000 }, undefined, spec).map((e) => [
        e.message,
        e.extensions['code'],
      ]),
    ).toEqual([
      [
        'Field "Query.items" requires exactly one of the slicing arguments "first", "last".',
        'SLICING_ARGUMENT_REQUIRED',
      ],
    ]);
    expect(
      errorsOf('{ items(first: 1, last: 2) { age } }', { maxCost: 1000 }, undefined, spec),
    ).toHaveLength(1);
    expectValid('{ items(first: 1) { age } }', { maxCost: 1000 }, undefined, spec);
    expectValid(
      '{ items { age } }',
      { maxCost: 1000, cost: { requireSlicingArguments: false } },
      undefined,
      spec,
    );
  });

  it('accepts graphql-query-complexity estimators as the cost model', () => {
    const q = '{ me { id handle friends { nodes { id } } } }';
    const options = {
      maxCost: 5,
      cost: { estimators: [simpleEstimator({ defaultComplexity: 1 })] },
    };
    // me 1 + id 1 + handle 1 + friends 1 + nodes 1 + id 1 = 6 (simpleEstimator: 1 + children)
    expectValid(q, options);
    expect(errorsOf(q, options, {}).map((e) => e.message)).toEqual([
      'Query cost 6 exceeds the maximum of 5.',
    ]);
  });
});

describe('per principal and measure mode', () => {
  const admin = createPrincipal({ subject: 'a', roles: ['admin'] });
  const byRole = {
    max: (p: ReturnType<typeof createPrincipal> | null) => (p?.roles.includes('admin') ? 5 : 2),
  };
  const q = '{ me { friends { nodes { id } } } }';

  it('checks per-principal limits only when the request is known', () => {
    expectValid(q, { maxDepth: byRole });
    expect(errorsOf(q, { maxDepth: byRole }, { principal: null }).map((e) => e.message)).toEqual([
      'Query depth 3 exceeds the maximum of 2.',
    ]);
    expectValid(q, { maxDepth: byRole }, { principal: admin });
  });

  it('reports a flagged event in measure mode and lets the operation through', () => {
    const events: SecurityEvent[] = [];
    expectValid(q, { maxDepth: { max: 1, mode: 'measure' }, onEvent: (e) => events.push(e) }, {});
    expect(events).toMatchObject([
      {
        source: 'limits',
        outcome: 'flagged',
        code: 'DEPTH_LIMIT_EXCEEDED',
        detail: { value: 3, max: 1 },
      },
    ]);
  });
});

describe('options', () => {
  it('refuses bad options with a TypeError naming the option', () => {
    expect(() => createLimitsRule({ maxDepth: -1 })).toThrow(
      new TypeError('`maxDepth` must be a non-negative number, got -1.'),
    );
    expect(() => createLimitsRule({ maxDepth: { max: 3, mode: 'warn' as never } })).toThrow(
      TypeError,
    );
    expect(() => createLimitsRule({ maxDeph: 3 } as never)).toThrow(/unknown option "maxDeph"/);
    expect(() => createLimitsRule({ maxTokens: 0 })).toThrow(
      '`maxTokens` must be a positive integer, got 0.',
    );
    expect(() => createLimitsRule({ cost: { estimators: [] } })).toThrow(
      '`cost.estimators` must be a non-empty array',
    );
  });

  it('keeps a default when an option is explicitly undefined', () => {
    expect(errorsOf('{ me { id } }', {})).toEqual([]);
    const deep = '{ ' + 'me { friends { nodes { '.repeat(4) + 'id' + ' } } }'.repeat(4) + ' }';
    expect(
      validate(shop, parse(deep), [createLimitsRule({ maxDepth: undefined })]).map(
        (e) => e.message,
      ),
    ).toEqual(['Query depth 12 exceeds the maximum of 10.']);
  });
});

describe('depthLimit (graphql-depth-limit drop-in)', () => {
  it('has graphql-depth-limit signature, measure and callback', () => {
    const depths: Record<string, number>[] = [];
    const q =
      'query A { me { friends { nodes { id } } } } query B { __schema { types { fields { name } } } }';
    const errors = validate(shop, parse(q), [depthLimit(2, {}, (d) => depths.push(d))]);
    expect(errors.map((e) => [e.message, e.extensions['code']])).toEqual([
      ['Query depth 3 exceeds the maximum of 2.', 'DEPTH_LIMIT_EXCEEDED'],
    ]);
    // Introspection fields count 0, as in graphql-depth-limit.
    expect(depths).toEqual([{ A: 3, B: 0 }]);
  });

  it('takes a single ignore rule or an array', () => {
    expect(
      validate(shop, parse('{ me { friends { nodes { id } } } }'), [
        depthLimit(1, { ignore: 'friends' }),
      ]),
    ).toEqual([]);
    expect(
      validate(shop, parse('{ me { friends { nodes { id } } } }'), [
        depthLimit(1, { ignore: [/x/, 'friends'] }),
      ]),
    ).toEqual([]);
  });
});
