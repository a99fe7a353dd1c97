export { createLimits, limitsPlugin, limitsPluginFromResolved } from './plugin.js';
export type { Limits } from './plugin.js';
export { checkSource, documentSources, sourceLimitMiddleware } from './source.js';
export type { DocumentRequest, SourceLimits } from './source.js';
export {
  createLimitsRule,
  limitsRuleFromResolved,
  depthLimitRule,
  heightLimitRule,
  aliasLimitRule,
  rootFieldLimitRule,
  directiveLimitRule,
  listDepthLimitRule,
  fieldLimitRule,
  costLimitRule,
} from './rule.js';
export type { LimitsRequest } from './rule.js';
export { depthLimit } from './depth-limit.js';
export type { DepthLimitCompatOptions } from './depth-limit.js';
export { checkOperation, operationCost } from './check.js';
export type { CheckContext, CheckPhase, Violation } from './check.js';
export { LIMITS_DEFAULTS, OPERATION_LIMITS, resolveLimitsOptions } from './options.js';
export type {
  CostOptions,
  IgnoreRule,
  Limit,
  LimitMode,
  LimitSpec,
  LimitValue,
  LimitsOptions,
  OperationLimitName,
  ResolvedLimit,
  ResolvedLimitsOptions,
} from './options.js';
export { countTokens, isTokenLimitSyntaxError, limitsParseOptions } from './tokens.js';
export { batchLimitMiddleware, checkBatchSize } from './batch.js';
export type { BatchLimitOptions } from './batch.js';
export {
  estimateComplexity,
  simpleEstimator,
  fieldExtensionsEstimator,
  directiveEstimator,
} from './complexity.js';
export type {
  ComplexityEstimator,
  ComplexityEstimatorArgs,
  EstimateComplexityInput,
} from './complexity.js';
export { LIMIT_CODES } from './messages.js';
export { findDeepVariable, variablesDepthMessage } from './variables.js';
export type { DeepVariable } from './variables.js';
