import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, resolveConfig } from '@bulwark/example-server';

describe('configFromEnv', () => {
  it('defaults to 127.0.0.1:4000, development, memory stores, metrics on 9464', () => {
    expect(configFromEnv({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      production: false,
      corsOrigins: [],
      trustProxy: false,
      redisUrl: undefined,
      log: { level: 'info' },
      metrics: { port: 9464, host: '127.0.0.1' },
      maxBatchSize: false,
      demoPasswords: { admin: undefined, support: undefined, customer: undefined },
    });
  });

  it('reads every variable', () => {
    const config = configFromEnv({
      PORT: '4100',
      HOST: '0.0.0.0',
      NODE_ENV: 'production',
      REDIS_URL: 'redis://127.0.0.1:6379',
      CORS_ORIGINS: 'https://a.example, https://b.example:8443',
      METRICS_PORT: 'off',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: '10.0.0.0/8,127.0.0.1',
      BATCH_MAX: '5',
      BODY_LIMIT: '65536',
      ACCESS_TOKEN_TTL: '300',
      DEMO_ADMIN_PASSWORD: 'a-long-admin-password',
    });
    expect(config).toMatchObject({
      port: 4100,
      host: '0.0.0.0',
      production: true,
      redisUrl: 'redis://127.0.0.1:6379',
      corsOrigins: ['https://a.example', 'https://b.example:8443'],
      metrics: false,
      log: { level: 'warn' },
      trustProxy: ['10.0.0.0/8', '127.0.0.1'],
      maxBatchSize: 5,
      bodyLimit: 65536,
      accessTokenTtl: 300,
      demoPasswords: { admin: 'a-long-admin-password' },
    });
    expect(configFromEnv({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
  });

  const bad: [Record<string, string>, string][] = [
    [{ PORT: 'http' }, 'PORT must be an integer from 0 to 65535, got "http".'],
    [{ PORT: '70000' }, 'PORT must be an integer from 0 to 65535, got "70000".'],
    [
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose".',
    ],
    [
      { CORS_ORIGINS: 'https://a.example/' },
      'CORS_ORIGINS entries must be bare origins (no path, no trailing slash), got "https://a.example/".',
    ],
    [
      { CORS_ORIGINS: '*' },
      'CORS_ORIGINS entries must be origins like https://app.example.com, got "*".',
    ],
    [
      { TRUST_PROXY: 'yes' },
      'TRUST_PROXY must be "false", a hop count, or addresses and CIDR ranges separated by commas, got "yes".',
    ],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL must start with redis:// or rediss://.'],
    [{ BATCH_MAX: '1000' }, 'BATCH_MAX must be an integer from 1 to 100, got "1000".'],
    [
      { DEMO_CUSTOMER_PASSWORD: 'short' },
      'DEMO_CUSTOMER_PASSWORD must have at least 12 characters.',
    ],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with a message naming the variable`, () => {
      expect(() => configFromEnv(env)).toThrow(new ConfigError(message));
    });
  }
});

describe('resolveConfig', () => {
  it('turns every protection off for a bare run', () => {
    expect(resolveConfig({ protections: 'bare' }).protections).toEqual({
      limits: false,
      auth: false,
      authz: false,
      rateLimit: false,
      introspection: false,
      masking: false,
      http: false,
    });
  });

  it('keeps the others on when one is switched off', () => {
    expect(resolveConfig({ protections: { authz: false } }).protections).toMatchObject({
      authz: false,
      auth: true,
      limits: true,
    });
  });

  it('refuses bad values with a TypeError naming them', () => {
    expect(() => resolveConfig({ port: -1 })).toThrow(
      new TypeError('`port` must be an integer from 0 to 65535, got -1.'),
    );
    expect(() => resolveConfig({ maxBatchSize: 0 })).toThrow(
      new TypeError('`maxBatchSize` must be a positive integer, got 0.'),
    );
  });
});
