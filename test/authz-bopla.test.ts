import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@bulwark/core';
import { authzPlugin, createAuthz } from '@bulwark/authz';
import { startTestServer } from './support/http.js';
import type { TestServer } from './support/http.js';
import {
  contextFor,
  createShopSchema,
  shopPolicies,
} from '../packages/authz/test/fixtures/shop.js';
import type { principals, Spy } from '../packages/authz/test/fixtures/shop.js';

// BOPLA (OWASP API3) and BOLA (API1) on a realistic schema, over real HTTP, reject mode.
// Principals come from the `x-user` header: the tests build them directly, as @bulwark/jwt would.

type Who = keyof typeof principals;

const spy: Spy = [];
const events: SecurityEvent[] = [];
let server: TestServer;

beforeAll(async () => {
  const authz = createAuthz({
    defaultPolicy: 'allow',
    policies: shopPolicies,
    onEvent: (e) => events.push(e),
  });
  server = await startTestServer({
    schema: authz.wrapSchema(createShopSchema(spy)),
    plugins: [authzPlugin(authz)],
    context: async ({ req }) => contextFor((req.headers['x-user'] as Who | undefined) ?? null),
  });
});

afterAll(async () => {
  await server?.stop();
});

beforeEach(() => {
  spy.length = 0;
  events.length = 0;
});

const post = (query: string, who: Who | null, variables?: Record<string, unknown>) =>
  server.post({ query, variables }, who ? { 'x-user': who } : {});

/** The 403 of a rejected operation: exact message and denied paths, no data. */
async function expectRejected(
  query: string,
  who: Who | null,
  paths: string[],
  variables?: Record<string, unknown>,
) {
  const res = await post(query, who, variables);
  expect(res.status).toBe(403);
  expect(res.body).toEqual({
    errors: [
      {
        message: `Access denied to ${paths.map((p) => `"${p}"`).join(', ')}.`,
        extensions: { code: 'FORBIDDEN', deniedPaths: paths },
      },
    ],
  });
  // Nothing ran: a rejected operation executes no resolver.
  expect(spy).toEqual([]);
}

describe("BOPLA: reading another user's email (an owner rule, checked on each object)", () => {
  const cases: [string, string, (string | number)[]][] = [
    ['directly', '{ user(id: "u2") { id email } }', ['user', 'email']],
    ['by alias', '{ victim: user(id: "u2") { id mail: email } }', ['victim', 'mail']],
    ['by inline fragment', '{ user(id: "u2") { id ... on User { email } } }', ['user', 'email']],
    [
      'by named fragment',
      '{ user(id: "u2") { id ...Contact } } fragment Contact on User { email }',
      ['user', 'email'],
    ],
    [
      'by a typed fragment on an interface',
      '{ accounts { id ... on User { email } } }',
      ['accounts', 1, 'email'],
    ],
    [
      'as a union member',
      '{ search(q: "bob") { ... on User { id email } } }',
      ['search', 1, 'email'],
    ],
  ];

  for (const [how, query, path] of cases) {
    it(`nulls it ${how}, with FORBIDDEN at its path, and never runs its resolver`, async () => {
      const res = await post(query, 'u1');
      expect(res.status).toBe(200);
      const errors = res.body.errors ?? [];
      expect(errors.find((e) => JSON.stringify(e.path) === JSON.stringify(path))).toEqual({
        message: 'Access denied to "User.email".',
        locations: expect.any(Array),
        path,
        extensions: { code: 'FORBIDDEN' },
      });
      expect(errors.every((e) => e.extensions?.['code'] === 'FORBIDDEN')).toBe(true);
      expect(res.text).not.toContain('bob@example.com');
      expect(spy.filter((s) => s.startsWith('User.email') && s !== 'User.email:u1')).toEqual([]);
    });
  }

  it('returns the own email, and every email to an admin', async () => {
    const own = await post('{ user(id: "u1") { email } }', 'u1');
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ data: { user: { email: 'ada@example.com' } } });
    const admin = await post('{ users { email } }', 'admin');
    expect(admin.body).toEqual({
      data: {
        users: [
          { email: 'ada@example.com' },
          { email: 'bob@example.com' },
          { email: 'cy@example.com' },
        ],
      },
    });
  });

  it('checks owner-only fields on every item of a list', async () => {
    const res = await post('{ users { id email orders { id } } }', 'u2');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      users: [
        { id: 'u1', email: null, orders: null },
        { id: 'u2', email: 'bob@example.com', orders: [{ id: 'o2' }] },
        { id: 'u3', email: null, orders: null },
      ],
    });
    expect(res.body.errors?.map((e) => [e.message, e.path])).toEqual([
      ['Access denied to "User.email".', ['users', 0, 'email']],
      ['Access denied to "User.orders".', ['users', 0, 'orders']],
      ['Access denied to "User.email".', ['users', 2, 'email']],
      ['Access denied to "User.orders".', ['users', 2, 'orders']],
    ]);
    expect(spy).toEqual(['User.email:u2', 'User.orders:u2']);
    expect(events.map((e) => e.detail?.['path'])).toEqual([
      ['users', 0, 'email'],
      ['users', 0, 'orders'],
      ['users', 2, 'email'],
      ['users', 2, 'orders'],
    ]);
  });
});

