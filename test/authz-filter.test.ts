import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authzPlugin, createAuthz } from '@bulwark/authz';
import { startTestServer } from './support/http.js';
import type { TestServer } from './support/http.js';
import {
  contextFor,
  createShopSchema,
  shopPolicies,
} from '../packages/authz/test/fixtures/shop.js';
import type { principals, Spy } from '../packages/authz/test/fixtures/shop.js';

// `filter` mode over real HTTP: partial data, one FORBIDDEN error per denied path, status 200,
// and denied resolvers never run.

type Who = keyof typeof principals;

const spy: Spy = [];
let server: TestServer;

beforeAll(async () => {
  const authz = createAuthz({ defaultPolicy: 'allow', mode: 'filter', policies: shopPolicies });
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
});

const post = (query: string, who: Who | null, variables?: Record<string, unknown>) =>
  server.post({ query, variables }, who ? { 'x-user': who } : {});

describe('filter mode', () => {
  it('returns partial data with an error at each denied path', async () => {
    const res = await post(
      `{
        accounts { id email }
        me { id passwordHash }
        products { name }
      }`,
      'u1',
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      accounts: [
        { id: 'u1', email: 'ada@example.com' },
        { id: 'u2', email: null },
        { id: 'u3', email: null },
        { id: 'a1', email: null },
        { id: 'b1', email: 'bot@example.com' },
      ],
      me: { id: 'u1', passwordHash: null },
      products: [{ name: 'Lamp' }],
    });
    expect(res.body.errors).toEqual([
      {
        message: 'Access denied to "User.email".',
        locations: [{ line: 2, column: 23 }],
        path: ['accounts', 1, 'email'],
        extensions: { code: 'FORBIDDEN' },
      },
      {
        message: 'Access denied to "User.email".',
        locations: [{ line: 2, column: 23 }],
        path: ['accounts', 2, 'email'],
        extensions: { code: 'FORBIDDEN' },
      },
      {
        message: 'Access denied to "Admin.email".',
        locations: [{ line: 2, column: 23 }],
        path: ['accounts', 3, 'email'],
        extensions: { code: 'FORBIDDEN' },
      },
      {
        message: 'Access denied to "User.passwordHash".',
        locations: [{ line: 3, column: 17 }],
        path: ['me', 'passwordHash'],
        extensions: { code: 'FORBIDDEN' },
      },
    ]);
    // The spy proves the denied resolvers never ran: only the own email resolved.
    expect(spy).toEqual(['User.email:u1']);
    expect(res.text).not.toContain('root@example.com');
    expect(res.text).not.toContain('"h1"');
  });

  it('filters an anonymous request down to what is public', async () => {
    const res = await post('{ me { id } products { id } }', null);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: { me: null, products: [{ id: 'p1' }] },
      errors: [
        {
          message: 'Access denied to "Query.me".',
          locations: [{ line: 1, column: 3 }],
          path: ['me'],
          extensions: { code: 'FORBIDDEN' },
        },
      ],
    });
  });

  it('always rejects mutations as a whole', async () => {
    const res = await post('mutation { deleteUser(id: "u2") }', 'u1');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      errors: [
        {
          message: 'Access denied to "deleteUser".',
          extensions: { code: 'FORBIDDEN', deniedPaths: ['deleteUser'] },
        },
      ],
    });
    const input = await post(
      'mutation ($i: UpdateUserInput!) { updateUser(id: "u1", input: $i) { id email } }',
      'u1',
      { i: { role: 'ADMIN' } },
    );
    expect(input.status).toBe(403);
    expect(input.body.errors?.[0]?.message).toBe('Access denied to "$i.role".');
    expect(spy).toEqual([]);
  });
});
