export { createServer } from './server.js';
export type { DemoAccount, RunningServer } from './server.js';
export { DEFAULT_BUDGET, DEFAULT_LIMITS, DEFAULT_RULES, resolveConfig } from './config.js';
export type { ResolvedConfig, ServerConfig } from './config.js';
export { ConfigError, configFromEnv } from './env.js';
export { runCli, startupMessage } from './cli.js';
export type { CliIo } from './cli.js';
export { ShopData, connection } from './data.js';
export { shopResolvers } from './resolvers.js';
export type { ShopContext, ShopServices } from './resolvers.js';
export { buildShopSchema, shopTypeDefs } from './schema.js';
export {
  SENSITIVE_NAMES,
  SHOP_POLICIES,
  createSecurity,
  forbiddenStatusPlugin,
  presetConfig,
} from './security.js';
export type { Protections, Security, SecurityInput } from './security.js';
export { hstsWhenSecure, noPersistedQueries } from './http.js';
export { REDACTED_PATHS, createLogger, createRegistry, startMetricsServer } from './monitoring.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { createTokenService } from './tokens.js';
export type { TokenService } from './tokens.js';
