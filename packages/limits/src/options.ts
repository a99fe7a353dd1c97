import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertNonNegativeNumber,
  assertObject,
  assertOneOf,
  assertPositiveInteger,
  principalFromContext,
  withDefaults,
} from '@bulwark/core';
import type { OnSecurityEvent, Principal } from '@bulwark/core';
import type { ComplexityEstimator } from './complexity.js';

/** `enforce` rejects; `measure` reports a `flagged` event and lets the operation run. */
export type LimitMode = 'enforce' | 'measure';

/** A maximum: a number, or `false` for no limit. */
export type LimitValue = number | false;

/** A limit in full: its maximum (fixed or per principal) and its mode. */
export interface LimitSpec {
  /**
   * The maximum, or a function of the principal (`null` when anonymous) that returns it. A
   * function makes the check run per request, in `didResolveOperation`.
   */
  max: LimitValue | ((principal: Principal | null) => LimitValue);
  /** @default the `mode` option (itself `'enforce'` by default) */
  mode?: LimitMode;
}

/** A limit option: a number, `false` (off), or a {@link LimitSpec}. */
export type Limit = LimitValue | LimitSpec;

/** Depth `ignore` rules, as graphql-depth-limit takes them: exact field names, RegExps, predicates. */
export type IgnoreRule = string | RegExp | ((fieldName: string) => boolean);

/** Cost model options. */
export interface CostOptions {
  /**
   * Size assumed for a list field with no `@listSize` (and no slicing argument or
   * `assumedSize`).
   * @default 10
   */
  defaultListSize?: number;
  /**
   * graphql-query-complexity estimators. When given, they are the cost model instead of the
   * IBM `@cost`/`@listSize` directives (so a graphql-query-complexity schema keeps its
   * annotations). Evaluated per request, with variables; fragments are memoized, so fan-out
   * stays linear.
   */
  estimators?: readonly ComplexityEstimator[];
  /**
   * Enforce `@listSize(requireOneSlicingArgument: true)`: a list field queried without exactly
   * one of its slicing arguments is rejected (`SLICING_ARGUMENT_REQUIRED`).
   * @default true
   */
  requireSlicingArguments?: boolean;
  /**
   * Add `extensions.cost = { requestedQueryCost, maximumQueryCost }` to responses.
   * @default false
   */
  exposeCost?: boolean;
}

/** Options of {@link limitsPlugin} and {@link createLimitsRule}. */
export interface LimitsOptions {
  /**
   * Maximum depth (graphql-depth-limit's measure: `{ a }` is 0, `{ a { b } }` is 1). Does not
   * limit breadth: pair it with the cost limit.
   * @default 10
   */
  maxDepth?: Limit;
  /** Maximum unique fields (distinct field coordinates). @default 200 */
  maxHeight?: Limit;
  /** Maximum aliases, each occurrence counted (`__typename` too unless `allowTypenameAliases`). @default 15 */
  maxAliases?: Limit;
  /** Maximum root fields, each occurrence counted. @default 20 */
  maxRootFields?: Limit;
  /** Maximum directives, each occurrence counted (spreads included). @default 50 */
  maxDirectives?: Limit;
  /** Maximum list fields nested on one path. @default 5 */
  maxListDepth?: Limit;
  /** Maximum field occurrences after fragment expansion. @default false */
  maxFields?: Limit;
  /** Maximum estimated cost. @default 10000 */
  maxCost?: Limit;
  /**
   * Maximum lexical tokens of a document, enforced while parsing: graphql-js stops at the
   * limit and never builds the AST of a token flood. Under Apollo Server pass the
   * `parseOptions` of {@link createLimits} (or `limitsParseOptions`); the plugin turns the
   * parser's error into `TOKEN_LIMIT_EXCEEDED`. Outside Apollo, `checkSource` or
   * `sourceLimitMiddleware` count before parsing.
   * @default 10000
   */
  maxTokens?: LimitValue;
  /**
   * Maximum document length in characters. Checked by the validation rule, and before parsing
   * by `checkSource` / `sourceLimitMiddleware`. Pair it with an HTTP body limit.
   * @default 100000
   */
  maxDocumentLength?: LimitValue;
  /** Maximum operations in one HTTP batch (see `batchLimitMiddleware`). @default 10 */
  maxBatchSize?: LimitValue;
  /**
   * Maximum nesting of a variable's value, each object and each list one level (`"a"` is 0,
   * `{ "a": ["b"] }` is 2). Checked in `didResolveOperation`, before graphql-js coerces the
   * variables: on a recursive input type a value a few thousand levels deep overflows its
   * stack. Plain graphql-js users pass `request.variables` to the rule.
   * @default 64
   */
  maxVariableDepth?: LimitValue;
  /** The cost model. */
  cost?: CostOptions;
  /**
   * Depth `ignore` rules (fields whose subtree does not count), as in graphql-depth-limit. Any
   * rule costs a second walk of each new document; prefer `ignoreIntrospection` when that is all
   * you need.
   * @default []
   */
  ignore?: readonly IgnoreRule[];
  /**
   * Count `__schema` / `__type` subtrees 0 for depth (graphql-depth-limit does), for servers that
   * let some principals introspect: the standard introspection query nests 14 deep. Measured in
   * the one walk. graphql-js's `MaxIntrospectionDepthRule` (run by Apollo Server) still bounds
   * nesting inside introspection, and the cost limit still applies.
   * @default false
   */
  ignoreIntrospection?: boolean;
  /** Do not count aliases of `__typename`. @default false */
  allowTypenameAliases?: boolean;
  /**
   * Say the measured value and the maximum in error messages. With `false`: "Query depth
   * exceeds the maximum allowed."
   * @default true
   */
  exposeLimits?: boolean;
  /** Default mode of every limit. @default 'enforce' */
  mode?: LimitMode;
  /** Reads the principal from the context. @default `context.auth.principal` */
  getPrincipal?: (context: unknown) => Principal | null;
  /** Receives a `rejected` or `flagged` event per exceeded limit. */
  onEvent?: OnSecurityEvent;
}

