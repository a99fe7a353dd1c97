import { isIP } from 'node:net';
import type { LevelWithSilent } from 'pino';
import type { ServerConfig } from './config.js';

/** A bad environment variable: its message names it and says what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}".`);
  }
  return n;
}

function trustProxy(raw: string | undefined): ServerConfig['trustProxy'] {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw.split(',').map((s) => s.trim());
  for (const entry of list) {
    if (isIP(entry.split('/')[0] ?? '') === 0) {
      throw new ConfigError(
        `TRUST_PROXY must be "false", a hop count, or addresses and CIDR ranges separated by commas, got "${raw}".`,
      );
    }
  }
  return list;
}

function origins(raw: string | undefined): string[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((o) => {
      let url: URL;
      try {
        url = new URL(o);
      } catch {
        throw new ConfigError(
          `CORS_ORIGINS entries must be origins like https://app.example.com, got "${o}".`,
        );
      }
      if (url.origin !== o) {
        throw new ConfigError(
          `CORS_ORIGINS entries must be bare origins (no path, no trailing slash), got "${o}".`,
        );
      }
      return o;
    });
}

/** Reads the server configuration from environment variables (see the README for each). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const production = env['NODE_ENV'] === 'production';
  const level = env['LOG_LEVEL'] ?? 'info';
  if (!LEVELS.includes(level)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${level}".`);
  }
  const metricsRaw = env['METRICS_PORT'];
  const metricsPort =
    metricsRaw === 'off' ? undefined : (integer(env, 'METRICS_PORT', 0, 65_535) ?? 9464);
  const batch = env['BATCH_MAX'];
  const redisUrl = env['REDIS_URL'] || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError(`REDIS_URL must start with redis:// or rediss://.`);
  }
  const config: ServerConfig = {
    port: integer(env, 'PORT', 0, 65_535) ?? 4000,
    host: env['HOST'] || '127.0.0.1',
    production,
    corsOrigins: origins(env['CORS_ORIGINS']),
    trustProxy: trustProxy(env['TRUST_PROXY']),
    redisUrl,
    log: { level: level as LevelWithSilent },
    metrics:
      metricsPort === undefined
        ? false
        : { port: metricsPort, host: env['METRICS_HOST'] || '127.0.0.1' },
    maxBatchSize:
      batch === undefined || batch === '' || batch === 'off'
        ? false
        : integer(env, 'BATCH_MAX', 1, 100)!,
    demoPasswords: {
      admin: env['DEMO_ADMIN_PASSWORD'] || undefined,
      support: env['DEMO_SUPPORT_PASSWORD'] || undefined,
      customer: env['DEMO_CUSTOMER_PASSWORD'] || undefined,
    },
  };
  const bodyLimit = integer(env, 'BODY_LIMIT', 1024, 10 * 1024 * 1024);
  if (bodyLimit !== undefined) config.bodyLimit = bodyLimit;
  const accessTtl = integer(env, 'ACCESS_TOKEN_TTL', 60, 3600);
  if (accessTtl !== undefined) config.accessTokenTtl = accessTtl;
  for (const [key, value] of Object.entries(config.demoPasswords ?? {})) {
    if (value !== undefined && value.length < 12) {
      throw new ConfigError(`DEMO_${key.toUpperCase()}_PASSWORD must have at least 12 characters.`);
    }
  }
  return config;
}
