import { composeServices } from '@apollo/composition';
import { AUTHZ_FEDERATION_SDL, AUTHZ_SPEC_URL } from '@bulwark/authz';
import {
  SupergraphLinkError,
  authzCompositionConflicts,
  linkedSpec,
  readSupergraphMetadata,
  supergraphAuthzMetadata,
  supergraphCostMetadata,
} from '@bulwark/gateway';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';

const FED = (imports: string) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@composeDirective", ${imports}])`;

function compose(...subgraphs: string[]) {
  const result = composeServices(
    subgraphs.map((sdl, i) => ({
      name: `s${i}`,
      typeDefs: parse(sdl),
      url: `http://s${i}.invalid`,
    })),
  );
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result;
}

const accounts = `${FED('"@cost", "@listSize"')}
${AUTHZ_FEDERATION_SDL}
type Query {
  users(first: Int = 10, filter: UserFilter @cost(weight: 3)): [User!]! @requiresScopes(scopes: [["users:read"]]) @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
  search(q: String): SearchConnection @listSize(assumedSize: 40, sizedFields: ["edges"])
}
input UserFilter { role: String @cost(weight: 2) @policy(policies: [["admin"]]) }
scalar Money @cost(weight: 4)
enum Tier @cost(weight: 6) { GOLD SILVER }
type SearchConnection { edges: [User!]! }
type User @key(fields: "id") @authenticated {
  id: ID!
  email: String @policy(policies: [["owner"], ["admin"]]) @cost(weight: 2)
  balance: Money
  tier: Tier @public
}`;

const orders = `${FED('"@cost", "@listSize"')}
${AUTHZ_FEDERATION_SDL}
type Order @key(fields: "id") @cost(weight: 7) { id: ID! }
type User @key(fields: "id") {
  id: ID!
  orders(limit: Int): [Order!] @listSize(slicingArguments: ["limit"]) @policy(policies: [["owner"]])
}`;

describe('reading a composed supergraph', () => {
  const { supergraphSdl } = compose(accounts, orders);

  it('reads @cost and @listSize from both subgraphs under the names composition writes', () => {
    expect(supergraphSdl).toContain(
      '@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"])',
    );
    const cost = supergraphCostMetadata(supergraphSdl);
    expect(cost.fieldCost('User', 'email')).toBe(2);
    expect(cost.fieldCost('User', 'id')).toBeUndefined();
    expect(cost.typeCost('Order')).toBe(7);
    expect(cost.typeCost('Money')).toBe(4);
    expect(cost.typeCost('Tier')).toBe(6);
    expect(cost.typeCost('User')).toBeUndefined();
    expect(cost.argumentCost('Query', 'users', 'filter')).toBe(3);
    expect(cost.inputFieldCost('UserFilter', 'role')).toBe(2);
    expect(cost.listSize('Query', 'users')).toEqual({
      assumedSize: undefined,
      slicingArguments: ['first'],
      sizedFields: [],
      requireOneSlicingArgument: false,
    });
    expect(cost.listSize('Query', 'search')).toEqual({
      assumedSize: 40,
      slicingArguments: [],
      sizedFields: ['edges'],
      requireOneSlicingArgument: true,
    });
    // From the second subgraph, on the entity it extends; the spec's default applies.
    expect(cost.listSize('User', 'orders')).toEqual({
      assumedSize: undefined,
      slicingArguments: ['limit'],
      sizedFields: [],
      requireOneSlicingArgument: true,
    });
  });

  it('reads the authorization rules of both subgraphs', () => {
    const authz = supergraphAuthzMetadata(supergraphSdl);
    expect(authz.type('User')).toEqual([{ authenticated: true }]);
    expect(authz.field('User', 'email')).toEqual([{ policy: [['owner'], ['admin']] }]);
    expect(authz.field('User', 'orders')).toEqual([{ policy: [['owner']] }]);
    expect(authz.field('User', 'tier')).toEqual([{ public: true }]);
    expect(authz.field('Query', 'users')).toEqual([{ requiresScopes: [['users:read']] }]);
    expect(authz.inputField('UserFilter', 'role')).toEqual([{ policy: [['admin']] }]);
    expect(authz.field('User', 'id')).toEqual([]);
  });

  it('gives both from one parse, with the names it read', () => {
    const metadata = readSupergraphMetadata(parse(supergraphSdl));
    expect(metadata.names).toEqual({
      authz: {
        authenticated: 'authenticated',
        requiresScopes: 'requiresScopes',
        policy: 'policy',
        public: 'public',
      },
      cost: { cost: 'cost', listSize: 'listSize' },
    });
    expect(metadata.cost.typeCost('Order')).toBe(7);
    expect(metadata.authz.field('User', 'orders')).toEqual([{ policy: [['owner']] }]);
  });

  it('has no metadata for a supergraph that links neither spec', () => {
    const { supergraphSdl: plain } = compose(`${FED('"@shareable"')}
type Query { a: [Int] @deprecated }`);
    const metadata = readSupergraphMetadata(plain);
    expect(metadata.names).toEqual({ authz: null, cost: null });
    expect(metadata.cost.listSize('Query', 'a')).toBeUndefined();
    expect(metadata.authz.field('Query', 'a')).toEqual([]);
  });
});

