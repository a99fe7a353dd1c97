export { createAuthz } from './authz.js';
export type { Authz, AuthorizeArgs, AuthorizeResult } from './authz.js';
export { authzPlugin } from './plugin.js';
export { AUTHZ_DEFAULTS, objectPolicy, requestPolicy, resolveAuthzOptions } from './options.js';
export type {
  AuthzMode,
  AuthzOptions,
  AuthzPolicy,
  DefaultPolicy,
  ObjectPolicy,
  ObjectPolicyInput,
  RequestPolicy,
  RequestPolicyInput,
  ResolvedAuthzOptions,
} from './options.js';
export {
  AUTHZ_DIRECTIVE_NAMES,
  AUTHZ_DIRECTIVES,
  AUTHZ_DIRECTIVES_SDL,
  AUTHZ_FEDERATION_SDL,
  AUTHZ_SPEC_URL,
} from './directives.js';
export {
  authzMetadataOf,
  schemaAuthzMetadata,
  sdlAuthzMetadata,
  setAuthzMetadata,
} from './metadata.js';
export type { AuthzMetadata, AuthzMetadataOptions, AuthzRuleSpec } from './metadata.js';
export { AuthzSchemaError, buildRuleTable } from './rules.js';
export type { CompiledRule, PolicyRef, Requirement, RuleTable, RuleTableOptions } from './rules.js';
export { checkOperation } from './check.js';
export type { CheckOperationInput, OperationCheck } from './check.js';
export { ALLOW, DENY, decide } from './decide.js';
export type { Decision, PolicyErrorHandler, RequestPolicyResults, Residual } from './decide.js';
export { deniedPaths } from './paths.js';
export type { DeniedPaths } from './paths.js';
export { MAX_LISTED_PATHS } from './errors.js';
