import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { suggestionsPlugin, withoutSuggestions } from '@bulwark/introspection';
import type { FormatError } from '@bulwark/introspection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './support/http.js';
import type { TestServer, TestServerOptions } from './support/http.js';

const typeDefs = `#graphql
  enum Role { ADMIN USER }
  enum Level { L1 L2 }
  input Filter { name: String role: Role }
  interface Node { id: ID! }
  type User implements Node { id: ID! name: String role: Role }
  type Stats { count1: Int count2: Int count3: Int count4: Int count5: Int count6: Int }
  type Query {
    user(id: ID): User
    node: Node
    users(role: Role, level: Level, filter: Filter): [User]
    stats: Stats
  }
`;

const resolvers = {
  Query: { users: () => [], user: () => null, node: () => null, stats: () => null },
  Node: { __resolveType: () => 'User' },
};

interface Template {
  /** The graphql-js template it exercises. */
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** What graphql-js says. */
  leaked: string;
  /** What the client must get: the same message without its suggestion. */
  stripped: string;
  /** Apollo's code: validation (in the document) or variable coercion. */
  code: 'GRAPHQL_VALIDATION_FAILED' | 'BAD_USER_INPUT';
}

// Every graphql-js 16 message that carries a suggestion and that an executable document can
// trigger (node_modules/graphql: grep didYouMean, "Did you mean"). PossibleTypeExtensionsRule
// only runs on SDL; its message is covered by the unit tests.
const TEMPLATES: Template[] = [
  {
    name: 'FieldsOnCorrectType: unknown field',
    query: '{ usr { id } }',
    leaked: 'Cannot query field "usr" on type "Query". Did you mean "user" or "users"?',
    stripped: 'Cannot query field "usr" on type "Query".',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'FieldsOnCorrectType: five suggestions (the longest list)',
    query: '{ stats { count } }',
    leaked:
      'Cannot query field "count" on type "Stats". Did you mean "count1", "count2", "count3", "count4", or "count5"?',
    stripped: 'Cannot query field "count" on type "Stats".',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'FieldsOnCorrectType: inline fragment hint',
    query: '{ node { name } }',
    leaked:
      'Cannot query field "name" on type "Node". Did you mean to use an inline fragment on "User"?',
    stripped: 'Cannot query field "name" on type "Node".',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'KnownArgumentNames: field argument',
    query: '{ user(idd: 1) { id } }',
    leaked: 'Unknown argument "idd" on field "Query.user". Did you mean "id"?',
    stripped: 'Unknown argument "idd" on field "Query.user".',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'KnownArgumentNames: directive argument',
    query: '{ user { id @include(iff: true, if: true) } }',
    leaked: 'Unknown argument "iff" on directive "@include". Did you mean "if"?',
    stripped: 'Unknown argument "iff" on directive "@include".',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'KnownTypeNames: variable type',
    query: 'query Q($r: Rol) { users(role: $r) { id } }',
    leaked: 'Unknown type "Rol". Did you mean "Role"?',
    stripped: 'Unknown type "Rol".',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'KnownTypeNames: inline fragment type condition',
    query: '{ node { ... on Usr { id } } }',
    leaked: 'Unknown type "Usr". Did you mean "User"?',
    stripped: 'Unknown type "Usr".',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'KnownTypeNames: fragment definition type condition',
    query: '{ node { ...F } } fragment F on Usr { id }',
    leaked: 'Unknown type "Usr". Did you mean "User"?',
    stripped: 'Unknown type "Usr".',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'ValuesOfCorrectType: input object field in a literal',
    query: '{ users(filter: { nme: "x" }) { id } }',
    leaked: 'Field "nme" is not defined by type "Filter". Did you mean "name"?',
    stripped: 'Field "nme" is not defined by type "Filter".',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'ValuesOfCorrectType: unknown enum value in a literal',
    query: '{ users(role: ADMN) { id } }',
    leaked: 'Value "ADMN" does not exist in "Role" enum. Did you mean the enum value "ADMIN"?',
    stripped: 'Value "ADMN" does not exist in "Role" enum.',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'ValuesOfCorrectType: string literal for an enum (reveals the exact value)',
    query: '{ users(role: "ADMIN") { id } }',
    leaked:
      'Enum "Role" cannot represent non-enum value: "ADMIN". Did you mean the enum value "ADMIN"?',
    stripped: 'Enum "Role" cannot represent non-enum value: "ADMIN".',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'ValuesOfCorrectType: int literal for an enum',
    query: '{ users(level: 1) { id } }',
    leaked: 'Enum "Level" cannot represent non-enum value: 1. Did you mean the enum value "L1"?',
    stripped: 'Enum "Level" cannot represent non-enum value: 1.',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'ScalarLeafs: missing selection',
    query: '{ user }',
    leaked:
      'Field "user" of type "User" must have a selection of subfields. Did you mean "user { ... }"?',
    stripped: 'Field "user" of type "User" must have a selection of subfields.',
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    name: 'variable coercion: unknown enum value',
    query: 'query Q($r: Role) { users(role: $r) { id } }',
    variables: { r: 'ADMN' },
    leaked:
      'Variable "$r" got invalid value "ADMN"; Value "ADMN" does not exist in "Role" enum. Did you mean the enum value "ADMIN"?',
    stripped: 'Variable "$r" got invalid value "ADMN"; Value "ADMN" does not exist in "Role" enum.',
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'variable coercion: non-string enum value',
    query: 'query Q($l: Level) { users(level: $l) { id } }',
    variables: { l: 1 },
    leaked:
      'Variable "$l" got invalid value 1; Enum "Level" cannot represent non-string value: 1. Did you mean the enum value "L1"?',
    stripped:
      'Variable "$l" got invalid value 1; Enum "Level" cannot represent non-string value: 1.',
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'variable coercion: unknown input object field',
    query: 'query Q($f: Filter) { users(filter: $f) { id } }',
    variables: { f: { nme: 'x' } },
    leaked:
      'Variable "$f" got invalid value { nme: "x" }; Field "nme" is not defined by type "Filter". Did you mean "name"?',
    stripped:
      'Variable "$f" got invalid value { nme: "x" }; Field "nme" is not defined by type "Filter".',
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'variable coercion: enum nested in an input object',
    query: 'query Q($f: Filter) { users(filter: $f) { id } }',
    variables: { f: { role: 'ADMN' } },
    leaked:
      'Variable "$f" got invalid value "ADMN" at "f.role"; Value "ADMN" does not exist in "Role" enum. Did you mean the enum value "ADMIN"?',
    stripped:
      'Variable "$f" got invalid value "ADMN" at "f.role"; Value "ADMN" does not exist in "Role" enum.',
    code: 'BAD_USER_INPUT',
  },
];

