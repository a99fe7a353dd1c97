import { applyMiddleware } from 'graphql-middleware';
import { allow, or, shield } from 'graphql-shield';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createShieldRules } from '@bulwark/authz/shield';
import { startTestServer } from './support/http.js';
import type { TestServer } from './support/http.js';
import {
  contextFor,
  createShopSchema,
  shopPolicies,
} from '../packages/authz/test/fixtures/shop.js';
import type { principals, Spy } from '../packages/authz/test/fixtures/shop.js';

// The graphql-shield subpath on a real server: graphql-shield 7 + graphql-middleware 6 over
// Apollo Server 5, with the same principal and the same policies as the directives.

type Who = keyof typeof principals;

const spy: Spy = [];
let server: TestServer;

beforeAll(async () => {
  const { isAuthenticated, hasScopes, hasRole, policy } = createShieldRules({
    policies: shopPolicies,
  });
  const permissions = shield(
    {
      Query: { me: isAuthenticated },
      User: {
        email: or(policy('owner'), policy('admin')),
        passwordHash: hasScopes('internal'),
      },
      Admin: { email: hasScopes('admin:read') },
      Mutation: { deleteUser: hasRole('admin'), updateUser: isAuthenticated },
    },
    { fallbackRule: allow },
  );
  server = await startTestServer({
    schema: applyMiddleware(createShopSchema(spy), permissions),
    context: async ({ req }) => contextFor((req.headers['x-user'] as Who | undefined) ?? null),
  });
});

afterAll(async () => {
  await server?.stop();
});

beforeEach(() => {
  spy.length = 0;
});

const post = (query: string, who: Who | null) =>
  server.post({ query }, who ? { 'x-user': who } : {});

describe('graphql-shield rules on the Bulwark principal', () => {
  it("denies another user's email with an object policy, per item, without running its resolver", async () => {
    const res = await post('{ users { id email } }', 'u1');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      users: [
        { id: 'u1', email: 'ada@example.com' },
        { id: 'u2', email: null },
        { id: 'u3', email: null },
      ],
    });
    expect(res.body.errors?.map((e) => [e.message, e.path, e.extensions])).toEqual([
      ['Access denied to "User.email".', ['users', 1, 'email'], { code: 'FORBIDDEN' }],
      ['Access denied to "User.email".', ['users', 2, 'email'], { code: 'FORBIDDEN' }],
    ]);
    expect(spy).toEqual(['User.email:u1']);
  });

  it('allows through a request policy (admin) and scopes', async () => {
    const res = await post('{ users { email passwordHash } }', 'admin');
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(spy.filter((s) => s.startsWith('User.email'))).toHaveLength(3);
  });

  it('denies a missing scope, a missing role and an anonymous caller', async () => {
    const scope = await post('{ user(id: "u1") { passwordHash } }', 'u1');
    expect(scope.body).toEqual({
      data: { user: { passwordHash: null } },
      errors: [
        {
          message: 'Access denied to "User.passwordHash".',
          locations: [{ line: 1, column: 20 }],
          path: ['user', 'passwordHash'],
          extensions: { code: 'FORBIDDEN' },
        },
      ],
    });
    const role = await post('mutation { deleteUser(id: "u2") }', 'u1');
    expect(role.status).toBe(200);
    expect(role.body.data).toEqual({ deleteUser: null });
    expect(role.body.errors?.[0]?.message).toBe('Access denied to "Mutation.deleteUser".');
    const anonymous = await post('{ me { id } }', null);
    expect(anonymous.body.errors?.[0]?.message).toBe('Access denied to "Query.me".');
    expect(spy).toEqual([]);
  });

  it('runs the admin-only mutation for an admin', async () => {
    const res = await post('mutation { deleteUser(id: "u2") }', 'admin');
    expect(res.body).toEqual({ data: { deleteUser: true } });
    expect(spy).toEqual(['Mutation.deleteUser:u2']);
  });
});

describe('createShieldRules', () => {
  it('refuses an unregistered policy and empty arguments at construction', () => {
    const rules = createShieldRules({ policies: shopPolicies });
    expect(() => rules.policy('nope')).toThrow(new TypeError('Policy "nope" is not registered.'));
    expect(() => rules.hasScopes()).toThrow('`hasScopes` needs at least one scope.');
    expect(() => rules.hasRole('')).toThrow('`hasRole role` must be a non-empty string, got "".');
    expect(() => createShieldRules({ getPrincipal: 'x' as never })).toThrow(
      '`getPrincipal` must be a function, got "x".',
    );
  });
});
