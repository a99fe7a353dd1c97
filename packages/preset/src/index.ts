export { bulwark } from './bulwark.js';
export type { Bulwark, BulwarkApolloOptions } from './bulwark.js';
export type {
  AuthConfig,
  BatchingConfig,
  BulwarkConfig,
  CorsConfig,
  CsrfConfig,
  CustomAuthConfig,
  DistributiveOmit,
  HstsConfig,
  HttpConfig,
  IntrospectionConfig,
  JwtAuthConfig,
  MonitoringConfig,
  PresetAuthzOptions,
  PresetLimitsOptions,
  PresetMaskingOptions,
  PresetRateLimitOptions,
} from './config.js';
export { BULWARK_DEFAULTS, parseByteSize, resolvePresetOptions } from './options.js';
export type {
  ResolvedCors,
  ResolvedHsts,
  ResolvedMonitoring,
  ResolvedPresetOptions,
} from './options.js';
export { isPresetContext } from './context.js';
export type { ContextArgument, ContextFactory, SecurityContext } from './context.js';
export { UNEXPECTED_MESSAGE, refusalOf, sendJsonError } from './http.js';
export type { HttpRefusal } from './http.js';
export { contextGuardPlugin, noStorePlugin } from './plugins.js';
export { knownOperationTypesRule } from './operation-types.js';
export { pinoEvents } from './monitoring/pino.js';
export type { EventLogger, LogLevel, PinoEventsOptions } from './monitoring/pino.js';
export { BoundedLabel, prometheusEvents } from './monitoring/prometheus.js';
export type { MetricsRegistry, PrometheusEventsOptions } from './monitoring/prometheus.js';
export {
  createRequestMonitor,
  requestLogPlugin,
  requestMetricsPlugin,
} from './monitoring/requests.js';
export type { RequestMonitor, RequestMonitorOptions } from './monitoring/requests.js';
export {
  REDACTED,
  SENSITIVE_NAME_PATTERN,
  redactText,
  redactValue,
  redactVariables,
  sensitiveVariableNames,
} from './monitoring/redact.js';
