import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createPrincipal, MAX_WALK_DEPTH } from '@bulwark/core';
import type { SecurityEvent } from '@bulwark/core';
import { AUTHZ_DIRECTIVES_SDL, createAuthz, requestPolicy } from '../src/index.js';
import type { AuthorizeResult } from '../src/index.js';
import { contextFor, createShopSchema, shopPolicies } from './fixtures/shop.js';
import type { principals } from './fixtures/shop.js';

const events: SecurityEvent[] = [];
const authz = createAuthz({
  defaultPolicy: 'allow',
  policies: shopPolicies,
  onEvent: (e) => events.push(e),
});
const schema = authz.wrapSchema(createShopSchema([]));

type Who = keyof typeof principals | null;

function authorize(
  query: string,
  who: Who,
  variables?: Record<string, unknown>,
  operationName?: string,
): Promise<AuthorizeResult> {
  return authz.authorize({
    schema,
    document: parse(query),
    operationName,
    variableValues: variables,
    contextValue: contextFor(who),
  });
}

/** Asserts the operation is rejected and returns the exact message and denied paths. */
async function expectDenied(
  query: string,
  who: Who,
  variables?: Record<string, unknown>,
  operationName?: string,
) {
  const r = await authorize(query, who, variables, operationName);
  if (r.ok) throw new Error(`expected a denial of ${query}`);
  expect(r.error.extensions['code']).toBe('FORBIDDEN');
  expect(r.error.extensions['http']).toEqual({ status: 403, headers: new Map() });
  return { message: r.error.message, paths: r.error.extensions['deniedPaths'] };
}

async function expectAllowed(
  query: string,
  who: Who,
  variables?: Record<string, unknown>,
  operationName?: string,
) {
  const r = await authorize(query, who, variables, operationName);
  expect(r).toEqual({ ok: true, filtered: [] });
}

