export { createJwtAuth } from './auth.js';
export type { JwtAuth, ContextFunctionArgument } from './auth.js';
export { JWT_AUTH_DEFAULTS, resolveJwtAuthOptions } from './options.js';
export type {
  ClaimMapping,
  JwtAuthBaseOptions,
  JwtAuthOptions,
  KeySourceOptions,
  LocalJwksKeys,
  PublicKeyMaterial,
  PublicKeysKeys,
  RemoteJwksKeys,
  ResolvedJwtAuthOptions,
  RevocationOptions,
  SecretKeys,
  TokenCacheOptions,
  TokenSource,
} from './options.js';
export { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, JWT_ALGORITHMS } from './algorithms.js';
export type { AsymmetricAlgorithm, HmacAlgorithm, JwtAlgorithm } from './algorithms.js';
export {
  AUTH_FAILURE_REASONS,
  AUTH_UNAVAILABLE_MESSAGE,
  BASIC_AUTH_MESSAGE,
  UNAUTHENTICATED_MESSAGE,
  bearerChallenge,
} from './errors.js';
export type { AuthFailureReason } from './errors.js';
export { extractToken, isCompactJws, locateToken } from './extract.js';
export type { AuthRequest, Extraction, ExtractionFailure, TokenLocation } from './extract.js';
export { principalFromClaims } from './claims.js';
export { KeysUnavailableError } from './keys.js';
export { MemoryRevocationList } from './revocation.js';
export type { MemoryRevocationListOptions } from './revocation.js';
export { createJwtPlugin } from './plugin.js';
export type { JwtPluginSettings } from './plugin.js';
