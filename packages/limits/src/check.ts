import type { DocumentNode, FieldNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { ErrorCode, OperationAnalysis, Principal, RawVariables } from '@bulwark/core';
import { estimateComplexity } from './complexity.js';
import { depthWithIgnore } from './depth.js';
import { LIMIT_CODES, limitMessage, slicingMessage, truncatedMessage } from './messages.js';
import type {
  LimitMode,
  LimitValue,
  OperationLimitName,
  ResolvedLimit,
  ResolvedLimitsOptions,
} from './options.js';

/** One exceeded limit. */
export interface Violation {
  /** The limit, or `slicing` / `truncated`. */
  readonly limit: OperationLimitName | 'slicing' | 'truncated';
  readonly code: ErrorCode;
  readonly message: string;
  /** The measured value (0 for `slicing`). */
  readonly value: number;
  /** The maximum that applied (0 for `slicing`). */
  readonly max: number;
  readonly mode: LimitMode;
  /** Where to point: the operation, or the field for `slicing`. */
  readonly node: OperationDefinitionNode | FieldNode;
}

/**
 * Which limits to check:
 * - `static`: what depends on (schema, document) only: fixed maxima in `enforce` mode, the
 *   cost when no variable affects it, `@listSize` slicing rules, truncation;
 * - `request`: the rest: per-principal maxima, `measure` mode, cost with variables or
 *   estimators;
 * - `all`: both (plain graphql-js users validating per request).
 */
export type CheckPhase = 'static' | 'request' | 'all';

/** What a check knows of the request. */
export interface CheckContext {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly phase: CheckPhase;
  readonly principal?: Principal | null;
  readonly variables?: RawVariables;
  /** Passed to graphql-query-complexity estimators. */
  readonly context?: Record<string, unknown>;
}

/** True when the cost of this operation can be known without the request. */
function costIsStatic(options: ResolvedLimitsOptions, analysis: OperationAnalysis): boolean {
  return options.estimators === null && typeof analysis.costPlan === 'number';
}

/** The estimated cost of an operation under the configured model. */
export function operationCost(
  analysis: OperationAnalysis,
  options: ResolvedLimitsOptions,
  ctx: Pick<CheckContext, 'schema' | 'document' | 'variables' | 'context'>,
): number {
  if (options.estimators === null) return analysis.cost(ctx.variables);
  return estimateComplexity({
    schema: ctx.schema,
    document: ctx.document,
    operation: analysis.node,
    estimators: options.estimators,
    variables: ctx.variables,
    ...(ctx.context ? { context: ctx.context } : {}),
  });
}

function measure(
  name: OperationLimitName,
  analysis: OperationAnalysis,
  options: ResolvedLimitsOptions,
  ctx: CheckContext,
): number {
  switch (name) {
    case 'maxDepth':
      if (options.ignore.length > 0)
        return depthWithIgnore(ctx.document, analysis.node, options.ignore);
      return options.ignoreIntrospection ? analysis.depthWithoutIntrospection : analysis.depth;
    case 'maxHeight':
      return analysis.height;
    case 'maxAliases':
      return analysis.aliases - (options.allowTypenameAliases ? analysis.typenameAliases : 0);
    case 'maxRootFields':
      return analysis.rootFields;
    case 'maxDirectives':
      return analysis.directives;
    case 'maxListDepth':
      return analysis.listDepth;
    case 'maxFields':
      return analysis.fields;
    case 'maxCost':
      return operationCost(analysis, options, ctx);
  }
}

function inPhase(
  limit: ResolvedLimit,
  analysis: OperationAnalysis,
  options: ResolvedLimitsOptions,
  phase: CheckPhase,
): boolean {
  if (phase === 'all') return true;
  const isStatic = limit.isStatic && (limit.name !== 'maxCost' || costIsStatic(options, analysis));
  return phase === 'static' ? isStatic : !isStatic;
}

function maxFor(limit: ResolvedLimit, principal: Principal | null | undefined): LimitValue {
  return typeof limit.max === 'function' ? limit.max(principal ?? null) : limit.max;
}

/**
 * Checks one operation against the limits of a phase and returns every violation, in a stable
 * order (depth first). Pure: no events, no throw.
 */
export function checkOperation(
  analysis: OperationAnalysis,
  options: ResolvedLimitsOptions,
  ctx: CheckContext,
): Violation[] {
  const out: Violation[] = [];
  const expose = options.exposeLimits;
  const depthLimit = options.limits[0]!;
  if (ctx.phase !== 'request' && analysis.truncated) {
    const max = maxFor(depthLimit, ctx.principal);
    out.push({
      limit: 'truncated',
      code: 'DEPTH_LIMIT_EXCEEDED',
      message: truncatedMessage(typeof depthLimit.max === 'function' ? false : max, expose),
      value: Infinity,
      max: max === false ? Infinity : max,
      mode: 'enforce',
      node: analysis.node,
    });
    // Everything else was measured on an incomplete walk.
    return out;
  }
  for (const limit of options.limits) {
    if (!inPhase(limit, analysis, options, ctx.phase)) continue;
    const max = maxFor(limit, ctx.principal);
    if (max === false) continue;
    const value = measure(limit.name, analysis, options, ctx);
    if (value > max) {
      out.push({
        limit: limit.name,
        code: LIMIT_CODES[limit.name],
        message: limitMessage(limit.name, value, max, expose),
        value,
        max,
        mode: limit.mode,
        node: analysis.node,
      });
    }
  }
  const costLimit = options.limits[options.limits.length - 1]!;
  if (
    ctx.phase !== 'request' &&
    options.requireSlicingArguments &&
    options.estimators === null &&
    costLimit.max !== false
  ) {
    for (const v of analysis.slicingViolations) {
      out.push({
        limit: 'slicing',
        code: 'SLICING_ARGUMENT_REQUIRED',
        message: slicingMessage(v.coordinate, v.slicingArguments),
        value: 0,
        max: 0,
        mode: 'enforce',
        node: v.node,
      });
    }
  }
  return out;
}