describe('fields, however they are selected', () => {
  it('denies a field the principal lacks the scope for, by response path', async () => {
    expect(await expectDenied('{ user(id: "u2") { passwordHash } }', 'u1')).toEqual({
      message: 'Access denied to "user.passwordHash".',
      paths: ['user.passwordHash'],
    });
    await expectAllowed('{ user(id: "u2") { passwordHash } }', 'admin');
  });

  it('follows aliases, inline fragments and named fragments', async () => {
    expect(
      await expectDenied('{ a: user(id: "u2") { secret: passwordHash } }', 'u1'),
    ).toMatchObject({ paths: ['a.secret'] });
    expect(
      await expectDenied('{ user(id: "u2") { ... on User { passwordHash } } }', 'u1'),
    ).toMatchObject({ paths: ['user.passwordHash'] });
    expect(
      await expectDenied(
        '{ user(id: "u2") { ...F } } fragment F on User { p: passwordHash }',
        'u1',
      ),
    ).toMatchObject({ paths: ['user.p'] });
    expect(
      await expectDenied(
        '{ ...Q } fragment Q on Query { user(id: "u2") { ...F } } fragment F on User { passwordHash }',
        'u1',
      ),
    ).toMatchObject({ paths: ['user.passwordHash'] });
  });

  it('checks a selection on an interface against every implementation', async () => {
    // Admin.email needs `admin:read`; User.email is an owner rule; Bot.email is public.
    expect(await expectDenied('{ accounts { email } }', 'u1')).toEqual({
      message: 'Access denied to "accounts.email".',
      paths: ['accounts.email'],
    });
    expect(await expectDenied('{ accounts { ... on Admin { email } } }', 'u1')).toMatchObject({
      paths: ['accounts.email'],
    });
    await expectAllowed('{ accounts { ... on Bot { email } } }', 'u1');
    await expectAllowed('{ accounts { ... on User { email } } }', 'u1');
    await expectAllowed('{ accounts { email } }', 'admin');
  });

  it('narrows an interface fragment to the types that can answer where it is spread', async () => {
    // Only a User can answer `user`: the Account fragment cannot read Admin.email there.
    const fragment = 'fragment A on Account { id email }';
    await expectAllowed(`{ user(id: "u2") { ...A } } ${fragment}`, 'u1');
    await expectAllowed(`{ user(id: "u2") { ... on Account { email } } }`, 'u1');
    expect(await expectDenied(`{ accounts { ...A } } ${fragment}`, 'u1')).toMatchObject({
      paths: ['accounts.email'],
    });
    expect(
      await expectDenied(`{ search(q: "x") { ... on Account { ...A } } } ${fragment}`, 'u1'),
    ).toMatchObject({ paths: ['search.email'] });
    // A fragment on a type that cannot answer at all selects nothing.
    await expectAllowed(`{ user(id: "u2") { ... on Admin { email } } }`, 'u1');
  });

  it('checks union members', async () => {
    expect(
      await expectDenied('{ search(q: "x") { ... on Admin { email permissions } } }', 'u1'),
    ).toEqual({
      message: 'Access denied to "search.email", "search.permissions".',
      paths: ['search.email', 'search.permissions'],
    });
    expect(
      await expectDenied('{ search(q: "x") { ... on Account { email } } }', 'u2'),
    ).toMatchObject({ paths: ['search.email'] });
  });

  it('denies anonymous requests to @authenticated fields', async () => {
    expect(await expectDenied('{ me { id } }', null)).toMatchObject({ paths: ['me'] });
    await expectAllowed('{ me { id } }', 'u1');
  });

  it('lists several denied paths, and counts the ones past the limit', async () => {
    const fields = Array.from({ length: 12 }, (_, i) => `p${i}: passwordHash`).join(' ');
    const { message, paths } = await expectDenied(`{ user(id: "u1") { ${fields} } }`, 'u1');
    expect(paths).toHaveLength(10);
    expect(message).toBe(
      `Access denied to ${Array.from({ length: 10 }, (_, i) => `"user.p${i}"`).join(', ')} and 2 more.`,
    );
  });

  it('picks the operation graphql-js would run', async () => {
    const doc = 'query A { products { id } } query B { user(id: "u2") { passwordHash } }';
    await expectAllowed(doc, 'u1', undefined, 'A');
    expect(await expectDenied(doc, 'u1', undefined, 'B')).toMatchObject({
      paths: ['user.passwordHash'],
    });
  });

  it('survives fragment cycles and unknown fields or fragments (validation reports them)', async () => {
    expect(
      await expectDenied(
        '{ user(id: "u1") { ...A } } fragment A on User { passwordHash ...B } fragment B on User { ...A nope ...Missing }',
        'u1',
      ),
    ).toMatchObject({ paths: ['user.passwordHash'] });
  });

  it('names the denied coordinates when the paths are too many to walk (fragment fan-out)', async () => {
    const n = 24;
    // F0 spreads F1 twice, F1 spreads F2 twice...: 2^23 paths to the one denied field.
    const fragments = Array.from({ length: n }, (_, i) =>
      i === n - 1
        ? `fragment F${i} on User { passwordHash }`
        : `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    const started = performance.now();
    const { message } = await expectDenied(`{ user(id: "u1") { ...F0 } }\n${fragments}`, 'u1');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(message).toBe('Access denied to "user.passwordHash", "User.passwordHash".');
  });

  it('refuses an operation nested deeper than the analysis walks', async () => {
    const deep = `{ ${'user(id: "u1") { orders { '.repeat(MAX_WALK_DEPTH)} id ${'} } '.repeat(MAX_WALK_DEPTH)} }`;
    const r = await authorize(deep, 'admin');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toBe('The operation is nested too deeply to be authorized.');
  });
});

describe('arguments and input fields', () => {
  const update = `mutation ($input: UpdateUserInput!) { updateUser(id: "u1", input: $input) { id } }`;

  it('denies a protected input field in a literal, nested and in lists', async () => {
    expect(
      await expectDenied('mutation { updateUser(id: "u1", input: { role: ADMIN }) { id } }', 'u1'),
    ).toEqual({
      message: 'Access denied to "updateUser(input:).role".',
      paths: ['updateUser(input:).role'],
    });
    expect(
      await expectDenied(
        'mutation { updateUser(id: "u1", input: { profile: { verified: true } }) { id } }',
        'u1',
      ),
    ).toMatchObject({ paths: ['updateUser(input:).profile.verified'] });
    expect(
      await expectDenied(
        'mutation { updateUsers(inputs: [{ name: "x" }, { role: ADMIN }]) { id } }',
        'u1',
      ),
    ).toMatchObject({ paths: ['updateUsers(inputs:)[1].role'] });
    await expectAllowed(
      'mutation { updateUser(id: "u1", input: { name: "Ada", profile: { bio: "hi" } }) { id } }',
      'u1',
    );
    await expectAllowed(
      'mutation { updateUser(id: "u1", input: { role: ADMIN }) { id } }',
      'admin',
    );
  });

  it('denies a protected input field supplied through variables, nested and in lists', async () => {
    expect(await expectDenied(update, 'u1', { input: { role: 'ADMIN' } })).toEqual({
      message: 'Access denied to "$input.role".',
      paths: ['$input.role'],
    });
    expect(
      await expectDenied(update, 'u1', { input: { profile: { verified: true } } }),
    ).toMatchObject({ paths: ['$input.profile.verified'] });
    expect(
      await expectDenied(
        'mutation ($inputs: [UpdateUserInput!]!) { updateUsers(inputs: $inputs) { id } }',
        'u1',
        { inputs: [{ name: 'a' }, { name: 'b', role: 'ADMIN' }] },
      ),
    ).toMatchObject({ paths: ['$inputs[1].role'] });
    // A single value where a list is expected is coerced to a list of one: still walked.
    expect(
      await expectDenied(
        'mutation ($inputs: [UpdateUserInput!]!) { updateUsers(inputs: $inputs) { id } }',
        'u1',
        { inputs: { role: 'ADMIN' } },
      ),
    ).toMatchObject({ paths: ['$inputs.role'] });
    // A variable nested inside a literal.
    expect(
      await expectDenied(
        'mutation ($p: ProfileInput) { updateUser(id: "u1", input: { profile: $p }) { id } }',
        'u1',
        { p: { verified: false } },
      ),
    ).toMatchObject({ paths: ['$p.verified'] });
    // Writing null is writing.
    expect(await expectDenied(update, 'u1', { input: { role: null } })).toMatchObject({
      paths: ['$input.role'],
    });
    await expectAllowed(update, 'u1', { input: { name: 'Ada' } });
    await expectAllowed(update, 'admin', { input: { role: 'ADMIN' } });
  });

  it("walks the operation's default value when the variable is absent", async () => {
    expect(
      await expectDenied(
        'mutation ($input: UpdateUserInput! = { role: ADMIN }) { updateUser(id: "u1", input: $input) { id } }',
        'u1',
        {},
      ),
    ).toMatchObject({ paths: ['$input.role'] });
  });

  it('ignores keys that are not fields and does not crash on odd variables', async () => {
    await expectAllowed(update, 'u1', { input: { __proto__: { role: 'ADMIN' }, nope: 1 } });
    await expectAllowed(update, 'u1', { input: 'not an object' });
    const r = await authz.authorize({
      schema,
      document: parse(update),
      variableValues: ['odd'] as unknown as Record<string, unknown>,
      contextValue: contextFor('u1'),
    });
    expect(r.ok).toBe(true);
  });

  it('walks deeply nested variables without overflowing the stack', async () => {
    let value: Record<string, unknown> = { name: 'x' };
    for (let i = 0; i < 20_000; i++) value = { name: 'x', profile: value };
    await expectAllowed(update, 'u1', { input: value });
  });

  it('denies a protected argument', async () => {
    const a = createAuthz({ defaultPolicy: 'allow' });
    const s = a.wrapSchema(
      buildSchema(`${AUTHZ_DIRECTIVES_SDL}
        type User { id: ID! }
        type Query { users(includeDeleted: Boolean @requiresScopes(scopes: [["admin:read"]])): [User!]! }`),
    );
    const r = await a.authorize({
      schema: s,
      document: parse('{ users(includeDeleted: true) { id } }'),
      contextValue: contextFor('u1'),
    });
    expect(!r.ok && r.error.message).toBe('Access denied to "users(includeDeleted:)".');
    const ok = await a.authorize({
      schema: s,
      document: parse('{ users { id } }'),
      contextValue: contextFor('u1'),
    });
    expect(ok.ok).toBe(true);
  });
});

describe('request policies', () => {
  it('runs each request policy once per request, and awaits asynchronous ones', async () => {
    let calls = 0;
    const a = createAuthz({
      defaultPolicy: 'allow',
      policies: {
        ...shopPolicies,
        admin: requestPolicy(async ({ principal }) => {
          calls++;
          await Promise.resolve();
          return principal?.roles.includes('admin') === true;
        }),
      },
    });
    const s = a.wrapSchema(createShopSchema([]));
    const q = parse(
      '{ accounts { ... on Admin { permissions } } x: accounts { ... on Admin { permissions } } }',
    );
    expect(
      (await a.authorize({ schema: s, document: q, contextValue: contextFor('admin') })).ok,
    ).toBe(true);
    expect(calls).toBe(1);
    expect((await a.authorize({ schema: s, document: q, contextValue: contextFor('u1') })).ok).toBe(
      false,
    );
    expect(calls).toBe(2);
  });

  it('denies when a policy throws, and reports it', async () => {
    const seen: SecurityEvent[] = [];
    const a = createAuthz({
      defaultPolicy: 'allow',
      policies: {
        ...shopPolicies,
        admin: requestPolicy(() => {
          throw new Error('directory down');
        }),
      },
      onEvent: (e) => seen.push(e),
    });
    const s = a.wrapSchema(createShopSchema([]));
    expect(seen.map((e) => e.code)).toEqual(['SENSITIVE_FIELD_WITHOUT_RULE']);
    seen.length = 0;
    const r = await a.authorize({
      schema: s,
      document: parse('mutation { deleteUser(id: "u2") }'),
      contextValue: contextFor('admin'),
    });
    expect(!r.ok && r.error.message).toBe('Access denied to "deleteUser".');
    expect(seen.map((e) => [e.code, e.outcome])).toEqual([
      ['POLICY_ERROR', 'warning'],
      ['FORBIDDEN', 'rejected'],
    ]);
    expect(seen[0]!.detail).toEqual({ policy: 'admin', error: 'directory down' });
  });

  it('treats a truthy non-boolean as a denial', async () => {
    const a = createAuthz({
      defaultPolicy: 'allow',
      policies: { ...shopPolicies, admin: requestPolicy(() => 'yes' as unknown as boolean) },
    });
    const s = a.wrapSchema(createShopSchema([]));
    const r = await a.authorize({
      schema: s,
      document: parse('mutation { deleteUser(id: "u2") }'),
      contextValue: contextFor('admin'),
    });
    expect(r.ok).toBe(false);
  });
});

describe('events', () => {
  it('reports a rejection with the subject, the paths and the denied coordinates', async () => {
    events.length = 0;
    await expectDenied('query Q { a: accounts { email } }', 'u1');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'authz',
      outcome: 'rejected',
      code: 'FORBIDDEN',
      operationName: 'Q',
      subject: 'u1',
      reason: 'Operation denied: "Admin.email".',
      detail: {
        mode: 'reject',
        paths: ['a.email'],
        fields: ['Admin.email'],
        arguments: [],
        inputFields: [],
      },
    });
  });
});

describe('principals', () => {
  it('reads the principal with getPrincipal', async () => {
    const a = createAuthz({
      defaultPolicy: 'allow',
      policies: shopPolicies,
      getPrincipal: (ctx: { user?: string }) =>
        ctx.user ? createPrincipal({ subject: ctx.user, scopes: ['internal'] }) : null,
    });
    const s = a.wrapSchema(createShopSchema([]));
    const document = parse('{ user(id: "u1") { passwordHash } }');
    expect((await a.authorize({ schema: s, document, contextValue: { user: 'x' } })).ok).toBe(true);
    expect((await a.authorize({ schema: s, document, contextValue: {} })).ok).toBe(false);
  });
});
