import { readFileSync } from 'node:fs';
import { buildSchema, isAbstractType, isObjectType, isScalarType } from 'graphql';
import type {
  GraphQLFieldResolver,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLTypeResolver,
} from 'graphql';

/**
 * The example's SDL. Read from src/ both when running from sources (tests) and from dist/
 * (the built server), so there is one copy of it.
 */
export const shopTypeDefs = readFileSync(new URL('../src/schema.graphql', import.meta.url), 'utf8');

type ResolverMap = Record<
  string,
  | GraphQLScalarType
  | Record<string, GraphQLFieldResolver<never, never> | GraphQLTypeResolver<never, never>>
>;

/**
 * Builds the executable schema: the SDL with the resolvers attached (what graphql-tools'
 * `makeExecutableSchema` does, in a few lines). A resolver for a type or field the SDL lacks is
 * refused, so a typo never leaves a field on the default resolver.
 */
export function buildShopSchema(resolvers: ResolverMap): GraphQLSchema {
  const schema = buildSchema(shopTypeDefs);
  for (const [typeName, value] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (isScalarType(type)) {
      const impl = value as GraphQLScalarType;
      Object.assign(type, {
        serialize: impl.serialize,
        parseValue: impl.parseValue,
        parseLiteral: impl.parseLiteral,
      });
    } else if (isObjectType(type)) {
      const fields = type.getFields();
      for (const [fieldName, resolve] of Object.entries(value)) {
        const field = fields[fieldName];
        if (!field) throw new TypeError(`Resolver for unknown field "${typeName}.${fieldName}".`);
        field.resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
      }
    } else if (isAbstractType(type)) {
      const resolveType = (value as Record<string, unknown>)['__resolveType'];
      type.resolveType = resolveType as GraphQLTypeResolver<unknown, unknown>;
    } else {
      throw new TypeError(`Resolvers for unknown type "${typeName}".`);
    }
  }
  return schema;
}
