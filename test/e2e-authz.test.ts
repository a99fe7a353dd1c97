import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTarget } from '../examples/server/test/harness.js';
import type { Reply, Target, Who } from '../examples/server/test/harness.js';

// Broken object level (BOLA, OWASP API1), object property level (BOPLA, API3) and function
// level (API5) authorization, attacked as a logged-in customer would: other people's emails,
// addresses and orders by every path GraphQL offers, writes to other accounts, role changes,
// the admin area. Each attempt gets a 4xx FORBIDDEN and the data never leaves the server.

let t: Target;
const tokens = {} as Record<Who, string>;

beforeAll(async () => {
  t = await startTarget();
  for (const who of ['ada', 'grace', 'alan', 'sam'] as const) {
    tokens[who] = (await t.login(who)).accessToken;
  }
});
afterAll(() => t.stop());

const as = (who: Who | null, query: string, variables?: Record<string, unknown>) =>
  t.gql(query, { ...(who ? { token: tokens[who] } : {}), ...(variables ? { variables } : {}) });

/** A refusal before execution: 403, one error naming the denied paths, no data. */
function expectRejected(res: Reply, paths: string[]): void {
  expect(res.status).toBe(403);
  expect(res.body.data).toBeUndefined();
  expect(res.body.errors).toEqual([
    {
      message: `Access denied to ${paths.map((p) => `"${p}"`).join(', ')}.`,
      extensions: { code: 'FORBIDDEN', deniedPaths: paths },
    },
  ]);
}

/** A refusal on the object at resolution: 403, the value nulled, FORBIDDEN at its path. */
function expectFiltered(res: Reply, path: (string | number)[], message: string): void {
  expect(res.status).toBe(403);
  expect(res.body.errors?.map((e) => e.path)).toContainEqual(path);
  for (const error of res.body.errors ?? []) {
    expect(error.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(error.message).toBe(message);
  }
}

const VICTIM_EMAIL = 'alan@example.com';
const VICTIM_CITY = 'Berlin';

describe("BOPLA: reading another customer's email and address", () => {
  const reads: [string, string, (string | number)[]][] = [
    ['directly', '{ user(id: "u3") { id email } }', ['user', 'email']],
    ['by alias', '{ u: user(id: "u3") { id mail: email } }', ['u', 'mail']],
    ['in an inline fragment', '{ user(id: "u3") { ... on User { email } } }', ['user', 'email']],
    [
      'in a named fragment',
      '{ user(id: "u3") { ...C } } fragment C on User { email }',
      ['user', 'email'],
    ],
    ['through node()', '{ node(id: "u3") { ... on User { email } } }', ['node', 'email']],
    ['through the Account interface', '{ account(id: "u3") { email } }', ['account', 'email']],
    [
      'through the search union',
      '{ search(query: "alan") { ... on User { id email } } }',
      ['search', 0, 'email'],
    ],
    [
      'through a list',
      '{ users(first: 3) { nodes { id email } } }',
      ['users', 'nodes', 2, 'email'],
    ],
    [
      'through a review author',
      '{ product(id: "p1") { reviews(first: 5) { nodes { author { email } } } } }',
      ['product', 'reviews', 'nodes', 1, 'author', 'email'],
    ],
  ];

  for (const [how, query, path] of reads) {
    it(`refuses it ${how}`, async () => {
      const res = await as('grace', query);
      expectFiltered(res, path, 'Access denied to "User.email".');
      expect(res.text).not.toContain(VICTIM_EMAIL);
    });
  }

  it('refuses the address, however it is asked for', async () => {
    const res = await as('grace', '{ user(id: "u3") { a: address { city } } }');
    expectFiltered(res, ['user', 'a'], 'Access denied to "User.address".');
    expect(res.text).not.toContain(VICTIM_CITY);
  });

  it('refuses it to anonymous callers before execution', async () => {
    // `user` needs an access token; `email` (an owner check) is decided on the object.
    expectRejected(await as(null, '{ user(id: "u3") { email } }'), ['user']);
  });

  it('gives the owner their own data, and support and admins everyone’s', async () => {
    const own = await as('alan', '{ me { email address { city } } }');
    expect(own.status).toBe(200);
    expect(own.body.data).toEqual({ me: { email: VICTIM_EMAIL, address: { city: VICTIM_CITY } } });
    for (const who of ['sam', 'ada'] as const) {
      const res = await as(who, '{ user(id: "u3") { email address { city } } }');
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({
        user: { email: VICTIM_EMAIL, address: { city: VICTIM_CITY } },
      });
    }
  });

  it('shows the public profile to anyone, without the personal fields', async () => {
    const res = await as(
      null,
      '{ search(query: "alan") { ... on User { id handle displayName } } }',
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ search: [{ id: 'u3', handle: 'alan', displayName: 'Alan' }] });
  });

  it("refuses a customer the staff's internal fields", async () => {
    expectRejected(
      await as('grace', '{ account(id: "s1") { id ... on StaffMember { phoneExtension } } }'),
      ['account.phoneExtension'],
    );
    expectRejected(await as('grace', '{ product(id: "p1") { inventory } }'), ['product.inventory']);
    const staff = await as('sam', '{ product(id: "p1") { inventory } }');
    expect(staff.body.data).toEqual({ product: { inventory: 10 } });
  });
});

