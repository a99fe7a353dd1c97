import {
  buildSchema,
  GraphQLBoolean,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  GraphQLUnionType,
  parse,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@bulwark/core';
import {
  AUTHZ_DIRECTIVES_SDL,
  AuthzSchemaError,
  buildRuleTable,
  createAuthz,
  objectPolicy,
  requestPolicy,
  sdlAuthzMetadata,
  setAuthzMetadata,
} from '../src/index.js';
import type { AuthzOptions, CompiledRule } from '../src/index.js';
import { contextFor } from './fixtures/shop.js';

const policies = {
  admin: requestPolicy(() => true),
  owner: objectPolicy(() => true),
};

const sdl = (body: string) => buildSchema(`${AUTHZ_DIRECTIVES_SDL}\n${body}`);

function table(body: string, options: Partial<AuthzOptions> = {}) {
  const a = createAuthz({ defaultPolicy: 'allow', policies, ...options });
  return a.ruleTable(a.wrapSchema(sdl(body)))!;
}

const reqs = (rules: readonly CompiledRule[] | undefined) =>
  rules?.map((r) => [r.coordinate, r.requirements]);

describe('startup check', () => {
  it('refuses a policy that is not registered, listing every problem', () => {
    const a = createAuthz({ defaultPolicy: 'allow', policies });
    const schema = sdl(`
      type Query { a: String @policy(policies: [["nope"]]) b: String @policy(policies: [["admin", "missing"]]) }`);
    expect(() => a.wrapSchema(schema)).toThrow(AuthzSchemaError);
    try {
      a.wrapSchema(schema);
    } catch (e) {
      expect((e as AuthzSchemaError).problems).toEqual([
        'Policy "nope" named on "Query.a" is not registered.',
        'Policy "missing" named on "Query.b" is not registered.',
      ]);
      expect((e as Error).message).toBe(
        `The schema's authorization rules are invalid: Policy "nope" named on "Query.a" is not registered. Policy "missing" named on "Query.b" is not registered.`,
      );
    }
  });

  it('refuses an unregistered policy on an interface nobody implements', () => {
    expect(() =>
      table(`interface I { x: String @policy(policies: [["nope"]]) } type Query { a: String }`),
    ).toThrow('Policy "nope" named on "I.x" is not registered.');
  });

  it('refuses flat or empty lists, which GraphQL would coerce to an OR', () => {
    const message =
      '"@requiresScopes" on "Query.a" needs `scopes` as a non-empty list of non-empty lists of names: [["a", "b"]] is a AND b, [["a"], ["b"]] is a OR b.';
    expect(() =>
      table(`type Query { a: String @requiresScopes(scopes: ["read", "write"]) }`),
    ).toThrow(message);
    expect(() => table(`type Query { a: String @requiresScopes(scopes: []) }`)).toThrow(message);
    expect(() => table(`type Query { a: String @requiresScopes(scopes: [[]]) }`)).toThrow(message);
    expect(() => table(`type Query { a: String @policy(policies: "admin") }`)).toThrow(
      '"@policy" on "Query.a" needs `policies`',
    );
  });

  it('refuses an object policy where there is no object to check', () => {
    expect(() =>
      table(`type Query { a(x: String @policy(policies: [["owner"]])): String }`),
    ).toThrow(
      'Object policy "owner" cannot guard "Query.a(x:)": arguments and input fields are checked before execution, without an object.',
    );
    expect(() =>
      table(`input I { x: String @policy(policies: [["owner"]]) } type Query { a(i: I): String }`),
    ).toThrow('Object policy "owner" cannot guard "I.x"');
    expect(() => table(`type Query @policy(policies: [["owner"]]) { a: String }`)).toThrow(
      'Root type "Query" cannot carry an object policy.',
    );
  });

  it('warns about sensitive-looking fields without a rule, not about ruled or public ones', () => {
    const events: SecurityEvent[] = [];
    table(
      `type User { id: ID! email: String passwordHash: String @authenticated apiToken: String @public ssn: String }
       type Query { me: User }`,
      { onEvent: (e) => events.push(e) },
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'authz',
      outcome: 'warning',
      code: 'SENSITIVE_FIELD_WITHOUT_RULE',
      reason: 'Fields that look sensitive carry no authorization rule: "User.email", "User.ssn".',
      detail: { fields: ['User.email', 'User.ssn'] },
    });
  });

  it('still warns under defaultPolicy deny: being signed in is not a rule for a secret', () => {
    const t = table(`type User { secret: String } type Query { me: User }`, {
      defaultPolicy: 'deny',
    });
    expect(t.sensitiveFields).toEqual(['User.secret']);
  });
});

