import {
  getNullableType,
  isInputObjectType,
  isListType,
  typeFromAST,
  valueFromASTUntyped,
} from 'graphql';
import type { GraphQLInputType, GraphQLSchema } from 'graphql';
import type { OperationAnalysis, Principal } from '@bulwark/core';
import { ALLOW, decide, DENY, runRequestPolicies } from './decide.js';
import type { Decision, PolicyErrorHandler, RequestPolicyResults } from './decide.js';
import type { AuthzPolicy } from './options.js';
import type { CompiledRule, RuleTable } from './rules.js';

/** Input of {@link checkOperation}. */
export interface CheckOperationInput {
  readonly schema: GraphQLSchema;
  readonly table: RuleTable;
  /** The analysis of the operation that will run (from `analyzeOperation`). */
  readonly analysis: OperationAnalysis;
  /** The raw variables of the request, as received. */
  readonly variables: Readonly<Record<string, unknown>> | null | undefined;
  readonly principal: Principal | null;
  readonly context: unknown;
  readonly policies: ReadonlyMap<string, AuthzPolicy<unknown>>;
  readonly onPolicyError: PolicyErrorHandler;
}

/** What the check found. Nothing is denied when every `denied*` collection is empty. */
export interface OperationCheck {
  /** The decision of every rule the operation touches. */
  readonly decisions: Map<CompiledRule, Decision>;
  readonly requestPolicies: RequestPolicyResults;
  /** Selected field coordinates (`Account.email` as selected) with a denied rule. */
  readonly deniedFields: ReadonlySet<string>;
  /** Denied field rules, by their own coordinate (`Admin.email`). */
  readonly deniedFieldRules: ReadonlySet<string>;
  /** Selected argument coordinates (`Mutation.updateUser(input:)`) denied. */
  readonly deniedArguments: ReadonlySet<string>;
  /** Input field coordinates (`UpdateUserInput.role`) denied, supplied in literals or variables. */
  readonly deniedInputFields: ReadonlySet<string>;
  /** Paths in the variables of denied input fields (`$input.role`), the first few. */
  readonly deniedVariablePaths: readonly string[];
  /** How many denied input fields the variables supply. */
  readonly deniedVariableCount: number;
}

/** How many paths into the variables are kept per denial (the count stays exact). */
const MAX_VARIABLE_PATHS = 10;

const EMPTY: ReadonlySet<string> = new Set();

/**
 * The check before execution, a pure function of (schema rules, operation, variables,
 * principal): every field the operation selects (through aliases, fragments, interfaces and
 * unions: a selection on an interface is checked against every implementation that may answer
 * it) and every argument and input field it supplies (literals, variables, nested inputs, lists)
 * is decided. Request policies run once each. Returns a promise only when a request policy is
 * asynchronous.
 */
export function checkOperation(
  input: CheckOperationInput,
): OperationCheck | Promise<OperationCheck> {
  const { table, analysis } = input;
  const decisions = new Map<CompiledRule, Decision>();
  const requestPolicies: RequestPolicyResults = new Map();
  if (table.empty) return result(decisions, requestPolicies);

  const fieldRules: [string, readonly CompiledRule[]][] = [];
  for (const coordinate of analysis.coordinates.keys()) {
    const rules = table.fields.get(coordinate);
    if (rules) fieldRules.push([coordinate, rules]);
  }
  const argRules: [string, readonly CompiledRule[]][] = [];
  if (table.arguments.size > 0)
    for (const coordinate of analysis.arguments.keys()) {
      const rules = table.arguments.get(coordinate);
      if (rules) argRules.push([coordinate, rules]);
    }
  const inputRules = new Map<CompiledRule, VariableHits | null>();
  if (table.inputFields.size > 0) {
    for (const coordinate of analysis.inputFields.keys()) {
      const rule = table.inputFields.get(coordinate);
      if (rule) inputRules.set(rule, null);
    }
    walkVariables(input, inputRules);
  }

  const names = new Set<string>();
  const collect = (rule: CompiledRule) => {
    for (const n of rule.requestPolicies) names.add(n);
  };
  for (const [, rules] of fieldRules) rules.forEach(collect);
  for (const [, rules] of argRules) rules.forEach(collect);
  for (const rule of inputRules.keys()) collect(rule);

  const finish = (): OperationCheck => {
    const decideOnce = (rule: CompiledRule): Decision => {
      let d = decisions.get(rule);
      if (d === undefined) {
        d = decide(rule, input.principal, requestPolicies);
        decisions.set(rule, d);
      }
      return d;
    };
    let deniedFields: Set<string> | null = null;
    let deniedFieldRules: Set<string> | null = null;
    for (const [coordinate, rules] of fieldRules) {
      for (const rule of rules) {
        if (decideOnce(rule) !== DENY) continue;
        (deniedFields ??= new Set()).add(coordinate);
        (deniedFieldRules ??= new Set()).add(rule.coordinate);
      }
    }
    let deniedArguments: Set<string> | null = null;
    for (const [coordinate, rules] of argRules) {
      // Arguments are checked before execution only: an object policy cannot guard one.
      if (rules.some((r) => decideOnce(r) !== ALLOW))
        (deniedArguments ??= new Set()).add(coordinate);
    }
    let deniedInputFields: Set<string> | null = null;
    const variablePaths: string[] = [];
    let deniedVariableCount = 0;
    for (const [rule, hits] of inputRules) {
      if (decideOnce(rule) === ALLOW) continue;
      (deniedInputFields ??= new Set()).add(rule.coordinate);
      if (hits) {
        deniedVariableCount += hits.count;
        for (const p of hits.paths)
          if (variablePaths.length < MAX_VARIABLE_PATHS) variablePaths.push(p);
      }
    }
    return {
      decisions,
      requestPolicies,
      deniedFields: deniedFields ?? EMPTY,
      deniedFieldRules: deniedFieldRules ?? EMPTY,
      deniedArguments: deniedArguments ?? EMPTY,
      deniedInputFields: deniedInputFields ?? EMPTY,
      deniedVariablePaths: variablePaths,
      deniedVariableCount,
    };
  };

  const pending =
    names.size > 0
      ? runRequestPolicies(
          names,
          input.policies,
          input.principal,
          input.context,
          requestPolicies,
          input.onPolicyError,
        )
      : undefined;
  return pending ? pending.then(finish) : finish();
}

