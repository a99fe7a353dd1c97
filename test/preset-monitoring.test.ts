import { randomUUID } from 'node:crypto';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { AUTHZ_DIRECTIVES_SDL } from '@bulwark/authz';
import { principalFromContext } from '@bulwark/core';
import { bulwark, requestLogPlugin, requestMetricsPlugin } from '@bulwark/preset';
import { rateLimitDirectiveTypeDefs } from '@bulwark/rate-limit';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPresetServer } from '../packages/preset/test/support.js';
import type { PresetServer } from '../packages/preset/test/support.js';
import { startTestServer } from './support/http.js';

const ISSUER = 'https://idp.test/';
const AUDIENCE = 'https://api.test';
const SECRET = new TextEncoder().encode('monitoring-test-secret-of-32-bytes-or-more');
const PASSWORD = 'hunter2-S3cret!';
const REFRESH_TOKEN = 'rt_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const ERROR_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2lnbmF0dXJlLWxlYWs';

const typeDefs = /* GraphQL */ `
  ${AUTHZ_DIRECTIVES_SDL}
  ${rateLimitDirectiveTypeDefs}
  input Credentials {
    email: String!
    password: String!
  }
  type Query @public {
    me: String
    limited: Int @rateLimit(limit: 1, window: "1m", by: ["ip"])
    secret: String @requiresScopes(scopes: [["secret:read"]])
    leak: String
  }
  type Mutation @public {
    login(email: String!, password: String!): String
    loginWith(input: Credentials!): String
    refresh(refreshToken: String!): String
  }
`;

const schema = makeExecutableSchema({
  typeDefs,
  resolvers: {
    Query: {
      me: (_: unknown, __: unknown, ctx: unknown) => principalFromContext(ctx)?.subject ?? null,
      limited: () => 1,
      secret: () => 's',
      // A library that echoes a token in its error message.
      leak: () => {
        throw new Error(
          `upstream refused token ${ERROR_TOKEN} with Authorization: Bearer ${ERROR_TOKEN}`,
        );
      },
    },
    Mutation: {
      login: () => 'ok',
      loginWith: () => 'ok',
      refresh: () => 'new-session',
    },
  },
});

async function token(sub: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m')
    .setJti(randomUUID())
    .sign(SECRET);
}