describe('renamed directives', () => {
  const directives = (names: [string, string]) => `
directive @${names[0]} on OBJECT | INTERFACE | FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION
directive @${names[1]}(policies: [[String!]!]!) on OBJECT | INTERFACE | FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION
type Query { me: User @${names[0]} }
type User @key(fields: "id") { id: ID! email: String @${names[1]}(policies: [["owner"]]) }`;

  it.each([
    [
      'an import alias',
      `@link(url: "${AUTHZ_SPEC_URL}", import: ["@authenticated", { name: "@policy", as: "@bwPolicy" }]) @composeDirective(name: "@authenticated") @composeDirective(name: "@bwPolicy")`,
      ['authenticated', 'bwPolicy'],
    ],
    [
      'no import (namespaced)',
      `@link(url: "${AUTHZ_SPEC_URL}") @composeDirective(name: "@authz__authenticated") @composeDirective(name: "@authz__policy")`,
      ['authz__authenticated', 'authz__policy'],
    ],
    [
      'a renamed namespace',
      `@link(url: "${AUTHZ_SPEC_URL}", as: "bw") @composeDirective(name: "@bw__authenticated") @composeDirective(name: "@bw__policy")`,
      ['bw__authenticated', 'bw__policy'],
    ],
  ] as const)('reads rules imported with %s', (_label, link, names) => {
    const { supergraphSdl } = compose(`${FED('"@shareable"')} ${link}${directives([...names])}`);
    const authz = supergraphAuthzMetadata(supergraphSdl);
    expect(authz.field('Query', 'me')).toEqual([{ authenticated: true }]);
    expect(authz.field('User', 'email')).toEqual([{ policy: [['owner']] }]);
  });

  it('does not read a same-named directive of another spec as a rule', () => {
    const sdl = `schema @link(url: "https://specs.apollo.dev/link/v1.0")
      @link(url: "${AUTHZ_SPEC_URL}", import: [{ name: "@policy", as: "@bwPolicy" }]) { query: Query }
      directive @policy(policies: [[String!]!]!) on FIELD_DEFINITION
      type Query { a: Int @policy(policies: [["x"]]) b: Int @bwPolicy(policies: [["y"]]) }`;
    const authz = supergraphAuthzMetadata(sdl);
    expect(authz.field('Query', 'a')).toEqual([]);
    expect(authz.field('Query', 'b')).toEqual([{ policy: [['y']] }]);
  });

  it('follows a renamed @link directive and the root directive of a renamed cost namespace', () => {
    const sdl = `schema @core(url: "https://specs.apollo.dev/link/v1.0", as: "core")
      @core(url: "https://specs.apollo.dev/cost/v0.1", as: "price", import: [{ name: "@listSize", as: "@size" }])
      @link(url: "https://specs.apollo.dev/cost/v0.2") { query: Query }
      type Query { a: [Int] @price(weight: 9) @size(assumedSize: 2) b: Int @cost(weight: 1) }`;
    const cost = supergraphCostMetadata(sdl);
    expect(cost.fieldCost('Query', 'a')).toBe(9);
    expect(cost.listSize('Query', 'a')?.assumedSize).toBe(2);
    expect(cost.fieldCost('Query', 'b')).toBeUndefined();
    expect(linkedSpec(parse(sdl), 'https://specs.apollo.dev/cost')?.version).toBe('v0.1');
  });
});

describe('supergraphs the readers refuse', () => {
  it('a spec version they do not know', () => {
    const sdl = `schema @link(url: "https://specs.apollo.dev/link/v1.0")
      @link(url: "https://bulwark.dev/authz/v0.2", import: ["@policy"]) { query: Query }
      type Query { a: Int }`;
    expect(() => readSupergraphMetadata(sdl)).toThrow(
      new SupergraphLinkError(
        'The supergraph links "https://bulwark.dev/authz/v0.2"; this version of @bulwark/gateway reads "https://bulwark.dev/authz/v0.1".',
      ),
    );
  });

  it('a spec linked twice', () => {
    const sdl = `schema @link(url: "https://specs.apollo.dev/link/v1.0")
      @link(url: "https://specs.apollo.dev/cost/v0.1") @link(url: "https://specs.apollo.dev/cost/v0.1", as: "c2") { query: Query }
      type Query { a: Int }`;
    expect(() => supergraphCostMetadata(sdl)).toThrow(
      'The supergraph links "https://specs.apollo.dev/cost" more than once.',
    );
  });

  it('SDL that does not parse', () => {
    expect(() => readSupergraphMetadata('type Query {')).toThrow(/Syntax Error/);
  });
});

describe('authzCompositionConflicts', () => {
  const shared = (scope: string, root = scope) => `${FED('"@shareable"')}
${AUTHZ_FEDERATION_SDL}
type Query { u${root}: User }
type User @key(fields: "id") { id: ID! email: String @shareable @requiresScopes(scopes: [["${scope}"]]) }`;

  it('reports a rule composition dropped (two subgraphs disagree on one field)', () => {
    const result = compose(shared('a'), shared('b'));
    expect(result.supergraphSdl).toContain('@requiresScopes(scopes: [["a"]])');
    expect(result.supergraphSdl).not.toContain('[["b"]]');
    expect(authzCompositionConflicts(result.hints)).toEqual([
      'Non-repeatable directive @requiresScopes is applied to "User.email" in multiple subgraphs but with incompatible arguments. The supergraph will use arguments {scopes: [["a"]]} (from subgraph "s0"), but found arguments {scopes: [["b"]]} in subgraph "s1".',
    ]);
    expect(authzCompositionConflicts(result.hints, ['bwPolicy'])).toEqual([]);
  });

  it('reports nothing when the subgraphs agree', () => {
    expect(authzCompositionConflicts(compose(shared('a'), shared('a', 'b')).hints)).toEqual([]);
  });
});