describe("BOLA: reading another customer's orders", () => {
  // o1 belongs to Ada (u1), o2 and o3 to Grace (u2), o4 to Alan (u3).
  it('refuses order(id:) of someone else, and does not say whether it exists', async () => {
    const other = await as('alan', '{ order(id: "o2") { id number total { amount } } }');
    expectFiltered(other, ['order'], 'Access denied to an object of type "Order".');
    expect(other.body.data).toEqual({ order: null });
    expect(other.text).not.toContain('2024-0002');
    const missing = await as('alan', '{ order(id: "o999") { id number } }');
    expect(missing.status).toBe(200);
    expect(missing.body.data).toEqual({ order: null });
  });

  it('refuses it through node() and through the buyer', async () => {
    const node = await as(
      'alan',
      '{ node(id: "o2") { ... on Order { number paymentReference } } }',
    );
    expectFiltered(node, ['node'], 'Access denied to an object of type "Order".');
    expect(node.text).not.toContain('pay_o2');
    const via = await as('alan', '{ user(id: "u2") { orders(first: 5) { nodes { id } } } }');
    expectFiltered(via, ['user', 'orders'], 'Access denied to "User.orders".');
    expect(via.text).not.toContain('"o2"');
  });

  it('gives buyers their orders, and support every order without payment references', async () => {
    const own = await as('grace', '{ order(id: "o2") { id paymentReference } }');
    expect(own.status).toBe(200);
    expect(own.body.data).toEqual({ order: { id: 'o2', paymentReference: 'pay_o2_secret' } });
    const support = await as('sam', '{ order(id: "o2") { id number } }');
    expect(support.body.data).toEqual({ order: { id: 'o2', number: '2024-0002' } });
    const reference = await as('sam', '{ order(id: "o2") { id paymentReference } }');
    expectFiltered(
      reference,
      ['order', 'paymentReference'],
      'Access denied to "Order.paymentReference".',
    );
    expect(reference.text).not.toContain('pay_o2');
  });
});