describe('rule table', () => {
  it('applies a type rule to every field of the type, and interface rules to implementations', () => {
    const t = table(`
      interface Account @authenticated { id: ID! email: String @requiresScopes(scopes: [["email"]]) }
      type User implements Account { id: ID! email: String name: String }
      type Bot implements Account @requiresScopes(scopes: [["bots"]]) { id: ID! email: String }
      type Query { accounts: [Account] }`);
    expect(reqs(t.fields.get('User.name'))).toEqual([['User.name', [{ kind: 'authenticated' }]]]);
    expect(reqs(t.fields.get('User.email'))).toEqual([
      ['User.email', [{ kind: 'scopes', anyOf: [['email']] }, { kind: 'authenticated' }]],
    ]);
    expect(reqs(t.fields.get('Account.email'))).toEqual([
      ['User.email', [{ kind: 'scopes', anyOf: [['email']] }, { kind: 'authenticated' }]],
      [
        'Bot.email',
        [
          { kind: 'scopes', anyOf: [['email']] },
          { kind: 'scopes', anyOf: [['bots']] },
          { kind: 'authenticated' },
        ],
      ],
    ]);
    expect(t.fields.has('Query.accounts')).toBe(false);
  });

  it('under defaultPolicy deny, requires authentication where no rule is, except @public', () => {
    const t = table(
      `type Product @public { id: ID! }
       type User { id: ID! name: String @public email: String @requiresScopes(scopes: [["e"]]) }
       type Query { products: [Product] @public me: User }`,
      { defaultPolicy: 'deny' },
    );
    expect(reqs(t.fields.get('Query.me'))).toEqual([['Query.me', [{ kind: 'authenticated' }]]]);
    expect(reqs(t.fields.get('User.id'))).toEqual([['User.id', [{ kind: 'authenticated' }]]]);
    expect(t.fields.has('User.name')).toBe(false);
    expect(t.fields.has('Query.products')).toBe(false);
    expect(t.fields.has('Product.id')).toBe(false);
    // @public never weakens an explicit rule.
    expect(reqs(t.fields.get('User.email'))).toEqual([
      ['User.email', [{ kind: 'scopes', anyOf: [['e']] }]],
    ]);
  });

  it('keeps a type object policy for the objects, and only its request part for the fields', () => {
    const t = table(`
      type Order @policy(policies: [["owner", "admin"]]) { id: ID! }
      type Invoice @policy(policies: [["owner"], ["admin"]]) { id: ID! }
      type Query { order: Order invoice: Invoice }`);
    expect(reqs(t.fields.get('Order.id'))).toEqual([
      ['Order.id', [{ kind: 'policies', anyOf: [[{ name: 'admin', on: 'request' }]] }]],
    ]);
    // One alternative is the object policy alone: the fields cannot decide before execution.
    expect(t.fields.has('Invoice.id')).toBe(false);
    expect([...t.objectTypes.keys()]).toEqual(['Order', 'Invoice']);
  });

  it('marks the input types from which a protected input field can be reached', () => {
    const t = table(`
      input Inner { secret: String @authenticated }
      input Outer { inner: [Inner!] }
      input Plain { x: String }
      type Query { a(o: Outer, p: Plain): String }`);
    expect([...t.protectedInputTypes].sort()).toEqual(['Inner', 'Outer']);
  });

  it('reads code-first rules from extensions.authz on types, fields, arguments and input fields', async () => {
    const Input = new GraphQLInputObjectType({
      name: 'UpdateInput',
      fields: {
        role: { type: GraphQLString, extensions: { authz: { policy: [['admin']] } } },
      },
    });
    const User = new GraphQLObjectType({
      name: 'User',
      extensions: { authz: { authenticated: true } },
      fields: {
        id: { type: new GraphQLNonNull(GraphQLID) },
        email: {
          type: GraphQLString,
          extensions: { authz: { requiresScopes: [['email:read']] } },
        },
      },
    });
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          users: {
            type: new GraphQLList(User),
            args: {
              deleted: {
                type: GraphQLBoolean,
                extensions: { authz: { requiresScopes: [['admin']] } },
              },
            },
            resolve: () => [{ id: '1', email: 'a@b' }],
          },
          update: { type: GraphQLString, args: { input: { type: Input } } },
        },
      }),
    });
    const a = createAuthz({
      defaultPolicy: 'allow',
      policies: {
        admin: requestPolicy(({ principal }) => principal?.roles.includes('admin') === true),
      },
    });
    const wrapped = a.wrapSchema(schema);
    const t = a.ruleTable(wrapped)!;
    expect(reqs(t.fields.get('User.email'))).toEqual([
      ['User.email', [{ kind: 'scopes', anyOf: [['email:read']] }, { kind: 'authenticated' }]],
    ]);
    expect(reqs(t.arguments.get('Query.users(deleted:)'))).toEqual([
      ['Query.users(deleted:)', [{ kind: 'scopes', anyOf: [['admin']] }]],
    ]);
    expect(t.inputFields.get('UpdateInput.role')?.requestPolicies).toEqual(['admin']);
    const r = await a.execute({
      schema: wrapped,
      document: parse('{ users { id } update(input: { role: "x" }) }'),
      contextValue: contextFor('u1'),
    });
    expect(r.errors?.map((e) => e.message)).toEqual(['Access denied to "update(input:).role".']);
  });

  it('refuses a malformed code-first rule', () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          a: { type: GraphQLString, extensions: { authz: { scopes: [['x']] } } },
          b: { type: GraphQLString, extensions: { authz: 'admin' } },
          c: {
            type: GraphQLString,
            args: { x: { type: GraphQLString, extensions: { authz: { public: true } } } },
          },
        },
      }),
    });
    try {
      createAuthz({ defaultPolicy: 'allow' }).wrapSchema(schema);
      expect.unreachable();
    } catch (e) {
      expect((e as AuthzSchemaError).problems).toEqual([
        'The rule on "Query.a" has an unknown key "scopes".',
        'The rule on "Query.b" must be an object.',
        '"@public" on "Query.c(x:)" is allowed on fields and types only.',
      ]);
    }
  });

  it('refuses a code-first rule where it would be ignored (union, input type)', () => {
    const A = new GraphQLObjectType({ name: 'A', fields: { x: { type: GraphQLString } } });
    const schema = new GraphQLSchema({
      types: [
        new GraphQLUnionType({
          name: 'U',
          types: [A],
          extensions: { authz: { authenticated: true } },
        }),
        new GraphQLInputObjectType({
          name: 'In',
          fields: { x: { type: GraphQLString } },
          extensions: { authz: { authenticated: true } },
        }),
      ],
      query: new GraphQLObjectType({ name: 'Query', fields: { a: { type: A } } }),
    });
    try {
      createAuthz({ defaultPolicy: 'allow' }).wrapSchema(schema);
      expect.unreachable();
    } catch (e) {
      expect((e as AuthzSchemaError).problems).toEqual([
        '"U" cannot carry a rule: rules go on object and interface types, fields, arguments and input fields.',
        'Input type "In" cannot carry a rule: put it on its input fields.',
      ]);
    }
  });

  it('reads rules from an SDL document registered with setAuthzMetadata (a gateway API schema)', () => {
    const supergraph = `
      type User @authenticated { id: ID! email: String @requiresScopes(scopes: [["email"]]) }
      extend type User { ssn: String @policy(policies: [["admin"]]) }
      type Query { user(id: ID! @requiresScopes(scopes: [["lookup"]])): User }
      input Filter { deleted: Boolean @requiresScopes(scopes: [["admin"]]) }`;
    const api = buildSchema(`
      type User { id: ID! email: String ssn: String }
      type Query { user(id: ID!): User }
      input Filter { deleted: Boolean }`);
    setAuthzMetadata(api, sdlAuthzMetadata(supergraph));
    const t = buildRuleTable(api, {
      defaultPolicy: 'allow',
      policies: new Map(Object.entries(policies)),
      sensitiveFieldPattern: /never/,
    });
    expect(reqs(t.fields.get('User.email'))).toEqual([
      ['User.email', [{ kind: 'scopes', anyOf: [['email']] }, { kind: 'authenticated' }]],
    ]);
    expect(t.fields.get('User.ssn')?.[0]?.requestPolicies).toEqual(['admin']);
    expect(t.arguments.has('Query.user(id:)')).toBe(true);
    expect(t.inputFields.has('Filter.deleted')).toBe(true);
    // A wrapped schema keeps the registration.
    const a = createAuthz({ defaultPolicy: 'allow', policies });
    expect(a.ruleTable(a.wrapSchema(api))?.fields.has('User.email')).toBe(true);
  });

  it('reads renamed directives', () => {
    const md = sdlAuthzMetadata(parse(`type Query { a: String @mustSignIn }`), {
      names: { authenticated: 'mustSignIn' },
    });
    expect(md.field('Query', 'a')).toEqual([{ authenticated: true }]);
    expect(md.field('Query', 'b')).toEqual([]);
  });

  it('costs nothing per request when nothing carries a rule', () => {
    expect(table(`type Query { a: String }`).empty).toBe(true);
    expect(table(`type Query { a: String }`, { defaultPolicy: 'deny' }).empty).toBe(false);
  });
});