describe('BOPLA: a field whose rule is static is refused before execution (403)', () => {
  it("refuses another account's password hash in every form", async () => {
    await expectRejected('{ user(id: "u2") { passwordHash } }', 'u1', ['user.passwordHash']);
    await expectRejected('{ u: user(id: "u2") { h: passwordHash } }', 'u1', ['u.h']);
    await expectRejected('{ user(id: "u2") { ... on User { passwordHash } } }', 'u1', [
      'user.passwordHash',
    ]);
    await expectRejected('{ user(id: "u2") { ...F } } fragment F on User { passwordHash }', 'u1', [
      'user.passwordHash',
    ]);
    await expectRejected('{ search(q: "x") { ... on User { passwordHash } } }', 'u1', [
      'search.passwordHash',
    ]);
  });

  it('refuses a protected field reached through an interface whose other implementations are public', async () => {
    // Bot.email is public, User.email is an owner rule, Admin.email needs `admin:read`.
    await expectRejected('{ accounts { id email } }', 'u1', ['accounts.email']);
    await expectRejected('{ accounts { ... on Account { email } } }', 'u1', ['accounts.email']);
    await expectRejected('{ accounts { ...A } } fragment A on Account { e: email }', 'u1', [
      'accounts.e',
    ]);
    await expectRejected('{ search(q: "x") { ... on Account { email } } }', 'u1', ['search.email']);
    await expectRejected('{ accounts { ... on Admin { permissions } } }', 'u1', [
      'accounts.permissions',
    ]);
  });

  it('lets the public implementation through when selected alone', async () => {
    const res = await post('{ accounts { ... on Bot { email } } }', 'u1');
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.text).toContain('bot@example.com');
    expect(res.text).not.toContain('root@example.com');
  });

  it('refuses an anonymous request to an @authenticated field', async () => {
    await expectRejected('{ me { id } }', null, ['me']);
  });
});

describe('BOPLA: writing a protected input field', () => {
  const one = 'mutation ($input: UpdateUserInput!) { updateUser(id: "u1", input: $input) { id } }';
  const many = 'mutation ($inputs: [UpdateUserInput!]!) { updateUsers(inputs: $inputs) { id } }';

  it('refuses `role` as a literal, nested and in lists', async () => {
    await expectRejected('mutation { updateUser(id: "u1", input: { role: ADMIN }) { id } }', 'u1', [
      'updateUser(input:).role',
    ]);
    await expectRejected(
      'mutation { updateUser(id: "u1", input: { name: "x", profile: { verified: true } }) { id } }',
      'u1',
      ['updateUser(input:).profile.verified'],
    );
    await expectRejected(
      'mutation { updateUsers(inputs: [{ name: "a" }, { role: ADMIN }]) { id } }',
      'u1',
      ['updateUsers(inputs:)[1].role'],
    );
  });

  it('refuses `role` through variables, nested and in lists', async () => {
    await expectRejected(one, 'u1', ['$input.role'], { input: { role: 'ADMIN' } });
    await expectRejected(one, 'u1', ['$input.profile.verified'], {
      input: { profile: { verified: true } },
    });
    await expectRejected(many, 'u1', ['$inputs[2].role'], {
      inputs: [{ name: 'a' }, { name: 'b' }, { role: 'ADMIN' }],
    });
  });

  it('runs the same mutation without the protected field, and with it for an admin', async () => {
    const res = await post(one, 'u1', { input: { name: 'Ada' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { updateUser: { id: 'u1' } } });
    expect(spy).toEqual(['Mutation.updateUser:u1']);
    spy.length = 0;
    const admin = await post(one, 'admin', { input: { role: 'ADMIN' } });
    expect(admin.status).toBe(200);
    expect(spy).toEqual(['Mutation.updateUser:u1']);
  });

  it('never yields a 500 for malformed variables', async () => {
    const res = await post(one, 'u1', { input: [1, 'x', null] });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(spy).toEqual([]);
  });
});

describe('BFLA: an admin-only mutation', () => {
  it('refuses a user and an anonymous caller, runs for an admin', async () => {
    await expectRejected('mutation { deleteUser(id: "u2") }', 'u1', ['deleteUser']);
    await expectRejected('mutation { gone: deleteUser(id: "u2") }', null, ['gone']);
    const res = await post('mutation { deleteUser(id: "u2") }', 'admin');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { deleteUser: true } });
    expect(spy).toEqual(['Mutation.deleteUser:u2']);
  });

  it('reports the rejection with the subject and the paths', async () => {
    await post('mutation Wipe { deleteUser(id: "u2") }', 'u1');
    expect(events).toEqual([
      expect.objectContaining({
        source: 'authz',
        outcome: 'rejected',
        code: 'FORBIDDEN',
        operationName: 'Wipe',
        subject: 'u1',
        detail: expect.objectContaining({ paths: ['deleteUser'], fields: ['Mutation.deleteUser'] }),
      }),
    ]);
  });
});

