import { buildSchema, parse, print } from 'graphql';
import type { DirectiveDefinitionNode, DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { AUTHZ_DIRECTIVES_SDL } from '@bulwark/authz';
import { rateLimitDirectiveTypeDefs } from '@bulwark/rate-limit';
import {
  SHOP_POLICIES,
  buildShopSchema,
  shopResolvers,
  shopTypeDefs,
} from '@bulwark/example-server';

const definitions = (doc: DocumentNode) =>
  doc.definitions
    .filter((d): d is DirectiveDefinitionNode => d.kind === 'DirectiveDefinition')
    .map((d) => print({ ...d, description: undefined }));

describe('schema.graphql', () => {
  it('carries the authz and rate-limit directive definitions exactly as the packages export them', () => {
    const own = definitions(parse(shopTypeDefs));
    for (const expected of definitions(
      parse(`${AUTHZ_DIRECTIVES_SDL}\n${rateLimitDirectiveTypeDefs}`),
    )) {
      expect(own).toContain(expected);
    }
    const jail = (sdl: string) =>
      print(
        parse(sdl).definitions.find(
          (d) => d.kind === 'InputObjectTypeDefinition' && d.name.value === 'RateLimitJail',
        )!,
      );
    expect(jail(shopTypeDefs)).toBe(jail(rateLimitDirectiveTypeDefs));
  });

  it('builds with plain buildSchema (the limits tests and the benchmark corpus use it)', () => {
    expect(() => buildSchema(shopTypeDefs)).not.toThrow();
  });

  it('names only registered policies', () => {
    const named = new Set(
      [...shopTypeDefs.matchAll(/@policy\(policies: (\[\[.*?\]\])\)/g)]
        .flatMap((m) => JSON.parse(m[1]!) as string[][])
        .flat(),
    );
    expect([...named].sort()).toEqual(Object.keys(SHOP_POLICIES).sort());
  });

  it('has no field that could expose a password hash', () => {
    expect(shopTypeDefs).not.toMatch(/passwordHash|hash\b/i);
  });
});

describe('buildShopSchema', () => {
  it('attaches every resolver', () => {
    const schema = buildShopSchema(shopResolvers());
    expect(schema.getQueryType()!.getFields()['products']!.resolve).toBeTypeOf('function');
    expect(schema.getMutationType()!.getFields()['login']!.resolve).toBeTypeOf('function');
  });

  it('refuses a resolver for a field or type the schema lacks', () => {
    expect(() => buildShopSchema({ Query: { nope: () => null } })).toThrow(
      new TypeError('Resolver for unknown field "Query.nope".'),
    );
    expect(() => buildShopSchema({ Nope: { a: () => null } })).toThrow(
      new TypeError('Resolvers for unknown type "Nope".'),
    );
  });
});
