import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { analyzeDocument, analyzeOperation, MAX_WALK_DEPTH, schemaInfo } from '../src/index.js';

const schema = buildSchema(`
  directive @cost(weight: String!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION

  interface Account { id: ID! email: String }
  type User implements Account { id: ID! email: String age: Int @cost(weight: "2.0") name: String friends(first: Int): [User!]! @listSize(slicingArguments: ["first"]) orders: [Order!]! }
  type Admin implements Account { id: ID! email: String @cost(weight: "5") permissions: [String!]! }
  type Order { id: ID! total: Float items: [Item!]! }
  type Item { sku: String! }
  union SearchResult = User | Order
  type ProductConnection { edges: [ProductEdge!]! pageInfo: PageInfo! }
  type ProductEdge { node: Product! cursor: String! }
  type Product { id: ID! name: String reviews: [String!]! related(first: Int, last: Int): [Product!]! @listSize(slicingArguments: ["first", "last"]) }
  type PageInfo { hasNextPage: Boolean! }
  input UpdateUserInput { name: String role: String @cost(weight: "3") tags: [TagInput!] }
  input TagInput { label: String @cost(weight: "1") }
  type Query {
    users(max: Int): [User] @listSize(slicingArguments: ["max"])
    user(id: ID!): User
    me: Account
    accounts: [Account!]! @listSize(assumedSize: 4)
    search(q: String): [SearchResult!]!
    products(first: Int, last: Int): ProductConnection! @listSize(slicingArguments: ["first", "last"], sizedFields: ["edges"])
    pagedProducts(first: Int = 20): ProductConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
    expensive(filter: String @cost(weight: "7")): Int
  }
  type Mutation { updateUser(input: UpdateUserInput!): User }
`);

const op = (q: string, name?: string) => {
  const a = analyzeOperation(schema, parse(q), name);
  if (!a) throw new Error('no operation');
  return a;
};

describe('depth', () => {
  it('counts fields only: plain, inline fragment and named fragment agree', () => {
    expect(op('{ user(id: 1) { name } }').depth).toBe(1);
    expect(op('{ user(id: 1) { ... on User { name } } }').depth).toBe(1);
    expect(op('{ user(id: 1) { ...F } } fragment F on User { name }').depth).toBe(1);
    expect(
      op('{ ...Q } fragment Q on Query { user(id: 1) { ...F } } fragment F on User { name }').depth,
    ).toBe(1);
    expect(op('{ __typename }').depth).toBe(0);
  });

  it('measures a fragment relative to each spread (no first-spread cache bypass)', () => {
    const q = `{
      a: user(id: 1) { ...F }
      b: user(id: 2) { friends { friends { friends { ...F } } } }
    }
    fragment F on User { friends { friends { name } } }`;
    // b: user(1) friends(2) friends(3) friends(4) + F: friends(5) friends(6) name
    expect(op(q).depth).toBe(6);
  });

  it('tolerates cycles and unknown fragments', () => {
    const a = analyzeDocument(
      schema,
      parse('{ ...A ...Nope } fragment A on Query { ...B } fragment B on Query { ...A me { id } }'),
    );
    expect(a.operations[0]!.depth).toBe(1);
    expect(a.fragmentCycles).toBe(1);
    expect(a.unknownFragments).toBe(1);
  });

  it('marks nesting beyond MAX_WALK_DEPTH as truncated', () => {
    const n = MAX_WALK_DEPTH + 10;
    const q = '{' + 'user(id: 1) { friends {'.repeat(n / 2) + 'id' + '}}'.repeat(n / 2) + '}';
    expect(op(q).truncated).toBe(true);
    expect(op('{ user(id: 1) { id } }').truncated).toBe(false);
  });
});

