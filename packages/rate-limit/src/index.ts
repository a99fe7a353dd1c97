export { createRateLimiter } from './limiter.js';
export type { RateLimiter, RateLimitRequest } from './limiter.js';
export { rateLimitPlugin } from './plugin.js';
export type { RateLimitPluginOptions } from './plugin.js';
export { MemoryRateLimitStore } from './memory-store.js';
export type { MemoryRateLimitStoreOptions } from './memory-store.js';
export { rateLimitDirectiveTypeDefs, rulesFromSchema } from './directive.js';
export { createClientIpResolver, ipIdentity } from './client-ip.js';
export type { ClientIpOptions, RequestLike, TrustProxy } from './client-ip.js';
export { defaultNormalizeArgument } from './identity.js';
export type { CustomIdentity, IdentityInput, IdentityName, IdentitySpec } from './identity.js';
export { MAX_JAIL_AFTER } from './options.js';
export type {
  CompiledRule,
  CostBudgetOptions,
  JailOptions,
  OperationKind,
  RateLimiterOptions,
  RateLimitRule,
  RateLimitTarget,
} from './options.js';
export {
  decisionOfError,
  headerPolicies,
  rateLimitedError,
  renderRateLimitHeaders,
} from './response.js';
export type {
  HeaderPolicy,
  RateLimitDecision,
  RateLimitEntry,
  ThrottleStatus,
} from './response.js';
