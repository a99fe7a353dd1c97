import { MAX_WALK_DEPTH } from '@bulwark/core';
import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
} from 'graphql';
import type {
  DirectiveNode,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLCompositeType,
  GraphQLField,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';

/** One field node of the operation that resolves a limited coordinate, and how many times it runs. */
export interface FieldOccurrence {
  readonly node: FieldNode;
  readonly definition: GraphQLField<unknown, unknown> | undefined;
  /** Occurrences through fragment spreads (a fragment spread five times counts five). */
  count: number;
}

type Found = Map<FieldNode, FieldOccurrence>;
const VISITING = Symbol('visiting');

/**
 * Finds the field nodes of an operation whose coordinate (as selected) is in `coordinates`,
 * with `@skip`/`@include` evaluated for these variables and fragments expanded (each fragment
 * walked once). Used for argument identities, which need the argument values of each
 * occurrence: `a: login(email: "x") b: login(email: "y")` is one attempt on each account.
 */
export function findOccurrences(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  coordinates: ReadonlySet<string>,
  variables: Readonly<Record<string, unknown>>,
): FieldOccurrence[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION && !fragments.has(def.name.value)) {
      fragments.set(def.name.value, def);
    }
  }
  const memo = new Map<string, Found | typeof VISITING>();

  const add = (into: Found, from: Found, times: number): void => {
    for (const [node, occ] of from) {
      const known = into.get(node);
      if (known) known.count += occ.count * times;
      else into.set(node, { node, definition: occ.definition, count: occ.count * times });
    }
  };

  const walk = (
    set: SelectionSetNode,
    parent: GraphQLCompositeType | null,
    level: number,
  ): Found => {
    const found: Found = new Map();
    if (level > MAX_WALK_DEPTH) return found;
    for (const sel of set.selections) {
      if (!included(sel.directives, variables)) continue;
      if (sel.kind === Kind.FIELD) {
        let definition: GraphQLField<unknown, unknown> | undefined;
        let child: GraphQLCompositeType | null = null;
        if (parent && (isObjectType(parent) || isInterfaceType(parent))) {
          definition = parent.getFields()[sel.name.value];
          if (definition) {
            const named = getNamedType(definition.type);
            child = isCompositeType(named) ? named : null;
          }
        }
        if (parent && coordinates.has(`${parent.name}.${sel.name.value}`)) {
          add(found, new Map([[sel, { node: sel, definition, count: 1 }]]), 1);
        }
        if (sel.selectionSet) add(found, walk(sel.selectionSet, child, level + 1), 1);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const type = sel.typeCondition ? composite(schema, sel.typeCondition.name.value) : parent;
        add(found, walk(sel.selectionSet, type, level + 1), 1);
      } else {
        const name = sel.name.value;
        let result = memo.get(name);
        if (result === VISITING) continue;
        if (result === undefined) {
          const def = fragments.get(name);
          if (!def) continue;
          memo.set(name, VISITING);
          result = walk(
            def.selectionSet,
            composite(schema, def.typeCondition.name.value),
            level + 1,
          );
          memo.set(name, result);
        }
        add(found, result, 1);
      }
    }
    return found;
  };

  const root = schema.getRootType(operation.operation);
  return [...walk(operation.selectionSet, root ?? null, 1).values()];
}

function composite(schema: GraphQLSchema, name: string): GraphQLCompositeType | null {
  const t = schema.getType(name);
  return t && isCompositeType(t) ? t : null;
}

/** `@skip`/`@include` for these variables; a condition that is not a boolean keeps the field. */
function included(
  directives: readonly DirectiveNode[] | undefined,
  variables: Readonly<Record<string, unknown>>,
): boolean {
  if (!directives || directives.length === 0) return true;
  for (const d of directives) {
    const name = d.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const arg = d.arguments?.find((a) => a.name.value === 'if');
    if (!arg) continue;
    const value = valueFromASTUntyped(arg.value, variables);
    if (typeof value !== 'boolean') continue;
    if (name === 'skip' ? value : !value) return false;
  }
  return true;
}

/**
 * The value of argument `name` at a field occurrence: the literal (with variables filled in),
 * else the argument's default in the schema, else `undefined`.
 */
export function argumentValue(
  node: FieldNode,
  definition: GraphQLField<unknown, unknown> | undefined,
  name: string,
  variables: Readonly<Record<string, unknown>>,
): unknown {
  const arg = node.arguments?.find((a) => a.name.value === name);
  if (arg) return valueFromASTUntyped(arg.value, variables);
  return definition?.args.find((a) => a.name === name)?.defaultValue;
}

/** The operation's variables with its declared defaults under them. */
export function withVariableDefaults(
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): Readonly<Record<string, unknown>> {
  let out: Record<string, unknown> | null = null;
  for (const v of operation.variableDefinitions ?? []) {
    const name = v.variable.name.value;
    if (v.defaultValue && (variables == null || variables[name] === undefined)) {
      out ??= { ...variables };
      out[name] = valueFromASTUntyped(v.defaultValue);
    }
  }
  return out ?? variables ?? NO_VARIABLES;
}

const NO_VARIABLES: Readonly<Record<string, unknown>> = Object.freeze({});
