import {
  GraphQLDirective,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLUnionType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isSpecifiedDirective,
  isSpecifiedScalarType,
  isUnionType,
} from 'graphql';
import type {
  GraphQLArgumentConfig,
  GraphQLFieldConfig,
  GraphQLFieldConfigArgumentMap,
  GraphQLNamedType,
  GraphQLType,
  GraphQLTypeResolver,
} from 'graphql';

/** How {@link rebuildSchema} changes resolvers. */
export interface RebuildHooks {
  /** A replacement config for a field of an object type, or `undefined` to keep it as is. */
  field(
    type: GraphQLObjectType,
    name: string,
    config: GraphQLFieldConfig<unknown, unknown>,
  ): GraphQLFieldConfig<unknown, unknown> | undefined;
  /** A replacement type resolver for an interface or a union, or `undefined` to keep it. */
  resolveType(
    type: GraphQLInterfaceType | GraphQLUnionType,
    resolveType: GraphQLTypeResolver<unknown, unknown> | null | undefined,
  ): GraphQLTypeResolver<unknown, unknown> | undefined;
}

/**
 * A copy of `schema` whose resolvers are changed by `hooks`; the original is left untouched.
 * Every named type is rebuilt from its config (AST nodes and extensions kept) so that all
 * references point into the copy; specified scalars and introspection types are shared.
 */
export function rebuildSchema(schema: GraphQLSchema, hooks: RebuildHooks): GraphQLSchema {
  const config = schema.toConfig();
  const types = new Map<string, GraphQLNamedType>();

  const named = <T extends GraphQLNamedType>(type: T): T => types.get(type.name) as T;
  const ref = <T extends GraphQLType>(type: T): T => {
    if (isListType(type)) return new GraphQLList(ref(type.ofType)) as T;
    if (isNonNullType(type)) return new GraphQLNonNull(ref(type.ofType)) as T;
    return named(type as GraphQLNamedType) as T;
  };
  const args = (map: GraphQLFieldConfigArgumentMap | undefined): GraphQLFieldConfigArgumentMap => {
    const out: Record<string, GraphQLArgumentConfig> = {};
    for (const [name, arg] of Object.entries(map ?? {}))
      out[name] = { ...arg, type: ref(arg.type) };
    return out;
  };

  const copy = (type: GraphQLNamedType): GraphQLNamedType => {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) return type;
    if (isScalarType(type)) return new GraphQLScalarType(type.toConfig());
    if (isEnumType(type)) return new GraphQLEnumType(type.toConfig());
    if (isObjectType(type)) {
      const c = type.toConfig();
      return new GraphQLObjectType({
        ...c,
        interfaces: () => c.interfaces.map(named),
        fields: () => {
          const out: Record<string, GraphQLFieldConfig<unknown, unknown>> = {};
          for (const [name, field] of Object.entries(c.fields)) {
            const f = { ...field, type: ref(field.type), args: args(field.args) };
            out[name] = hooks.field(type, name, f) ?? f;
          }
          return out;
        },
      });
    }
    if (isInterfaceType(type)) {
      const c = type.toConfig();
      return new GraphQLInterfaceType({
        ...c,
        resolveType: hooks.resolveType(type, c.resolveType) ?? c.resolveType,
        interfaces: () => c.interfaces.map(named),
        fields: () => {
          const out: Record<string, GraphQLFieldConfig<unknown, unknown>> = {};
          for (const [name, field] of Object.entries(c.fields))
            out[name] = { ...field, type: ref(field.type), args: args(field.args) };
          return out;
        },
      });
    }
    if (isUnionType(type)) {
      const c = type.toConfig();
      return new GraphQLUnionType({
        ...c,
        resolveType: hooks.resolveType(type, c.resolveType) ?? c.resolveType,
        types: () => c.types.map(named),
      });
    }
    if (isInputObjectType(type)) {
      const c = type.toConfig();
      return new GraphQLInputObjectType({
        ...c,
        fields: () => {
          const out: typeof c.fields = {};
          for (const [name, field] of Object.entries(c.fields))
            out[name] = { ...field, type: ref(field.type) };
          return out;
        },
      });
    }
    throw new TypeError(`Unknown type kind of "${(type as GraphQLNamedType).name}".`);
  };

  for (const type of config.types) types.set(type.name, copy(type));
  return new GraphQLSchema({
    ...config,
    query: config.query && named(config.query),
    mutation: config.mutation && named(config.mutation),
    subscription: config.subscription && named(config.subscription),
    types: [...types.values()],
    directives: config.directives.map((d) => {
      if (isSpecifiedDirective(d)) return d;
      const c = d.toConfig();
      return new GraphQLDirective({ ...c, args: args(c.args) });
    }),
  });
}
