import { describe, expect, it } from 'vitest';
import { bulwark, knownOperationTypesRule, resolvePresetOptions } from '../src/index.js';
import type { BulwarkConfig } from '../src/index.js';

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';
const base = { auth: false, authz: false } as const;
const jwt = {
  type: 'jwt',
  issuer: 'https://idp.test/',
  audience: 'https://api.test',
  algorithms: ['HS256'],
  keys: { type: 'secret', secret: SECRET },
} as const;

function refuse(config: unknown): string {
  try {
    bulwark(config as BulwarkConfig);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('bulwark config validation', () => {
  it.each<[string, unknown, string]>([
    [
      'auth missing',
      { authz: false },
      "`auth` is required: { type: 'jwt', ... }, { type: 'custom', authenticate }, or false for no authentication.",
    ],
    [
      'authz missing',
      { auth: false },
      "`authz` is required: { defaultPolicy: 'deny' | 'allow', ... }, or false for no authorization.",
    ],
    [
      'an unknown top-level option',
      { ...base, limit: {} },
      '`bulwark config` has an unknown option "limit"; known options: auth, authz, limits, rateLimit, introspection, masking, http, monitoring, production, landingPage, onEvent.',
    ],
    [
      'an unknown auth type',
      { ...base, auth: { type: 'oauth' } },
      '`auth.type` must be "jwt" or "custom", got "oauth".',
    ],
    [
      'custom auth without authenticate',
      { ...base, auth: { type: 'custom' } },
      '`auth.authenticate` must be a function, got undefined.',
    ],
    [
      'a jwt option the jwt package refuses',
      { ...base, auth: { ...jwt, algorithms: ['none'] } },
      'In `auth`: `algorithms` must not include "none": unsigned tokens are never accepted.',
    ],
    [
      'onEvent inside a feature',
      { ...base, limits: { onEvent: () => {} } },
      '`limits.onEvent` is set by the preset: use the top-level `onEvent`.',
    ],
    [
      'getPrincipal inside a feature',
      { ...base, authz: { defaultPolicy: 'deny', getPrincipal: () => null } },
      '`authz.getPrincipal` is set by the preset: the principal is the one `auth` produces.',
    ],
    [
      'maxBatchSize inside limits',
      { ...base, limits: { maxBatchSize: 5 } },
      '`limits.maxBatchSize` is set by the preset: use `http.batching.maxBatchSize`.',
    ],
    [
      'a bad limit',
      { ...base, limits: { maxDepth: -1 } },
      'In `limits`: `maxDepth` must be a non-negative number, got -1.',
    ],
    [
      'a bad authz default policy',
      { ...base, authz: { defaultPolicy: 'maybe' } },
      'In `authz`: `defaultPolicy` must be one of "deny", "allow", got "maybe".',
    ],
    [
      'a bad rate-limit rule',
      {
        ...base,
        rateLimit: { rules: [{ match: { field: 'login' }, limit: 1, window: '1m', by: 'ip' }] },
      },
      'In `rateLimit`: `rules[0].match.field` must be a coordinate such as "Mutation.login", got "login".',
    ],
    [
      'masking debug in production',
      { ...base, production: true, masking: { debug: true } },
      '`masking.debug` cannot be true in production: it sends error messages and stacks to clients.',
    ],
    [
      'a non-boolean production',
      { ...base, production: 'yes' },
      '`production` must be a boolean, got "yes".',
    ],
    [
      'an unknown introspection mode',
      { ...base, introspection: 'on' },
      '`introspection` must be "disabled", "enabled" or { allow }, got "on".',
    ],
    [
      'an introspection policy that is not a function',
      { ...base, introspection: { allow: true } },
      '`introspection.allow` must be a function, got true.',
    ],
    [
      'an unknown http option',
      { ...base, http: { limit: '1mb' } },
      '`http` has an unknown option "limit"; known options: bodyLimit, cors, csrf, batching, hsts, trustProxy.',
    ],
    [
      'a bad body limit',
      { ...base, http: { bodyLimit: '10 gigs' } },
      '`http.bodyLimit` must be a positive integer (bytes) or a size such as "100kb", got "10 gigs".',
    ],
    [
      'a wildcard CORS origin',
      { ...base, http: { cors: { origins: ['*'] } } },
      '`http.cors.origins[0]` must be an exact origin such as "https://app.example.com", got "*".',
    ],
    [
      'the null origin',
      { ...base, http: { cors: { origins: ['null'] } } },
      '`http.cors.origins[0]` must be an exact origin such as "https://app.example.com", got "null".',
    ],
    [
      'an origin with a path',
      { ...base, http: { cors: { origins: ['https://app.example.com/'] } } },
      '`http.cors.origins[0]` must be an exact origin such as "https://app.example.com" (scheme, host, port; no path or trailing slash), got "https://app.example.com/".',
    ],
    [
      'an unanchored origin pattern',
      { ...base, http: { cors: { origins: [/example\.com/] } } },
      "`http.cors.origins[0]` must be anchored with ^ and $, got /example\\.com/: an unanchored pattern also matches other sites' origins.",
    ],
    [
      'CSRF off with cookie tokens',
      {
        ...base,
        auth: { ...jwt, tokenSources: [{ from: 'cookie', name: 'session' }] },
        http: { csrf: false },
      },
      '`http.csrf` cannot be false when `auth` reads tokens from a cookie: a browser sends the cookie on cross-site requests.',
    ],
    [
      'HSTS preload without a year',
      { ...base, http: { hsts: { preload: true, maxAge: 3600 } } },
      '`http.hsts.preload` needs `includeSubDomains: true` and a `maxAge` of at least 31536000 (one year).',
    ],
    [
      'a zero batch size',
      { ...base, http: { batching: { maxBatchSize: 0 } } },
      '`http.batching.maxBatchSize` must be a positive integer, got 0.',
    ],
    [
      'a bad trustProxy',
      { ...base, http: { trustProxy: ['not-an-ip'] } },
      'In `http`: `trustProxy[0]` must be an IP address or CIDR range, got "not-an-ip".',
    ],
    [
      'a logger without info',
      { ...base, monitoring: { logger: {} } },
      '`monitoring.logger.info` must be a function, got undefined.',
    ],
    [
      'a monitoring option misspelled',
      { ...base, monitoring: { log: {} } },
      '`monitoring` has an unknown option "log"; known options: logger, registry, logVariables, sensitivePattern, maxOperationLabels, metricPrefix, now.',
    ],
  ])('refuses %s', (_name, config, message) => {
    expect(refuse(config)).toBe(message);
  });
});

describe('bulwark defaults', () => {
  it('resolves the secure defaults', () => {
    const o = resolvePresetOptions(base, {});
    expect(o).toEqual({
      production: false,
      landingPage: true,
      bodyLimit: 102_400,
      cors: {
        origins: [],
        credentials: false,
        maxAge: 600,
        allowedHeaders: ['content-type', 'authorization'],
        exposedHeaders: ['retry-after', 'ratelimit', 'ratelimit-policy', 'www-authenticate'],
      },
      csrfRequestHeaders: ['x-apollo-operation-name', 'apollo-require-preflight'],
      maxBatchSize: false,
      hsts: false,
      trustProxy: false,
      introspection: 'disabled',
      monitoring: undefined,
    });
  });

  it('infers production from NODE_ENV, and lets the config override it', () => {
    expect(resolvePresetOptions(base, { NODE_ENV: 'production' })).toMatchObject({
      production: true,
      landingPage: false,
    });
    expect(
      resolvePresetOptions({ ...base, production: false }, { NODE_ENV: 'production' }),
    ).toMatchObject({
      production: false,
      landingPage: true,
    });
  });

  it('keeps a default when an option is given as undefined', () => {
    const o = resolvePresetOptions(
      {
        ...base,
        production: undefined,
        introspection: undefined,
        http: { bodyLimit: undefined, cors: undefined, hsts: undefined, batching: undefined },
      },
      { NODE_ENV: 'production' },
    );
    expect(o).toMatchObject({
      production: true,
      bodyLimit: 102_400,
      hsts: false,
      maxBatchSize: false,
      introspection: 'disabled',
    });
    expect(o.cors).not.toBe(false);
  });

  it('parses sizes and HSTS defaults', () => {
    const o = resolvePresetOptions({ ...base, http: { bodyLimit: '1.5mb', hsts: {} } }, {});
    expect(o.bodyLimit).toBe(1_572_864);
    expect(o.hsts).toEqual({ maxAge: 31_536_000, includeSubDomains: true, preload: false });
  });

  it('builds the Apollo options with the pinned settings', () => {
    const security = bulwark({ ...base, production: true });
    const apollo = security.apollo;
    expect(apollo).toMatchObject({
      csrfPrevention: { requestHeaders: ['x-apollo-operation-name', 'apollo-require-preflight'] },
      allowBatchedHttpRequests: false,
      includeStacktraceInErrorResponses: false,
      introspection: true,
      hideSchemaDetailsFromClientErrors: true,
      persistedQueries: false,
      parseOptions: { maxTokens: 10_000 },
    });
    // The limits rule, the operation-type rule and the no-introspection rule.
    expect(apollo.validationRules).toHaveLength(3);
    expect(apollo.validationRules).toContain(knownOperationTypesRule);
    // A fresh object each time: Apollo Server pushes its own plugins into the array it gets.
    expect(security.apollo.plugins).not.toBe(apollo.plugins);
    expect(security.apollo.plugins).toHaveLength(apollo.plugins.length);
  });

  it('turns protections off only when told', () => {
    const security = bulwark({
      ...base,
      limits: false,
      rateLimit: false,
      masking: false,
      introspection: 'enabled',
    });
    // Not a protection to switch off: graphql-js 17's own check, for graphql-js 16.
    expect(security.apollo.validationRules).toEqual([knownOperationTypesRule]);
    expect(security.apollo.parseOptions).toEqual({});
    expect(security.limiter).toBeUndefined();
    expect(security.limits).toBeUndefined();
  });
});