describe('counts after fragment expansion', () => {
  it('counts aliases, root fields and directives per occurrence', () => {
    const q = `query Q @a { x: me { id } y: me { id } ...R ...R @b }
      fragment R on Query { z: me { t: __typename } }`;
    const a = op(q);
    expect(a.aliases).toBe(6);
    expect(a.typenameAliases).toBe(2);
    expect(a.rootFields).toBe(4);
    expect(a.directives).toBe(2);
    expect(a.fields).toBe(8);
  });

  it('counts directives inside a fragment each time it is spread', () => {
    const a = op(
      '{ ...F ...F ...F } fragment F on Query { me @include(if: true) { id @skip(if: false) } }',
    );
    expect(a.directives).toBe(6);
  });

  it('handles a 2^30 fragment fan-out in linear work', () => {
    const levels = 30;
    let q = 'query { ...F0 }\n';
    for (let i = 0; i < levels; i++) q += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`;
    q += `fragment F${levels} on Query { me { id } }`;
    const doc = parse(q);
    const t = performance.now();
    const a = analyzeOperation(schema, doc)!;
    expect(a.fields).toBe(2 ** 31);
    expect(a.coordinates.get('Query.me')).toBe(2 ** 30);
    expect(a.height).toBe(2);
    expect(performance.now() - t).toBeLessThan(50);
  });

  it('counts each coordinate once in the height: schema fields, __typename per type, unknown names', () => {
    const q = `{ me { __typename id __typename ... on User { __typename name } } users { __typename name nope nope } user(id: 1) { name friends { name } } }`;
    // Query.me Account.__typename Account.id User.__typename User.name Query.users User.nope
    // Query.user User.friends
    const first = op(q);
    expect(first.height).toBe(9);
    // Another walk of the same schema in between must not make the next one miss or re-count.
    expect(op('{ user(id: 1) { name __typename } }').height).toBe(3);
    const again = op(q);
    expect(again.height).toBe(9);
    expect(op(q).coordinates.size).toBe(9);
  });

  it('counts unknown names past the bounded cache of unknown coordinates once each', () => {
    const own = buildSchema('type Query { me: Me } type Me { id: ID }');
    const names = Array.from({ length: 1100 }, (_, i) => `x${i}`);
    const doc = parse(`{ me { id ${names.map((n) => `${n} ${n}`).join(' ')} } }`);
    expect(analyzeOperation(own, doc)!.height).toBe(1102);
    expect(analyzeOperation(own, parse(`{ me { id ${names.join(' ')} } }`))!.height).toBe(1102);
  });

  it('records coordinates with the type the selection is made on, expanded', () => {
    const q = `{ me { email ... on Admin { email } } search(q: "x") { ... on User { name } ...O } user(id: 1) { ...U ...U ...U ...U ...U } }
      fragment O on Order { total } fragment U on User { email }`;
    const a = op(q);
    expect(a.coordinates.get('Account.email')).toBe(1);
    expect(a.coordinates.get('Admin.email')).toBe(1);
    expect(a.coordinates.get('User.name')).toBe(1);
    expect(a.coordinates.get('Order.total')).toBe(1);
    expect(a.coordinates.get('User.email')).toBe(5);
    expect(a.arguments.get('Query.search(q:)')).toBe(1);
  });

  it('records input fields supplied in literals, nested and in lists', () => {
    const a = op(
      'mutation { updateUser(input: { name: "a", role: "ADMIN", tags: [{ label: "x" }, { label: "y" }] }) { id } }',
    );
    expect(a.inputFields.get('UpdateUserInput.role')).toBe(1);
    expect(a.inputFields.get('TagInput.label')).toBe(2);
    expect(a.arguments.get('Mutation.updateUser(input:)')).toBe(1);
  });

  it('detects introspection wherever it appears, but not a fragment named __schema', () => {
    expect(
      op('{ ...F } fragment F on Query { x: __schema { types { name } } }').introspectionFields,
    ).toBe(1);
    expect(op('{ ...__schema } fragment __schema on Query { me { id } }').introspectionFields).toBe(
      0,
    );
  });

  it('is memoized per document', () => {
    const doc = parse('{ me { id } }');
    expect(analyzeDocument(schema, doc)).toBe(analyzeDocument(schema, doc));
  });
});

describe('cost (IBM cost directives)', () => {
  it('prices the specification example at 11', () => {
    expect(op('query Example { users(max: 5) { age } }').cost()).toBe(11);
  });

  it('defaults: 0 for scalars and enums, 1 for composite types, list size 10', () => {
    expect(op('{ user(id: 1) { name } }').cost()).toBe(1);
    // orders: 1 + 10 × (Order 1 ... fields 0)
    expect(op('{ user(id: 1) { orders { id } } }').cost()).toBe(1 + 1 + 10 * 0);
    expect(op('{ user(id: 1) { orders { items { sku } } } }').cost()).toBe(1 + 1 + 10 * 1);
  });

  it('uses assumedSize, argument and field weights', () => {
    expect(op('{ accounts { id } }').cost()).toBe(1);
    expect(op('{ accounts { ... on Admin { email } } }').cost()).toBe(1 + 4 * 5);
    expect(op('{ expensive(filter: "a") }').cost()).toBe(7);
    expect(
      op(
        'mutation { updateUser(input: { role: "x", tags: [{ label: "a" }, { label: "b" }] }) { id } }',
      ).cost(),
    ).toBe(1 + 3 + 2);
  });

  it('reads sizes from variables on a cached plan', () => {
    const a = op('query ($n: Int) { users(max: $n) { age } }');
    expect(a.cost({ n: 5 })).toBe(11);
    expect(a.cost({ n: 100 })).toBe(201);
    expect(a.cost({})).toBe(1 + 10 * 2);
    expect(op('query ($n: Int = 3) { users(max: $n) { age } }').cost({})).toBe(7);
  });

  it('clamps negative sizes at zero: a negative first never cancels a sibling', () => {
    expect(op('{ a: users(max: -100000) { age } b: users(max: 1000) { age } }').cost()).toBe(
      1 + 1 + 1000 * 2,
    );
    expect(op('query ($n: Int) { users(max: $n) { age } }').cost({ n: -5 })).toBe(1);
  });

  it('sizes connection edges through sizedFields, also through fragments', () => {
    // products 1 + edges (1 + 50 × node 1); the edge list is sized by `first`, not by the default.
    expect(op('{ products(first: 50) { edges { node { reviews } } } }').cost()).toBe(
      1 + 1 + 50 * 1,
    );
    expect(
      op(
        '{ products(first: 50) { ...C } } fragment C on ProductConnection { edges { node { id } } }',
      ).cost(),
    ).toBe(1 + 1 + 50);
    expect(op('{ pagedProducts { edges { node { id } } } }').cost()).toBe(1 + 1 + 20);
    expect(
      op(
        'query($f: Int) { products(first: $f) { ...C } } fragment C on ProductConnection { edges { node { id } } }',
      ).cost({ f: 7 }),
    ).toBe(1 + 1 + 7);
    expect(
      op(
        'query($f: Int) { products(first: $f) { ...C } } fragment C on ProductConnection { edges { node { id } } }',
      ).cost({ f: 700 }),
    ).toBe(1 + 1 + 700);
  });

  it('reports @listSize slicing violations', () => {
    expect(op('{ products { pageInfo { hasNextPage } } }').slicingViolations).toHaveLength(1);
    expect(
      op('{ products(first: 1, last: 2) { pageInfo { hasNextPage } } }').slicingViolations,
    ).toHaveLength(1);
    expect(
      op('{ products(first: 1) { pageInfo { hasNextPage } } }').slicingViolations,
    ).toHaveLength(0);
    expect(op('{ pagedProducts { pageInfo { hasNextPage } } }').slicingViolations).toHaveLength(0);
  });

  it('reports slicing violations inside fragments once, and only for the operation that reaches them', () => {
    const frags =
      'fragment P on Query { products { pageInfo { hasNextPage } } ...Q } ' +
      'fragment Q on Query { b: products { pageInfo { hasNextPage } } } ' +
      'fragment R on Query { c: products { pageInfo { hasNextPage } } }';
    // P spread twice and Q reached through P: one violation per field written, not per spread.
    const one = op(`{ ...P ...P } ${frags}`);
    expect(one.slicingViolations.map((v) => v.node.alias?.value ?? v.node.name.value)).toEqual([
      'products',
      'b',
    ]);
    expect(one.fragmentNames).toEqual(['P', 'Q']);
    // Two operations: each sees the fragments it reaches, not the other's.
    const doc = parse(
      `query A { ...P } query B { ...R } query C { ok: pagedProducts { __typename } } ${frags}`,
    );
    const byName = (n: string) => analyzeOperation(schema, doc, n)!;
    expect(byName('A').slicingViolations).toHaveLength(2);
    expect(byName('B').slicingViolations.map((v) => v.node.alias?.value)).toEqual(['c']);
    expect(byName('C').slicingViolations).toHaveLength(0);
    expect(byName('B').fragmentNames).toEqual(['R']);
    // A fragment walked again for its cost under two sizedFields contexts (first: 2, first: 3)
    // reports the violation in it once.
    const sized = op(
      '{ a: products(first: 2) { ...S } b: products(first: 3) { ...S } } ' +
        'fragment S on ProductConnection { edges { node { related { id } } } }',
    );
    expect(sized.slicingViolations.map((v) => v.coordinate)).toEqual(['Product.related']);
  });

  it('takes the maximum over the possible types of an abstract selection', () => {
    // Admin.email costs 5, User.email 0: the interface selection costs the maximum.
    expect(op('{ me { ... on Admin { email } ... on User { email } } }').cost()).toBe(1 + 5);
    // User branch: friends 1 + 3 × orders(1 + 10 × 0) = 4; Order branch: items 1 + 10 × 0 = 1.
    expect(
      op(
        '{ search { ... on User { friends(first: 3) { orders { id } } } ... on Order { items { sku } } } }',
      ).cost(),
    ).toBe(1 + 10 * 4);
  });

  it('honours @skip and @include, with variables', () => {
    const a = op(
      'query ($x: Boolean!) { users(max: 5) @include(if: $x) { age } b: users(max: 1) @skip(if: true) { age } }',
    );
    expect(a.cost({ x: true })).toBe(11);
    expect(a.cost({ x: false })).toBe(0);
  });
});

describe('resolveCount', () => {
  it('multiplies occurrences by the list sizes above them', () => {
    const a = op(
      'query ($n: Int) { users(max: $n) { email friends(first: 2) { email } } user(id: 1) { a: email b: email } }',
    );
    const email = new Set(['User.email']);
    expect(a.resolveCount(email, { n: 100 })).toBe(100 + 100 * 2 + 2);
    expect(a.resolveCount(email, { n: 1 })).toBe(1 + 2 + 2);
    expect(a.resolveCount(new Set(['Query.users']), { n: 100 })).toBe(1);
  });

  it('counts aliases and repeated fragments', () => {
    const a = op(
      'mutation { ...L ...L ...L ...L ...L } fragment L on Mutation { a: updateUser(input: {}) { id } b: updateUser(input: {}) { id } }',
    );
    expect(a.resolveCount(new Set(['Mutation.updateUser']))).toBe(10);
  });
});

describe('the per-document cache', () => {
  const source = '{ me { id } }';

  it('returns the same analysis for the same document, one per schema', () => {
    const document = parse(source);
    const other = buildSchema('type Query { me: Me } type Me { id: ID }');
    const a = analyzeDocument(schema, document);
    expect(analyzeDocument(schema, document)).toBe(a);
    const b = analyzeDocument(other, document);
    expect(b).not.toBe(a);
    expect(analyzeDocument(schema, document)).toBe(a);
    expect(analyzeDocument(other, document)).toBe(b);
  });

  it('leaves what the document shows unchanged (keys, JSON, equality)', () => {
    const document = parse(source);
    const keys = Object.keys(document);
    const json = JSON.stringify(document);
    analyzeDocument(schema, document);
    expect(Object.keys(document)).toEqual(keys);
    expect(JSON.stringify(document)).toBe(json);
    expect(document).toEqual(parse(source));
  });

  it('caches frozen documents too', () => {
    const document = Object.freeze(parse(source));
    const a = analyzeDocument(schema, document);
    expect(a.operations[0]!.depth).toBe(1);
    expect(analyzeDocument(schema, document)).toBe(a);
  });
});

describe('the per-schema field tables', () => {
  it('remember the schema fields only: unknown names from clients do not grow them', () => {
    const own = buildSchema('type Query { me: Me ok: Int } type Me { id: ID name: String }');
    const names = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ');
    // Unknown fields on a known type, and on a type reached through a known field.
    const a = analyzeOperation(
      own,
      parse(`{ ok ${names(500, 'x')} me { id ${names(500, 'y')} } }`),
    )!;
    expect(a.fields).toBe(1 + 500 + 1 + 1 + 500);
    expect(a.coordinates.get('Me.id')).toBe(1);
    expect(a.coordinates.get('Me.y7')).toBe(1);
    const tables = (schemaInfo(own) as unknown as { fieldTables: Map<unknown, unknown[]> })
      .fieldTables;
    let remembered = 0;
    for (const table of tables.values())
      for (const bucket of table) remembered += (bucket as unknown[] | undefined)?.length ?? 0;
    expect(remembered).toBe(4);
  });

  it('find every field among names of the same length', () => {
    const own = buildSchema('type Query { ab: Int cd: Int ef: Int abc: Int }');
    const a = analyzeOperation(own, parse('{ ef cd ab abc zz }'))!;
    expect([...a.coordinates.keys()].sort()).toEqual([
      'Query.ab',
      'Query.abc',
      'Query.cd',
      'Query.ef',
      'Query.zz',
    ]);
    // zz is unknown: it has a coordinate (for authorization's deny-by-default) but no cost.
    expect(a.cost()).toBe(0);
  });
});
