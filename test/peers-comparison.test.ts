import { createRequire } from 'node:module';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { ValidationRule } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLimits } from '@bulwark/limits';
import { withoutSuggestions } from '@bulwark/introspection';
import { startTestServer } from './support/http.js';
import type { TestServer } from './support/http.js';

/**
 * The behaviour of the peers that the root README compares Bulwark with, pinned on the same
 * server and the same requests, so that every claim in the comparison table is reproducible.
 */

interface ArmorProtection {
  plugins: ApolloServerPlugin<BaseContext>[];
  validationRules: ValidationRule[];
  allowBatchedHttpRequests: boolean;
}
const { ApolloArmor } = createRequire(import.meta.url)('@escape.tech/graphql-armor') as {
  ApolloArmor: new (config: object) => { protect(): ArmorProtection };
};

const typeDefs = `
  enum Role { ADMIN CUSTOMER }
  type Q { b: Q c: Int name: String }
  type Query { a: Q r(role: Role): Int }
`;
const resolvers = {
  Query: { a: () => ({ c: 1, name: 'n' }), r: () => 1 },
  Q: { b: () => ({ c: 2 }) },
};

const fragmentQuery = '{ a { ...F } } fragment F on Q { ...G } fragment G on Q { c }';
const tokenFlood = `{ a { ${'c '.repeat(60)} } }`;

describe('GraphQL Armor and Bulwark on the same requests', () => {
  let armor: TestServer;
  let bulwark: TestServer;
  beforeAll(async () => {
    const protection = new ApolloArmor({
      maxDepth: { n: 3 },
      maxTokens: { n: 50 },
      blockFieldSuggestion: { enabled: true },
    }).protect();
    armor = await startTestServer({
      typeDefs,
      resolvers,
      plugins: protection.plugins,
      validationRules: protection.validationRules,
    });
    const limits = createLimits({ maxDepth: 3, maxTokens: 50 });
    bulwark = await startTestServer({
      typeDefs,
      resolvers,
      plugins: [...limits.plugins],
      validationRules: [...limits.validationRules],
      parseOptions: limits.parseOptions,
      formatError: withoutSuggestions(),
    });
  });
  afterAll(async () => {
    await armor.stop();
    await bulwark.stop();
  });

  it("token limit: Armor's Apollo plugin throws before validation and answers 500; Bulwark 400", async () => {
    const a = await armor.post({ query: tokenFlood });
    expect(a.status).toBe(500);
    const b = await bulwark.post({ query: tokenFlood });
    expect(b.status).toBe(400);
    expect(b.body.errors![0]!.extensions!['code']).toBe('TOKEN_LIMIT_EXCEEDED');
  });

  it('depth through fragments: Armor counts each spread as a level; Bulwark counts fields', async () => {
    const a = await armor.post({ query: fragmentQuery });
    expect(a.status).toBe(400);
    expect(a.body.errors![0]!.message).toBe(
      'Syntax Error: Query depth limit of 3 exceeded, found 6.',
    );
    const b = await bulwark.post({ query: fragmentQuery });
    expect(b.status).toBe(200);
    expect(b.body.data).toEqual({ a: { c: 1 } });
  });

  it('enum suggestions: Armor hides field suggestions only; Bulwark strips every one', async () => {
    const literal = '{ r(role: ADMN) }';
    const variable = { query: 'query ($r: Role) { r(role: $r) }', variables: { r: 'ADMN' } };
    const a1 = await armor.post({ query: literal });
    expect(a1.body.errors![0]!.message).toBe(
      'Value "ADMN" does not exist in "Role" enum. Did you mean the enum value "ADMIN"?',
    );
    const a2 = await armor.post(variable);
    expect(a2.body.errors![0]!.message).toMatch(/Did you mean the enum value "ADMIN"\?$/);
    const b1 = await bulwark.post({ query: literal });
    expect(b1.body.errors![0]!.message).toBe('Value "ADMN" does not exist in "Role" enum.');
    const b2 = await bulwark.post(variable);
    expect(b2.body.errors![0]!.message).not.toMatch(/Did you mean|ADMIN/);
  });
});