/** Messages graphql-js words without a suggestion: they must come back unchanged. */
const NO_SUGGESTION = [
  {
    name: 'unknown directive',
    query: '{ user @privileged { id } }',
    message: 'Unknown directive "@privileged".',
  },
  { name: 'unknown fragment', query: '{ ...Secret }', message: 'Unknown fragment "Secret".' },
  {
    name: 'a variable value that echoes "Did you mean"',
    query: 'query Q($r: Role) { users(role: $r) { id } }',
    variables: { r: 'Did you mean' },
    message:
      'Variable "$r" got invalid value "Did you mean"; Value "Did you mean" does not exist in "Role" enum.',
  },
];

function post(server: TestServer, t: { query: string; variables?: Record<string, unknown> }) {
  return server.post({ query: t.query, variables: t.variables });
}

/** The Apollo options these suites vary. */
interface Extra {
  plugins?: ApolloServerPlugin[];
  formatError?: FormatError;
  hideSchemaDetailsFromClientErrors?: boolean;
  validationOptions?: { hideSuggestions?: boolean };
}

async function start(extra: Extra): Promise<TestServer> {
  return startTestServer({ typeDefs, resolvers, ...extra } as TestServerOptions<BaseContext>);
}

describe.each<[string, Extra]>([
  ['suggestionsPlugin()', { plugins: [suggestionsPlugin()] }],
  ['formatError: withoutSuggestions()', { formatError: withoutSuggestions() }],
])('suggestions stripped over HTTP with %s', (_label, options) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await start(options);
  });
  afterAll(() => server.stop());

  it.each(TEMPLATES)('$name', async (t) => {
    const res = await post(server, t);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors?.[0]?.message).toBe(t.stripped);
    expect(res.body.errors?.[0]?.extensions?.code).toBe(t.code);
    expect(res.text).not.toContain('Did you mean');
  });

  it.each(NO_SUGGESTION)('keeps a message without a suggestion intact: $name', async (t) => {
    const res = await post(server, t);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toBe(t.message);
  });
});

describe('without stripping, every template leaks (the tests above can fail)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await start({});
  });
  afterAll(() => server.stop());

  it.each(TEMPLATES)('$name', async (t) => {
    const res = await post(server, t);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toBe(t.leaked);
  });
});

// Apollo Server 5.5's option installs ApolloServerPluginDisableSuggestions, whose only hook is
// validationDidStart: it rewrites validation errors and never sees the errors of execution,
// where graphql-js coerces variables.
describe("Apollo's hideSchemaDetailsFromClientErrors misses variable coercion", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await start({ hideSchemaDetailsFromClientErrors: true });
  });
  afterAll(() => server.stop());

  it.each(TEMPLATES.filter((t) => t.code === 'GRAPHQL_VALIDATION_FAILED'))(
    'strips $name',
    async (t) => {
      const res = await post(server, t);
      expect(res.body.errors?.[0]?.message).toBe(t.stripped);
    },
  );

  it.each(TEMPLATES.filter((t) => t.code === 'BAD_USER_INPUT'))('leaks $name', async (t) => {
    const res = await post(server, t);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toBe(t.leaked);
  });
});

// graphql 16.15 added `hideSuggestions` to validate() and execute(); Apollo Server 5.5 passes
// `validationOptions` to validate() but has no way to pass it to execute().
describe("graphql-js's validationOptions.hideSuggestions under Apollo misses variable coercion too", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await start({ validationOptions: { hideSuggestions: true } });
  });
  afterAll(() => server.stop());

  it.each(TEMPLATES.filter((t) => t.code === 'BAD_USER_INPUT'))('leaks $name', async (t) => {
    const res = await post(server, t);
    expect(res.body.errors?.[0]?.message).toBe(t.leaked);
  });

  it('hides validation suggestions', async () => {
    const res = await post(server, TEMPLATES[0]!);
    expect(res.body.errors?.[0]?.message).toBe(TEMPLATES[0]!.stripped);
  });
});