describe('BOLA and BOPLA on writes', () => {
  it("refuses updating another customer's profile, whether the id exists or not", async () => {
    for (const id of ['u3', 'u999']) {
      const res = await as(
        'grace',
        `mutation { updateUser(id: "${id}", input: { displayName: "pwned" }) { id } }`,
      );
      expect(res.status).toBe(403);
      expect(res.body.data).toBeNull();
      expect(res.body.errors).toEqual([
        {
          message: 'Access denied to "updateUser".',
          locations: [{ line: 1, column: 12 }],
          path: ['updateUser'],
          extensions: { code: 'FORBIDDEN', deniedPaths: ['updateUser'] },
        },
      ]);
    }
    expect(t.server.data.users.get('u3')?.displayName).toBe('Alan');
  });

  it('refuses changing a role (mass assignment): literal, variable, nested in a list', async () => {
    expectRejected(
      await as('grace', 'mutation { updateUser(id: "u2", input: { role: ADMIN }) { id role } }'),
      ['updateUser(input:).role'],
    );
    expectRejected(
      await as(
        'grace',
        'mutation($i: UpdateUserInput!) { updateUser(id: "u2", input: $i) { id } }',
        {
          i: { displayName: 'Grace', role: 'ADMIN' },
        },
      ),
      ['$i.role'],
    );
    expectRejected(
      await as('grace', 'mutation($i: [UpdateUserInput!]!) { updateUsers(inputs: $i) { id } }', {
        i: [{ displayName: 'x' }, { role: 'ADMIN' }],
      }),
      ['updateUsers', '$i[1].role'],
    );
    expect(t.server.data.users.get('u2')?.role).toBe('CUSTOMER');
    expect(t.server.data.users.get('u2')?.displayName).toBe('Grace');
  });

  it('refuses a role change to support staff too: admins only', async () => {
    expectRejected(
      await as('sam', 'mutation { updateUser(id: "u2", input: { role: SUPPORT }) { id } }'),
      ['updateUser(input:).role'],
    );
  });

  it('lets customers edit their own profile and admins change roles', async () => {
    const own = await as(
      'grace',
      'mutation { updateUser(id: "u2", input: { displayName: "Grace H." }) { displayName } }',
    );
    expect(own.status).toBe(200);
    expect(own.body.data).toEqual({ updateUser: { displayName: 'Grace H.' } });
    const admin = await as(
      'ada',
      'mutation { updateUser(id: "u4", input: { role: SUPPORT }) { id role } }',
    );
    expect(admin.body.data).toEqual({ updateUser: { id: 'u4', role: 'SUPPORT' } });
  });

  it('validates what an owner may write (400, nothing stored)', async () => {
    const res = await as(
      'grace',
      `mutation { updateUser(id: "u2", input: { displayName: "${'x'.repeat(65)}" }) { id } }`,
    );
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    const taken = await as(
      'grace',
      'mutation { updateUser(id: "u2", input: { email: "alan@example.com" }) { id } }',
    );
    expect(taken.status).toBe(400);
    expect(taken.body.errors?.[0]?.message).toBe('"email" is already in use.');
    expect(t.server.data.users.get('u2')?.email).toBe('grace@example.com');
  });

  it('refuses deleting a user to anyone but an admin', async () => {
    expectRejected(await as('grace', 'mutation { deleteUser(id: "u3") }'), ['deleteUser']);
    expectRejected(await as('sam', 'mutation { deleteUser(id: "u3") }'), ['deleteUser']);
    expect(t.server.data.users.has('u3')).toBe(true);
  });

  it('places an order for the caller only, whatever the input says', async () => {
    const res = await as(
      'alan',
      'mutation { placeOrder(input: { items: [{ productId: "p1", quantity: 1 }] }) { id buyer { id } } }',
    );
    expect(res.status).toBe(200);
    expect((res.body.data?.['placeOrder'] as { buyer: { id: string } }).buyer.id).toBe('u3');
    const bad = await as(
      'alan',
      'mutation { placeOrder(input: { items: [{ productId: "p1", quantity: 1000 }] }) { id } }',
    );
    expect(bad.status).toBe(400);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('function level: the admin area', () => {
  const ADMIN =
    '{ admin { stats { users orders revenue { amount } } auditLog(first: 5) { action } } }';

  it('refuses it to customers, support and anonymous callers before execution', async () => {
    const paths = [
      'admin',
      'admin.stats',
      'admin.stats.users',
      'admin.stats.orders',
      'admin.stats.revenue',
      'admin.auditLog',
      'admin.auditLog.action',
    ];
    expectRejected(await as(null, ADMIN), paths);
    // Logged in, only the admin-only fields are left (Stats and AuditEntry need a login).
    for (const who of ['grace', 'sam'] as const) {
      expectRejected(await as(who, ADMIN), ['admin', 'admin.stats', 'admin.auditLog']);
    }
  });

  it('opens it to admins', async () => {
    const res = await as('ada', ADMIN);
    expect(res.status).toBe(200);
    expect(res.body.data?.['admin']).toMatchObject({ stats: { users: 8 } });
  });
});

it('never let a denied value through, and answered every attempt with a 4xx', () => {
  const statuses = t.logs
    .filter((l) => l['bulwark'] === 'request')
    .map((l) => l['status'] as number);
  expect(statuses.filter((s) => s >= 500)).toEqual([]);
  const denied = t.events.filter((e) => e.code === 'FORBIDDEN' && e.source === 'authz');
  expect(denied.length).toBeGreaterThan(20);
  expect(denied.every((e) => e.outcome === 'rejected')).toBe(true);
});
