import {
  getNamedType,
  getNullableType,
  isAbstractType,
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
  GraphQLField,
  GraphQLInputType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
  ValueNode,
} from 'graphql';
import type { OperationCheck } from './check.js';
import { DENY } from './decide.js';
import type { RuleTable } from './rules.js';

/** Selections visited before the walk gives up and names coordinates instead. */
const VISIT_BUDGET = 10_000;
/** Paths collected at most. */
const MAX_PATHS = 50;

/** The denied paths of an operation, for the rejection. */
export interface DeniedPaths {
  /** Response paths (`user.email`, `a: ...` as `a.email`), `field(arg:)`, `$var.field`. */
  readonly paths: readonly string[];
  /** How many denials there are in all (at least `paths.length`). */
  readonly total: number;
  /** Denied fields found where they can really be reached. */
  readonly fields: number;
  /** Denied arguments found where they can really be supplied. */
  readonly arguments: number;
  /** True when the walk ran out of budget: `fields` and `arguments` are then lower bounds. */
  readonly exhausted: boolean;
}

/**
 * Finds where in the operation the denials are: a slower walk, run only when the check
 * denied something. It tracks the object types each selection can really resolve on (the
 * parent's possible types narrowed by each type condition), so an interface fragment spread
 * on a `User` is not refused for what another implementation protects. It follows fragments
 * (cycles skipped) within a visit budget; past the budget it also names the denied
 * coordinates.
 */
export function deniedPaths(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  check: OperationCheck,
  table: RuleTable,
): DeniedPaths {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions)
    if (def.kind === Kind.FRAGMENT_DEFINITION && !fragments.has(def.name.value))
      fragments.set(def.name.value, def);
  const found: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  let fields = 0;
  let args = 0;
  let visits = 0;
  const record = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    total++;
    if (found.length < MAX_PATHS) found.push(path);
  };
  const denied = (coordinate: string, rules: RuleTable['fields']) =>
    rules.get(coordinate)?.some((r) => check.decisions.get(r) === DENY) === true;

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

  const possibleOf = (type: GraphQLCompositeType): readonly string[] =>
    isAbstractType(type) ? schema.getPossibleTypes(type).map((t) => t.name) : [type.name];
  const narrow = (possible: readonly string[], condition: string | undefined) => {
    if (condition === undefined) return possible;
    const t = schema.getType(condition);
    if (!t || !isCompositeType(t)) return [];
    const allowed = new Set(possibleOf(t));
    return possible.filter((p) => allowed.has(p));
  };

  const active = new Set<string>();
  const walkSet = (set: SelectionSetNode, possible: readonly string[], prefix: string): void => {
    for (const sel of set.selections) {
      if (++visits > VISIT_BUDGET) return;
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        walkSet(sel.selectionSet, narrow(possible, sel.typeCondition?.name.value), prefix);
        continue;
      }
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const name = sel.name.value;
        const def = fragments.get(name);
        if (!def || active.has(name)) continue;
        active.add(name);
        walkSet(def.selectionSet, narrow(possible, def.typeCondition.name.value), prefix);
        active.delete(name);
        continue;
      }
      const name = sel.name.value;
      const path = prefix + (sel.alias?.value ?? name);
      let fieldDenied = false;
      let def: GraphQLField<unknown, unknown> | undefined;
      const argsDenied = new Set<string>();
      for (const typeName of possible) {
        const type = schema.getType(typeName);
        const field =
          isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
        if (!field) continue;
        def ??= field;
        if (denied(`${typeName}.${name}`, table.fields)) fieldDenied = true;
        for (const arg of sel.arguments ?? [])
          if (denied(`${typeName}.${name}(${arg.name.value}:)`, table.arguments))
            argsDenied.add(arg.name.value);
      }
      if (fieldDenied) {
        fields++;
        record(path);
      }
      for (const arg of sel.arguments ?? []) {
        const argPath = `${path}(${arg.name.value}:)`;
        if (argsDenied.has(arg.name.value)) {
          args++;
          record(argPath);
        }
        const argDef = def?.args.find((a) => a.name === arg.name.value);
        if (argDef && check.deniedInputFields.size > 0) walkValue(argDef.type, arg.value, argPath);
      }
      if (sel.selectionSet && def) {
        const child = getNamedType(def.type);
        if (isCompositeType(child)) walkSet(sel.selectionSet, possibleOf(child), `${path}.`);
      }
    }
  };

  const root = schema.getRootType(operation.operation);
  if (root) walkSet(operation.selectionSet, [root.name], '');
  for (const p of check.deniedVariablePaths) record(p);
  total += Math.max(0, check.deniedVariableCount - check.deniedVariablePaths.length);

  const exhausted = visits > VISIT_BUDGET;
  if (exhausted) {
    for (const c of [
      ...check.deniedFieldRules,
      ...check.deniedArguments,
      ...check.deniedInputFields,
    ])
      record(c);
  }
  return {
    paths: found,
    total: Math.max(total, found.length),
    fields,
    arguments: args,
    exhausted,
  };
}
