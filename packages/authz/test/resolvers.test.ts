import { buildSchema, execute, parse, subscribe } from 'graphql';
import type { ExecutionResult, GraphQLObjectType, GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@bulwark/core';
import { AUTHZ_DIRECTIVES_SDL, createAuthz, objectPolicy, requestPolicy } from '../src/index.js';
import type { Authz, AuthzMode } from '../src/index.js';
import { contextFor, createShopSchema, shopPolicies } from './fixtures/shop.js';
import type { ShopUser, Spy } from './fixtures/shop.js';

function setup(mode: AuthzMode = 'reject', policies = shopPolicies) {
  const spy: Spy = [];
  const events: SecurityEvent[] = [];
  const authz = createAuthz({
    defaultPolicy: 'allow',
    mode,
    policies,
    onEvent: (e) => events.push(e),
  });
  const original = createShopSchema(spy);
  const schema = authz.wrapSchema(original);
  events.length = 0;
  return { authz, schema, original, spy, events };
}

async function run(
  authz: Authz,
  schema: GraphQLSchema,
  query: string,
  who: Parameters<typeof contextFor>[0],
  variableValues?: Record<string, unknown>,
): Promise<ExecutionResult> {
  const r = await authz.execute({
    schema,
    document: parse(query),
    contextValue: contextFor(who),
    variableValues,
  });
  return JSON.parse(JSON.stringify(r)) as ExecutionResult;
}

const fields = (schema: GraphQLSchema, type: string) =>
  (schema.getType(type) as GraphQLObjectType).getFields();

describe('wrapping', () => {
  it('wraps only fields with a runtime check; every other resolver is the original', () => {
    const { schema, original } = setup('reject');
    // Static rules are decided before execution: no wrapper.
    expect(fields(schema, 'User')['passwordHash']!.resolve).toBe(
      fields(original, 'User')['passwordHash']!.resolve,
    );
    expect(fields(schema, 'User')['name']!.resolve).toBe(fields(original, 'User')['name']!.resolve);
    expect(fields(schema, 'Order')['total']!.resolve).toBe(
      fields(original, 'Order')['total']!.resolve,
    );
    // Object policies, fields returning a guarded type, and root fields are wrapped.
    expect(fields(schema, 'User')['email']!.resolve).not.toBe(
      fields(original, 'User')['email']!.resolve,
    );
    expect(fields(schema, 'Query')['orders']!.resolve).not.toBe(
      fields(original, 'Query')['orders']!.resolve,
    );
    expect(fields(schema, 'Query')['products']!.resolve).not.toBe(
      fields(original, 'Query')['products']!.resolve,
    );
  });

  it('in filter mode, also wraps fields with a static rule', () => {
    const { schema, original } = setup('filter');
    expect(fields(schema, 'User')['passwordHash']!.resolve).not.toBe(
      fields(original, 'User')['passwordHash']!.resolve,
    );
    expect(fields(schema, 'User')['name']!.resolve).toBe(fields(original, 'User')['name']!.resolve);
  });

  it('leaves the original schema untouched, is idempotent, and refuses another instance', () => {
    const { authz, schema, original } = setup();
    expect(schema).not.toBe(original);
    expect(authz.wrapSchema(schema)).toBe(schema);
    expect(authz.ruleTable(original)).toBeUndefined();
    expect(() =>
      createAuthz({ defaultPolicy: 'allow', policies: shopPolicies }).wrapSchema(schema),
    ).toThrow('This schema is already wrapped by another authz instance.');
  });
});

describe('fail closed', () => {
  it('refuses to execute an operation that was not checked', async () => {
    const { schema, spy } = setup();
    const r = await execute({
      schema,
      document: parse('{ user(id: "u1") { id } order(id: "o1") { id } }'),
      contextValue: {},
    });
    expect(r.data).toEqual({ user: null, order: null });
    expect(r.errors?.map((e) => [e.message, e.path, e.extensions['code']])).toEqual([
      ['The operation was not authorized before execution.', ['user'], 'FORBIDDEN'],
      ['The operation was not authorized before execution.', ['order'], 'FORBIDDEN'],
    ]);
    expect(spy).toEqual([]);
  });

  it('refuses another operation executed with a context checked for a different one', async () => {
    const { authz, schema } = setup();
    const contextValue = contextFor('admin');
    const checked = parse('{ products { id } }');
    expect((await authz.authorize({ schema, document: checked, contextValue })).ok).toBe(true);
    const other = execute({ schema, document: parse('{ users { passwordHash } }'), contextValue });
    expect((other as ExecutionResult).errors?.[0]?.message).toBe(
      'The operation was not authorized before execution.',
    );
    expect(
      (execute({ schema, document: checked, contextValue }) as ExecutionResult).errors,
    ).toBeUndefined();
  });

  it('refuses a subscription that was not checked, and runs one that was', async () => {
    const authz = createAuthz({ defaultPolicy: 'allow' });
    const base = buildSchema(`${AUTHZ_DIRECTIVES_SDL}
      type Query { a: Int }
      type Subscription { ticks: Int @authenticated }`);
    const s = authz.wrapSchema(base);
    const ticks = (s.getType('Subscription') as GraphQLObjectType).getFields()['ticks']!;
    const original = (base.getType('Subscription') as GraphQLObjectType).getFields()['ticks']!;
    expect(ticks.subscribe).not.toBe(original.subscribe);
    const document = parse('subscription { ticks }');
    async function* source() {
      yield { ticks: 1 };
    }
    const rootValue = { ticks: source };
    const unchecked = await subscribe({ schema: s, document, contextValue: {}, rootValue });
    expect((unchecked as ExecutionResult).errors?.[0]?.message).toBe(
      'The operation was not authorized before execution.',
    );
    const contextValue = contextFor('u1');
    expect((await authz.authorize({ schema: s, document, contextValue })).ok).toBe(true);
    const stream = (await subscribe({
      schema: s,
      document,
      contextValue,
      rootValue,
    })) as AsyncIterableIterator<ExecutionResult>;
    expect((await stream.next()).value).toEqual({ data: { ticks: 1 } });
    const anonymous = await authz.authorize({
      schema: s,
      document,
      contextValue: contextFor(null),
    });
    expect(!anonymous.ok && anonymous.error.message).toBe('Access denied to "ticks".');
  });
});

describe('object policies on fields', () => {
  it('checks each item of a list against its own object; denied resolvers never run', async () => {
    const { authz, schema, spy, events } = setup();
    const r = await run(authz, schema, '{ users { id email } }', 'u1');
    expect(r).toEqual({
      data: {
        users: [
          { id: 'u1', email: 'ada@example.com' },
          { id: 'u2', email: null },
          { id: 'u3', email: null },
        ],
      },
      errors: [
        {
          message: 'Access denied to "User.email".',
          locations: [{ line: 1, column: 14 }],
          path: ['users', 1, 'email'],
          extensions: { code: 'FORBIDDEN' },
        },
        {
          message: 'Access denied to "User.email".',
          locations: [{ line: 1, column: 14 }],
          path: ['users', 2, 'email'],
          extensions: { code: 'FORBIDDEN' },
        },
      ],
    });
    expect(spy).toEqual(['User.email:u1']);
    expect(events.map((e) => [e.code, e.subject, e.detail?.['path']])).toEqual([
      ['FORBIDDEN', 'u1', ['users', 1, 'email']],
      ['FORBIDDEN', 'u1', ['users', 2, 'email']],
    ]);
  });

  it('skips the object check when a request policy of the rule already allows', async () => {
    let checks = 0;
    const { authz, schema } = setup('reject', {
      ...shopPolicies,
      owner: objectPolicy<ShopUser>(({ principal, object }) => {
        checks++;
        return principal?.subject === object.id;
      }),
    });
    const r = await run(authz, schema, '{ users { email } }', 'admin');
    expect(r.errors).toBeUndefined();
    expect(checks).toBe(0);
  });

  it('keeps a synchronous policy synchronous: execution returns no promise', async () => {
    const { authz, schema } = setup();
    const document = parse('{ users { id email } user(id: "u2") { email } }');
    const contextValue = contextFor('u1');
    expect((await authz.authorize({ schema, document, contextValue })).ok).toBe(true);
    const result = execute({ schema, document, contextValue });
    expect(result).not.toBeInstanceOf(Promise);
    expect((result as ExecutionResult).data).toEqual({
      users: [
        { id: 'u1', email: 'ada@example.com' },
        { id: 'u2', email: null },
        { id: 'u3', email: null },
      ],
      user: { email: null },
    });
  });

  it('awaits an asynchronous policy before running the resolver', async () => {
    const { authz, schema, spy } = setup('reject', {
      ...shopPolicies,
      owner: objectPolicy<ShopUser>(async ({ principal, object }) => {
        await new Promise((r) => setImmediate(r));
        return principal?.subject === object.id;
      }),
    });
    const r = await run(authz, schema, '{ users { email } }', 'u2');
    expect(r.data).toEqual({
      users: [{ email: null }, { email: 'bob@example.com' }, { email: null }],
    });
    expect(spy).toEqual(['User.email:u2']);
  });

  it('denies when an object policy throws, and reports it', async () => {
    const { authz, schema, events } = setup('reject', {
      ...shopPolicies,
      owner: objectPolicy(() => {
        throw new Error('db down');
      }),
    });
    const r = await run(authz, schema, '{ user(id: "u1") { email } }', 'u1');
    expect(r.data).toEqual({ user: { email: null } });
    expect(events.map((e) => [e.code, e.outcome])).toEqual([
      ['POLICY_ERROR', 'warning'],
      ['FORBIDDEN', 'rejected'],
    ]);
  });
});

describe('object policies on types', () => {
  it('checks every object a field returns, each list item alone, and never leaks it', async () => {
    const { authz, schema, spy } = setup();
    const r = await run(
      authz,
      schema,
      '{ order(id: "o2") { id total } orders { id total } }',
      'u1',
    );
    expect(r).toEqual({
      data: {
        order: null,
        orders: [{ id: 'o1', total: 10 }, null, { id: 'o3', total: 30 }],
      },
      errors: [
        {
          message: 'Access denied to an object of type "Order".',
          locations: [{ line: 1, column: 3 }],
          path: ['order'],
          extensions: { code: 'FORBIDDEN' },
        },
        {
          message: 'Access denied to an object of type "Order".',
          locations: [{ line: 1, column: 32 }],
          path: ['orders', 1],
          extensions: { code: 'FORBIDDEN' },
        },
      ],
    });
    // The order was fetched (the check needs it), its fields never resolved.
    expect(spy).toEqual(['Query.order:o2', 'Order.total:o1', 'Order.total:o3']);
  });

  it('checks objects reached through a union or an interface type resolver', async () => {
    const { authz, schema } = setup();
    const r = await run(authz, schema, '{ search(q: "o") { ... on Order { id } } }', 'u2');
    const data = r.data as { search: ({ id?: string } | null)[] };
    const orders = data.search.slice(-3);
    expect(orders).toEqual([null, { id: 'o2' }, null]);
    expect(r.errors?.map((e) => [e.message, e.path])).toEqual([
      ['Access denied to an object of type "Order".', ['search', 6]],
      ['Access denied to an object of type "Order".', ['search', 8]],
    ]);
    // Even `__typename` alone does not reveal a denied object.
    const t = await run(authz, schema, '{ order(id: "o1") { __typename } }', 'u2');
    expect(t.data).toEqual({ order: null });
  });

  it('lets a request policy of the type rule allow every object', async () => {
    const { authz, schema } = setup();
    const r = await run(authz, schema, '{ orders { id } }', 'admin');
    expect(r).toEqual({ data: { orders: [{ id: 'o1' }, { id: 'o2' }, { id: 'o3' }] } });
  });

  it('runs an asynchronous request policy of a type rule once, lazily', async () => {
    let calls = 0;
    const { authz, schema } = setup('reject', {
      ...shopPolicies,
      admin: requestPolicy(async ({ principal }) => {
        calls++;
        await Promise.resolve();
        return principal?.roles.includes('admin') === true;
      }),
    });
    const r = await run(
      authz,
      schema,
      '{ orders { id } search(q: "x") { ... on Order { id } } }',
      'admin',
    );
    expect(r.errors).toBeUndefined();
    expect(calls).toBe(1);
  });
});

describe('filter mode', () => {
  it('nulls denied fields with an error at their path; their resolvers never run', async () => {
    const { authz, schema, spy, events } = setup('filter');
    const r = await run(
      authz,
      schema,
      '{ accounts { id email } user(id: "u1") { passwordHash } }',
      'u1',
    );
    expect(r.data).toEqual({
      accounts: [
        { id: 'u1', email: 'ada@example.com' },
        { id: 'u2', email: null },
        { id: 'u3', email: null },
        { id: 'a1', email: null },
        { id: 'b1', email: 'bot@example.com' },
      ],
      user: { passwordHash: null },
    });
    expect(r.errors?.map((e) => [e.message, e.path])).toEqual([
      ['Access denied to "User.email".', ['accounts', 1, 'email']],
      ['Access denied to "User.email".', ['accounts', 2, 'email']],
      ['Access denied to "Admin.email".', ['accounts', 3, 'email']],
      ['Access denied to "User.passwordHash".', ['user', 'passwordHash']],
    ]);
    expect(spy).toEqual(['User.email:u1']);
    expect(events[0]).toMatchObject({
      outcome: 'rejected',
      code: 'FORBIDDEN',
      reason: 'Fields filtered: "Admin.email", "User.passwordHash".',
      detail: { mode: 'filter', fields: ['Admin.email', 'User.passwordHash'] },
    });
  });

  it('reports the filtered coordinates', async () => {
    const { authz, schema } = setup('filter');
    const r = await authz.authorize({
      schema,
      document: parse('{ accounts { email } }'),
      contextValue: contextFor('u1'),
    });
    expect(r).toEqual({ ok: true, filtered: ['Admin.email'] });
  });

  it('still rejects mutations, and denied input fields in queries', async () => {
    const { authz, schema, spy } = setup('filter');
    const m = await run(authz, schema, 'mutation { deleteUser(id: "u2") }', 'u1');
    expect(m).toEqual({
      errors: [
        {
          message: 'Access denied to "deleteUser".',
          extensions: {
            code: 'FORBIDDEN',
            deniedPaths: ['deleteUser'],
            http: { status: 403, headers: {} },
          },
        },
      ],
    });
    expect(spy).toEqual([]);
    const a = createAuthz({ defaultPolicy: 'allow', mode: 'filter' });
    const q = a.wrapSchema(
      buildSchema(`${AUTHZ_DIRECTIVES_SDL}
        type Query { users(includeDeleted: Boolean @requiresScopes(scopes: [["admin:read"]])): [String] }`),
    );
    const r = await a.authorize({
      schema: q,
      document: parse('{ users(includeDeleted: true) }'),
      contextValue: contextFor('u1'),
    });
    expect(!r.ok && r.error.message).toBe('Access denied to "users(includeDeleted:)".');
  });
});
