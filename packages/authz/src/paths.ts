import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
} from 'graphql';
import type {
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLCompositeType,
  GraphQLInputType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
  ValueNode,
} from 'graphql';
import type { OperationCheck } from './check.js';

/** Selections visited before the walk gives up and names coordinates instead. */
const VISIT_BUDGET = 10_000;
/** Paths collected at most. */
const MAX_PATHS = 50;

/** The denied paths of an operation, for the rejection message. */
export interface DeniedPaths {
  /** Response paths (`user.email`, `a: ...` as `a.email`), `field(arg:)`, `$var.field`. */
  readonly paths: readonly string[];
  /** How many denials there are in all (at least `paths.length`). */
  readonly total: number;
}

/**
 * Finds where in the operation the denied coordinates are: a slower walk, run only when
 * something is denied. It follows fragments (cycles skipped) within a visit budget; past the
 * budget, or when it finds nothing, it names the denied coordinates instead.
 */
export function deniedPaths(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  check: OperationCheck,
): DeniedPaths {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions)
    if (def.kind === Kind.FRAGMENT_DEFINITION && !fragments.has(def.name.value))
      fragments.set(def.name.value, def);
  const found: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  let visits = 0;
  const record = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    total++;
    if (found.length < MAX_PATHS) found.push(path);
  };

  const walkValue = (type: GraphQLInputType, value: ValueNode, path: string): void => {
    const t = getNullableType(type);
    if (isListType(t)) {
      if (value.kind === Kind.LIST)
        value.values.forEach((v, i) => walkValue(t.ofType, v, `${path}[${i}]`));
      else walkValue(t.ofType, value, path);
      return;
    }
    if (!isInputObjectType(t) || value.kind !== Kind.OBJECT) return;
    const fields = t.getFields();
    for (const f of value.fields) {
      const p = `${path}.${f.name.value}`;
      if (check.deniedInputFields.has(`${t.name}.${f.name.value}`)) record(p);
      const def = fields[f.name.value];
      if (def) walkValue(def.type, f.value, p);
    }
  };

  const active = new Set<string>();
  const walkSet = (
    set: SelectionSetNode,
    parent: GraphQLCompositeType | null,
    prefix: string,
  ): void => {
    for (const sel of set.selections) {
      if (++visits > VISIT_BUDGET) return;
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        const path = prefix + (sel.alias?.value ?? name);
        if (!parent) continue;
        const coordinate = `${parent.name}.${name}`;
        if (check.deniedFields.has(coordinate)) record(path);
        const def =
          isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
        for (const arg of sel.arguments ?? []) {
          const argPath = `${path}(${arg.name.value}:)`;
          if (check.deniedArguments.has(`${coordinate}(${arg.name.value}:)`)) record(argPath);
          const argDef = def?.args.find((a) => a.name === arg.name.value);
          if (argDef && check.deniedInputFields.size > 0)
            walkValue(argDef.type, arg.value, argPath);
        }
        if (sel.selectionSet && def) {
          const child = getNamedType(def.type);
          walkSet(sel.selectionSet, isCompositeType(child) ? child : null, `${path}.`);
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walkSet(
          sel.selectionSet,
          typeCondition(schema, sel.typeCondition?.name.value, parent),
          prefix,
        );
      } else {
        const name = sel.name.value;
        const def = fragments.get(name);
        if (!def || active.has(name)) continue;
        active.add(name);
        walkSet(
          def.selectionSet,
          typeCondition(schema, def.typeCondition.name.value, null),
          prefix,
        );
        active.delete(name);
      }
    }
  };

  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  walkSet(operation.selectionSet, root ?? null, '');
  for (const p of check.deniedVariablePaths) record(p);
  total += Math.max(0, check.deniedVariableCount - check.deniedVariablePaths.length);

  if (found.length === 0 || visits > VISIT_BUDGET) {
    for (const c of [
      ...check.deniedFieldRules,
      ...check.deniedArguments,
      ...check.deniedInputFields,
    ])
      record(c);
  }
  return { paths: found, total: Math.max(total, found.length) };
}

function typeCondition(
  schema: GraphQLSchema,
  name: string | undefined,
  parent: GraphQLCompositeType | null,
): GraphQLCompositeType | null {
  if (name === undefined) return parent;
  const t = schema.getType(name);
  return t && isCompositeType(t) ? t : null;
}