/** The defaults of {@link LimitsOptions}. */
export const LIMITS_DEFAULTS = Object.freeze({
  maxDepth: 10,
  maxHeight: 200,
  maxAliases: 15,
  maxRootFields: 20,
  maxDirectives: 50,
  maxListDepth: 5,
  maxFields: false,
  maxCost: 10_000,
  maxTokens: 10_000,
  maxDocumentLength: 100_000,
  maxBatchSize: 10,
  maxVariableDepth: 64,
  defaultListSize: 10,
});

/** The document-level limits checked from the analysis, in report order. */
export const OPERATION_LIMITS = [
  'maxDepth',
  'maxHeight',
  'maxAliases',
  'maxRootFields',
  'maxDirectives',
  'maxListDepth',
  'maxFields',
  'maxCost',
] as const;

/** A document-level limit name. */
export type OperationLimitName = (typeof OPERATION_LIMITS)[number];

/** A limit after construction. */
export interface ResolvedLimit {
  readonly name: OperationLimitName;
  readonly max: LimitValue | ((principal: Principal | null) => LimitValue);
  readonly mode: LimitMode;
  /** Checked from (schema, document) alone: a fixed maximum in `enforce` mode. */
  readonly isStatic: boolean;
}

/** Options after validation and defaults. */
export interface ResolvedLimitsOptions {
  readonly limits: readonly ResolvedLimit[];
  readonly maxTokens: LimitValue;
  readonly maxDocumentLength: LimitValue;
  readonly maxBatchSize: LimitValue;
  readonly maxVariableDepth: LimitValue;
  readonly defaultListSize: number;
  readonly estimators: readonly ComplexityEstimator[] | null;
  readonly requireSlicingArguments: boolean;
  readonly exposeCost: boolean;
  readonly ignore: readonly IgnoreRule[];
  readonly ignoreIntrospection: boolean;
  readonly allowTypenameAliases: boolean;
  readonly exposeLimits: boolean;
  readonly getPrincipal: (context: unknown) => Principal | null;
  readonly onEvent: OnSecurityEvent | undefined;
}

const KNOWN = [
  ...OPERATION_LIMITS,
  'maxTokens',
  'maxDocumentLength',
  'maxBatchSize',
  'maxVariableDepth',
  'cost',
  'ignore',
  'ignoreIntrospection',
  'allowTypenameAliases',
  'exposeLimits',
  'mode',
  'getPrincipal',
  'onEvent',
];

function assertLimitValue(name: string, value: unknown): asserts value is LimitValue {
  if (value === false) return;
  assertNonNegativeNumber(name, value);
}

function resolveLimit(name: OperationLimitName, option: unknown, mode: LimitMode): ResolvedLimit {
  if (option === false || typeof option === 'number') {
    assertLimitValue(name, option);
    return { name, max: option, mode, isStatic: option !== false && mode === 'enforce' };
  }
  assertObject(name, option);
  assertKnownKeys(name, option, ['max', 'mode']);
  const spec = option as unknown as LimitSpec;
  const m = spec.mode ?? mode;
  assertOneOf(`${name}.mode`, m, ['enforce', 'measure']);
  if (typeof spec.max === 'function') return { name, max: spec.max, mode: m, isStatic: false };
  assertLimitValue(`${name}.max`, spec.max);
  return { name, max: spec.max, mode: m, isStatic: spec.max !== false && m === 'enforce' };
}