function result(
  decisions: Map<CompiledRule, Decision>,
  requestPolicies: RequestPolicyResults,
): OperationCheck {
  return {
    decisions,
    requestPolicies,
    deniedFields: EMPTY,
    deniedFieldRules: EMPTY,
    deniedArguments: EMPTY,
    deniedInputFields: EMPTY,
    deniedVariablePaths: [],
    deniedVariableCount: 0,
  };
}

/** Where the variables supply one protected input field: the first paths, and how often. */
interface VariableHits {
  readonly paths: string[];
  count: number;
}

interface Frame {
  readonly type: GraphQLInputType;
  readonly value: unknown;
  readonly path: string;
}

/**
 * Finds the protected input fields the variables supply, walking each value along its
 * variable's declared type (the operation's default when the variable is absent). Iterative:
 * deeply nested JSON cannot overflow the stack.
 */
function walkVariables(
  input: CheckOperationInput,
  out: Map<CompiledRule, VariableHits | null>,
): void {
  const { schema, table, analysis } = input;
  const defs = analysis.node.variableDefinitions;
  if (!defs || defs.length === 0) return;
  const raw = input.variables;
  const variables: Readonly<Record<string, unknown>> =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
  const stack: Frame[] = [];
  for (const def of defs) {
    const type = typeFromAST(schema, def.type) as GraphQLInputType | undefined;
    if (!type || !reachesProtected(type, table)) continue;
    const name = def.variable.name.value;
    let value: unknown;
    if (Object.prototype.hasOwnProperty.call(variables, name)) value = variables[name];
    else if (def.defaultValue) value = valueFromASTUntyped(def.defaultValue);
    else continue;
    stack.push({ type, value, path: `$${name}` });
  }
  while (stack.length > 0) {
    const { type, value, path } = stack.pop()!;
    if (value === null || value === undefined) continue;
    const t = getNullableType(type);
    if (isListType(t)) {
      // Input coercion accepts a single value for a list: walk it as one item.
      if (Array.isArray(value))
        for (let i = value.length - 1; i >= 0; i--)
          stack.push({ type: t.ofType, value: value[i], path: `${path}[${i}]` });
      else stack.push({ type: t.ofType, value, path });
      continue;
    }
    if (!isInputObjectType(t) || typeof value !== 'object' || Array.isArray(value)) continue;
    const fields = t.getFields();
    for (const key of Object.keys(value)) {
      if (!Object.prototype.hasOwnProperty.call(fields, key)) continue;
      const field = fields[key]!;
      const fieldPath = `${path}.${key}`;
      const rule = table.inputFields.get(`${t.name}.${key}`);
      if (rule) {
        let hits = out.get(rule);
        if (!hits) {
          hits = { paths: [], count: 0 };
          out.set(rule, hits);
        }
        hits.count++;
        if (hits.paths.length < MAX_VARIABLE_PATHS) hits.paths.push(fieldPath);
      }
      if (reachesProtected(field.type, table))
        stack.push({
          type: field.type,
          value: (value as Record<string, unknown>)[key],
          path: fieldPath,
        });
    }
  }
}

function reachesProtected(type: GraphQLInputType, table: RuleTable): boolean {
  let t: GraphQLInputType = type;
  for (;;) {
    const n = getNullableType(t);
    if (isListType(n)) t = n.ofType as GraphQLInputType;
    else return isInputObjectType(n) && table.protectedInputTypes.has(n.name);
  }
}