describe("BOLA: reading another buyer's order", () => {
  it('nulls the order, by id and in a list, without leaking it', async () => {
    const res = await post('{ order(id: "o2") { id total } orders { id total } }', 'u1');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      order: null,
      orders: [{ id: 'o1', total: 10 }, null, { id: 'o3', total: 30 }],
    });
    expect(res.body.errors?.map((e) => [e.message, e.path, e.extensions])).toEqual([
      ['Access denied to an object of type "Order".', ['order'], { code: 'FORBIDDEN' }],
      ['Access denied to an object of type "Order".', ['orders', 1], { code: 'FORBIDDEN' }],
    ]);
    expect(res.text).not.toContain('"o2"');
    expect(spy).not.toContain('Order.total:o2');
  });

  it('nulls it through a union as well', async () => {
    const res = await post('{ search(q: "x") { ... on Order { id buyerId } } }', 'u1');
    expect(res.text).not.toContain('"buyerId":"u2"');
    expect(res.body.errors?.map((e) => e.path)).toEqual([['search', 7]]);
  });
});

describe('the plugin', () => {
  it('refuses to start with a schema that was not wrapped', async () => {
    const authz = createAuthz({ defaultPolicy: 'allow', policies: shopPolicies });
    await expect(
      startTestServer({ schema: createShopSchema([]), plugins: [authzPlugin(authz)] }),
    ).rejects.toThrow(
      'The authz plugin needs the schema returned by authz.wrapSchema(schema); Apollo Server was given another one.',
    );
  });

  it('fails closed when the plugin is missing: the wrapped schema refuses to execute', async () => {
    const authz = createAuthz({ defaultPolicy: 'allow', policies: shopPolicies });
    const s = await startTestServer({
      schema: authz.wrapSchema(createShopSchema(spy)),
      context: async () => contextFor('admin'),
    });
    try {
      const res = await s.post({ query: '{ user(id: "u2") { passwordHash } }' });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        data: { user: null },
        errors: [
          {
            message: 'The operation was not authorized before execution.',
            locations: [{ line: 1, column: 3 }],
            path: ['user'],
            extensions: { code: 'FORBIDDEN' },
          },
        ],
      });
      expect(spy).toEqual([]);
    } finally {
      await s.stop();
    }
  });
});

describe('defaultPolicy deny', () => {
  let deny: TestServer;
  beforeAll(async () => {
    const authz = createAuthz({ defaultPolicy: 'deny', policies: shopPolicies });
    deny = await startTestServer({
      schema: authz.wrapSchema(createShopSchema(spy)),
      plugins: [authzPlugin(authz)],
      context: async ({ req }) => contextFor((req.headers['x-user'] as Who | undefined) ?? null),
    });
  });
  afterAll(async () => {
    await deny?.stop();
  });

  it('lets anyone read @public fields and types, and nothing else', async () => {
    const open = await deny.post({ query: '{ products { id name price } }' });
    expect(open.status).toBe(200);
    expect(open.body).toEqual({ data: { products: [{ id: 'p1', name: 'Lamp', price: 12.5 }] } });
    const closed = await deny.post({ query: '{ users { id name } }' });
    expect(closed.status).toBe(403);
    expect(closed.body.errors?.[0]?.message).toBe(
      'Access denied to "users", "users.id", "users.name".',
    );
    const signedIn = await deny.post({ query: '{ users { id name } }' }, { 'x-user': 'u1' });
    expect(signedIn.status).toBe(200);
  });
});

describe('operation resolution', () => {
  it('leaves a document with several operations and no name to Apollo: 400, nothing run', async () => {
    const res = await post(
      'query A { user(id: "u2") { email } } query B { user(id: "u3") { email } }',
      'u1',
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        message: 'Must provide operation name if query contains multiple operations.',
        extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
      },
    ]);
    expect(spy).toEqual([]);
  });

  it('checks the named one when a name is given', async () => {
    const res = await server.post(
      {
        query: 'query A { accounts { ... on Admin { email } } } query B { __typename }',
        operationName: 'A',
      },
      { 'x-user': 'u1' },
    );
    expect(res.status).toBe(403);
    expect(spy).toEqual([]);
  });
});