/** Validates options and resolves defaults, once, at construction. */
export function resolveLimitsOptions(options: LimitsOptions = {}): ResolvedLimitsOptions {
  assertObject('options', options as unknown);
  assertKnownKeys('limits options', options, KNOWN);
  const mode = options.mode ?? 'enforce';
  assertOneOf('mode', mode, ['enforce', 'measure']);
  const o = withDefaults(
    {
      maxDepth: LIMITS_DEFAULTS.maxDepth as Limit,
      maxHeight: LIMITS_DEFAULTS.maxHeight as Limit,
      maxAliases: LIMITS_DEFAULTS.maxAliases as Limit,
      maxRootFields: LIMITS_DEFAULTS.maxRootFields as Limit,
      maxDirectives: LIMITS_DEFAULTS.maxDirectives as Limit,
      maxListDepth: LIMITS_DEFAULTS.maxListDepth as Limit,
      maxFields: LIMITS_DEFAULTS.maxFields as Limit,
      maxCost: LIMITS_DEFAULTS.maxCost as Limit,
    },
    options,
  );
  const limits = OPERATION_LIMITS.map((name) => resolveLimit(name, o[name], mode));

  const maxTokens = options.maxTokens ?? LIMITS_DEFAULTS.maxTokens;
  const maxDocumentLength = options.maxDocumentLength ?? LIMITS_DEFAULTS.maxDocumentLength;
  const maxBatchSize = options.maxBatchSize ?? LIMITS_DEFAULTS.maxBatchSize;
  if (maxTokens !== false) assertPositiveInteger('maxTokens', maxTokens);
  if (maxDocumentLength !== false) assertPositiveInteger('maxDocumentLength', maxDocumentLength);
  if (maxBatchSize !== false) assertPositiveInteger('maxBatchSize', maxBatchSize);
  const maxVariableDepth = options.maxVariableDepth ?? LIMITS_DEFAULTS.maxVariableDepth;
  if (maxVariableDepth !== false) assertPositiveInteger('maxVariableDepth', maxVariableDepth);

  const cost = options.cost ?? {};
  assertObject('cost', cost as unknown);
  assertKnownKeys('cost', cost, [
    'defaultListSize',
    'estimators',
    'requireSlicingArguments',
    'exposeCost',
  ]);
  const defaultListSize = cost.defaultListSize ?? LIMITS_DEFAULTS.defaultListSize;
  assertNonNegativeNumber('cost.defaultListSize', defaultListSize);
  let estimators: readonly ComplexityEstimator[] | null = null;
  if (cost.estimators !== undefined) {
    if (!Array.isArray(cost.estimators) || cost.estimators.length === 0) {
      throw new TypeError('`cost.estimators` must be a non-empty array of estimator functions.');
    }
    cost.estimators.forEach((e, i) => assertFunction(`cost.estimators[${i}]`, e));
    estimators = [...cost.estimators];
  }
  const requireSlicingArguments = cost.requireSlicingArguments ?? true;
  assertBoolean('cost.requireSlicingArguments', requireSlicingArguments);
  const exposeCost = cost.exposeCost ?? false;
  assertBoolean('cost.exposeCost', exposeCost);

  const ignore = options.ignore ?? [];
  if (!Array.isArray(ignore))
    throw new TypeError('`ignore` must be an array of strings, RegExps or functions.');
  ignore.forEach((rule, i) => {
    if (typeof rule !== 'string' && typeof rule !== 'function' && !(rule instanceof RegExp)) {
      throw new TypeError(`\`ignore[${i}]\` must be a string, a RegExp or a function.`);
    }
  });
  const ignoreIntrospection = options.ignoreIntrospection ?? false;
  assertBoolean('ignoreIntrospection', ignoreIntrospection);
  const allowTypenameAliases = options.allowTypenameAliases ?? false;
  assertBoolean('allowTypenameAliases', allowTypenameAliases);
  const exposeLimits = options.exposeLimits ?? true;
  assertBoolean('exposeLimits', exposeLimits);
  const getPrincipal = options.getPrincipal ?? principalFromContext;
  assertFunction('getPrincipal', getPrincipal);
  if (options.onEvent !== undefined) assertFunction('onEvent', options.onEvent);

  return {
    limits,
    maxTokens,
    maxDocumentLength,
    maxBatchSize,
    maxVariableDepth,
    defaultListSize,
    estimators,
    requireSlicingArguments,
    exposeCost,
    ignore: ignoreIntrospection && ignore.length > 0 ? [/^__/, ...ignore] : ignore,
    ignoreIntrospection,
    allowTypenameAliases,
    exposeLimits,
    getPrincipal,
    onEvent: options.onEvent,
  };
}
