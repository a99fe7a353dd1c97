import { isInterfaceType, isObjectType } from 'graphql';
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import { rulesFromSchema } from './directive.js';
import { assertSamePolicy } from './options.js';
import type { CompiledRule, OperationKind } from './options.js';

/** A field rule with the coordinates whose selections count against it. */
export interface FieldRule {
  readonly rule: CompiledRule;
  /**
   * Coordinates as the analysis reports them: the rule's own, the same field on every object
   * type it may resolve on, and on every interface of those (a selection on `Account.email`
   * may resolve `User.email`).
   */
  readonly coordinates: ReadonlySet<string>;
}

/** The rules of one schema, indexed for per-request lookups. */
export interface RuleTable {
  /** Coordinate as selected → field rules it counts against. */
  readonly byCoordinate: ReadonlyMap<string, readonly FieldRule[]>;
  /** Rules on operation names and types. */
  readonly operationRules: readonly CompiledRule[];
  /** True when the table holds no rule at all. */
  readonly empty: boolean;
}

function matchedCoordinates(
  schema: GraphQLSchema,
  rule: CompiledRule,
  coordinate: string,
): Set<string> {
  const [typeName, fieldName] = coordinate.split('.') as [string, string];
  const type = schema.getType(typeName);
  if (!(isObjectType(type) || isInterfaceType(type)) || !type.getFields()[fieldName]) {
    throw new TypeError(
      `${rule.origin}: "${coordinate}" is not a field of the schema (rules are checked against it so that a typo never leaves a field unlimited).`,
    );
  }
  const objects: readonly GraphQLObjectType[] = isObjectType(type)
    ? [type]
    : schema.getPossibleTypes(type);
  const out = new Set<string>([coordinate]);
  for (const o of objects) {
    if (o.getFields()[fieldName]) out.add(`${o.name}.${fieldName}`);
    for (const i of o.getInterfaces()) {
      if (i.getFields()[fieldName]) out.add(`${i.name}.${fieldName}`);
    }
  }
  return out;
}

/**
 * Builds the rule table of a schema: the directive's rules and the code rules, checked
 * against the schema (an unknown coordinate throws), rules sharing an id checked to share a
 * policy. Done once per schema.
 */
export function buildRuleTable(
  schema: GraphQLSchema,
  codeRules: readonly CompiledRule[],
  directive: string | false,
): RuleTable {
  const all = [...(directive === false ? [] : rulesFromSchema(schema, directive)), ...codeRules];
  const byId = new Map<string, CompiledRule>();
  for (const rule of all) {
    const other = byId.get(rule.id);
    if (other) assertSamePolicy(other, rule);
    else byId.set(rule.id, rule);
  }
  const byCoordinate = new Map<string, FieldRule[]>();
  const operationRules: CompiledRule[] = [];
  for (const rule of all) {
    if (rule.target.kind !== 'field') {
      operationRules.push(rule);
      continue;
    }
    const entry: FieldRule = {
      rule,
      coordinates: matchedCoordinates(schema, rule, rule.target.coordinate),
    };
    for (const c of entry.coordinates) {
      const list = byCoordinate.get(c);
      if (list) list.push(entry);
      else byCoordinate.set(c, [entry]);
    }
  }
  return { byCoordinate, operationRules, empty: all.length === 0 };
}

/** True when an operation rule applies to an operation of this name and type. */
export function operationRuleMatches(
  rule: CompiledRule,
  name: string | undefined,
  type: OperationKind,
): boolean {
  const t = rule.target;
  if (t.kind === 'operationName') return name === t.name;
  if (t.kind === 'operationType') return t.type === 'any' || t.type === type;
  return false;
}