describe('preset monitoring: pino lines and Prometheus metrics', () => {
  let s: PresetServer;
  const lines: string[] = [];
  const registry = new Registry();
  let clock = 0;
  let bearer: string;
  const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const requestLines = () => logged().filter((l) => l['bulwark'] === 'request');
  const eventLines = () => logged().filter((l) => l['bulwark'] === 'security-event');

  beforeAll(async () => {
    const logger = pino(
      { level: 'info', base: null },
      { write: (line: string) => lines.push(line) },
    );
    const security = bulwark({
      auth: {
        type: 'jwt',
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        keys: { type: 'secret', secret: SECRET },
        mode: 'optional',
      },
      authz: { defaultPolicy: 'deny' },
      monitoring: {
        logger,
        registry,
        logVariables: true,
        maxOperationLabels: 2,
        now: () => (clock += 5),
      },
    });
    s = await startPresetServer(security, schema);
    bearer = await token('u1');
  });
  afterAll(() => s.stop());

  it('logs one line per request, with variables but never a secret', async () => {
    lines.length = 0;
    const headers = { authorization: `Bearer ${bearer}` };
    const login = await s.post(
      {
        query: 'mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) }',
        variables: { e: 'ada@example.com', p: PASSWORD },
      },
      headers,
    );
    expect(login.body).toEqual({ data: { login: 'ok' } });
    const loginWith = await s.post(
      {
        query: 'mutation LoginWith($c: Credentials!) { loginWith(input: $c) }',
        variables: { c: { email: 'ada@example.com', password: PASSWORD } },
      },
      headers,
    );
    expect(loginWith.body).toEqual({ data: { loginWith: 'ok' } });
    const refresh = await s.post(
      {
        query: 'mutation Refresh($t: String!) { refresh(refreshToken: $t) }',
        variables: { t: REFRESH_TOKEN },
      },
      headers,
    );
    expect(refresh.body).toEqual({ data: { refresh: 'new-session' } });
    // A password of the wrong type: graphql-js quotes the value in its message.
    const coerced = await s.post({
      query: 'mutation Bad($p: String!) { login(email: "a@b.c", password: $p) }',
      variables: { p: { value: PASSWORD } },
    });
    expect(coerced.status).toBe(400);
    // A refused token, and a resolver error that quotes a token.
    const refused = await s.post(
      { query: '{ me }' },
      { authorization: `Bearer ${bearer.slice(0, -3)}xyz` },
    );
    expect(refused.status).toBe(401);
    const leak = await s.post({ query: 'query Leak { leak }' });
    expect(leak.body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');

    const all = lines.join('\n');
    for (const secret of [PASSWORD, REFRESH_TOKEN, bearer, bearer.slice(0, -3), ERROR_TOKEN]) {
      expect(all).not.toContain(secret);
    }
    expect(all.toLowerCase()).not.toContain('authorization":');

    const requests = requestLines();
    expect(requests).toHaveLength(6);
    expect(requests[0]).toEqual({
      level: 30,
      time: expect.any(Number),
      msg: 'GraphQL request',
      bulwark: 'request',
      method: 'POST',
      status: 200,
      durationMs: 5,
      operationName: 'Login',
      operationType: 'mutation',
      variables: { e: 'ada@example.com', p: '[REDACTED]' },
      errorCodes: [],
      subject: 'u1',
      clientIp: '127.0.0.1',
      queryHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(requests[1]!['variables']).toEqual({
      c: { email: 'ada@example.com', password: '[REDACTED]' },
    });
    expect(requests[2]!['variables']).toEqual({ t: '[REDACTED]' });
    expect(requests[3]).toMatchObject({
      status: 400,
      operationName: 'Bad',
      errorCodes: ['BAD_USER_INPUT'],
    });
    expect(requests[4]).toMatchObject({ status: 401, errorCodes: ['UNAUTHENTICATED'] });
    expect(requests[4]).not.toHaveProperty('subject');
    expect(requests[5]).toMatchObject({
      status: 200,
      operationName: 'Leak',
      errorCodes: ['INTERNAL_SERVER_ERROR'],
      errorIds: [leak.body.errors[0].extensions.errorId],
    });
  });

  it('logs each security event as one JSON line, tokens removed from masked errors', () => {
    const events = eventLines();
    expect(events.find((e) => e['source'] === 'jwt')).toMatchObject({
      level: 40,
      bulwark: 'security-event',
      outcome: 'rejected',
      code: 'UNAUTHENTICATED',
      detail: { reason: 'TOKEN_INVALID', check: 'signature' },
    });
    const masked = events.find((e) => e['outcome'] === 'masked');
    expect(masked).toMatchObject({ level: 50, source: 'masking', operationName: 'Leak' });
    const detail = masked!['detail'] as Record<string, unknown>;
    expect(detail['message']).toBe(
      'upstream refused token [REDACTED] with Authorization: Bearer [REDACTED]',
    );
    expect(detail['stack']).toEqual(expect.stringContaining('upstream refused token [REDACTED]'));
  });

  it('logs requests refused on the HTTP layer', async () => {
    lines.length = 0;
    const big = await s.post({ query: '{ me }', variables: { pad: 'x'.repeat(110_000) } });
    expect(big.status).toBe(413);
    const bad = await s.post('{"query":');
    expect(bad.status).toBe(400);
    expect(requestLines()).toEqual([
      expect.objectContaining({ status: 413, errorCodes: ['PAYLOAD_TOO_LARGE'], durationMs: 5 }),
      expect.objectContaining({ status: 400, errorCodes: ['BAD_REQUEST'] }),
    ]);
  });

  it('counts authentication failures, rejections, rate-limit hits and latency', async () => {
    expect((await s.post({ query: 'query L { limited }' })).status).toBe(200);
    expect((await s.post({ query: 'query L { limited }' })).status).toBe(429);
    for (const name of ['A', 'B', 'C']) {
      expect((await s.post({ query: `query ${name} { secret }` })).status).toBe(403);
    }
    const text = await registry.metrics();
    expect(text).toContain('bulwark_authentication_failures_total{reason="TOKEN_INVALID"} 1');
    expect(text).toContain(
      'bulwark_security_events_total{source="jwt",outcome="rejected",code="UNAUTHENTICATED"} 1',
    );
    expect(text).toContain('bulwark_rate_limit_hits_total{rule="Query.limited"} 1');
    expect(text).toContain('bulwark_rejections_total{code="RATE_LIMITED",operation="L"} 1');
    // Client-chosen operation names are bounded: the first two kept (L, A), the rest pooled.
    expect(text).toContain('bulwark_rejections_total{code="FORBIDDEN",operation="A"} 1');
    expect(text).toContain('bulwark_rejections_total{code="FORBIDDEN",operation="__other__"} 2');
    expect(text).not.toContain('operation="C"');
    expect(text).toContain(
      'bulwark_graphql_request_duration_seconds_bucket{le="0.005",operation_type="query",status="429"} 1',
    );
    expect(text).toContain(
      'bulwark_graphql_request_duration_seconds_count{operation_type="none",status="413"} 1',
    );
  });
});

describe('monitoring adapters on their own (no preset)', () => {
  it('logs and times each operation from the Apollo plugins alone', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ base: null }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const registry = new Registry();
    let t = 0;
    const server = await startTestServer({
      schema: makeExecutableSchema({
        typeDefs: 'type Query { a: Int }',
        resolvers: { Query: { a: () => 1 } },
      }),
      plugins: [
        requestLogPlugin(logger, { now: () => (t += 2) }),
        requestMetricsPlugin(registry, { now: () => (t += 2) }),
      ],
    });
    try {
      expect((await server.post({ query: 'query Q { a }' })).status).toBe(200);
      expect((await server.post({ query: '{ nope }' })).status).toBe(400);
    } finally {
      await server.stop();
    }
    expect(lines).toEqual([
      expect.objectContaining({
        bulwark: 'request',
        status: 200,
        durationMs: 4,
        operationName: 'Q',
        operationType: 'query',
        errorCodes: [],
      }),
      expect.objectContaining({ status: 400, errorCodes: ['GRAPHQL_VALIDATION_FAILED'] }),
    ]);
    expect(lines[0]).not.toHaveProperty('variables');
    const text = await registry.metrics();
    expect(text).toContain(
      'bulwark_graphql_request_duration_seconds_count{operation_type="query",status="200"} 1',
    );
    expect(text).toContain(
      'bulwark_graphql_request_duration_seconds_count{operation_type="none",status="400"} 1',
    );
  });
});

describe('request log of an HTTP batch', () => {
  it('writes one line for the HTTP request, listing each operation', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ base: null }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const security = bulwark({
      auth: false,
      authz: false,
      http: { batching: { maxBatchSize: 5 } },
      monitoring: { logger, logVariables: true, now: () => 0 },
    });
    const s = await startPresetServer(
      security,
      makeExecutableSchema({
        typeDefs: 'type Query { a(token: String): Int }',
        resolvers: { Query: { a: () => 1 } },
      }),
    );
    try {
      const res = await s.post([
        { query: 'query One { a }' },
        { query: 'query Two($t: String) { a(token: $t) }', variables: { t: 'opaque-secret' } },
      ]);
      expect(res.status).toBe(200);
    } finally {
      await s.stop();
    }
    const requests = lines.filter((l) => l['bulwark'] === 'request');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      status: 200,
      errorCodes: [],
      operations: [
        { operationName: 'One', operationType: 'query' },
        { operationName: 'Two', operationType: 'query', variables: { t: '[REDACTED]' } },
      ],
    });
    expect(JSON.stringify(lines)).not.toContain('opaque-secret');
  });
});
