import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNTS,
  LOGIN,
  PASSWORDS,
  passwordOf,
  startTarget,
} from '../examples/server/test/harness.js';
import type { Target } from '../examples/server/test/harness.js';

// Monitoring (the guide's last section): one JSON line per request and per security event,
// and never a password, a token, an Authorization value or personal data in them; Prometheus
// metrics on their own loopback port. The attacker here tries to get secrets into the logs and
// to blow up the metrics with made-up labels.

let t: Target;
const secrets: string[] = [...Object.values(PASSWORDS)];
let requests = 0;

beforeAll(async () => {
  t = await startTarget();
  const send = async (p: Promise<unknown>) => {
    requests++;
    return p;
  };
  // Logins: variables, a literal in the document, a variable under an innocent name.
  const session = await t.login('grace');
  requests++;
  secrets.push(session.accessToken, session.refreshToken);
  await send(
    t.gql(LOGIN, { variables: { email: ACCOUNTS.alan.email, password: 'Wrong-Guess-1' } }),
  );
  await send(
    t.gql(
      `mutation { login(email: "${ACCOUNTS.ada.email}", password: "${passwordOf('ada')}") { accessToken } }`,
    ),
  );
  await send(
    t.gql(
      'mutation M($e: String!, $x: String!) { login(email: $e, password: $x) { accessToken } }',
      {
        variables: { e: ACCOUNTS.sam.email, x: 'Another-Guess-2' },
      },
    ),
  );
  secrets.push('Wrong-Guess-1', 'Another-Guess-2');
  // Authenticated requests, a refresh, an update with personal data, a logout.
  await send(t.gql('{ me { id email } }', { token: session.accessToken }));
  const refreshed = (await send(
    t.gql(
      'mutation R($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }',
      {
        variables: { r: session.refreshToken },
      },
    ),
  )) as { body: { data?: { refreshToken?: { accessToken: string; refreshToken: string } } } };
  const next = refreshed.body.data!.refreshToken!;
  secrets.push(next.accessToken, next.refreshToken);
  await send(
    t.gql('mutation U($i: UpdateUserInput!) { updateUser(id: "u2", input: $i) { id } }', {
      token: next.accessToken,
      variables: { i: { displayName: 'Grace', email: 'grace.new@example.net' } },
    }),
  );
  // Forged and malformed credentials, Basic auth with a password inside.
  const forged = `${next.accessToken.slice(0, -6)}AAAAAA`;
  secrets.push(forged);
  await send(t.gql('{ me { id } }', { token: forged }));
  const basic = Buffer.from(`ada@example.com:${passwordOf('ada')}`).toString('base64');
  secrets.push(basic);
  await send(t.gql('{ me { id } }', { headers: { authorization: `Basic ${basic}` } }));
  // A masked error would carry its original message: none of these must produce one.
  await send(t.gql('{ me { id } }', { headers: { cookie: `session=${next.refreshToken}` } }));
  await send(t.gql('mutation { logout }', { token: next.accessToken }));
  await send(t.gql('{ me { id } }', { token: next.accessToken }));
});
afterAll(() => t.stop());

describe('JSON logs', () => {
  it('writes one line per request, whatever answered it', () => {
    const lines = t.logs.filter((l) => l['bulwark'] === 'request');
    expect(lines).toHaveLength(requests);
    expect(lines.map((l) => l['status'])).toEqual([
      200, 401, 200, 401, 200, 200, 200, 401, 401, 403, 200, 401,
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({
        level: expect.any(String),
        method: 'POST',
        msg: 'GraphQL request',
      });
      expect(typeof line['durationMs']).toBe('number');
    }
  });

  it('writes one line per security event', () => {
    const lines = t.logs.filter((l) => l['bulwark'] === 'security-event');
    expect(lines.map((l) => l['code'])).toEqual(t.events.map((e) => e.code));
    expect(lines.map((l) => l['code'])).toEqual(
      expect.arrayContaining(['LOGIN_FAILED', 'UNAUTHENTICATED', 'LOGOUT']),
    );
  });

  it('never holds a password, a token, an Authorization value or an email', () => {
    const all = t.rawLogs.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(all).not.toContain(secret);
    // Not even a recognizable part of a token or a credential header.
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    expect(all).not.toMatch(/Bearer\s+[A-Za-z0-9]/);
    expect(all).not.toMatch(/Basic\s+[A-Za-z0-9]/);
    expect(all).not.toMatch(/[a-z.]+@example\.(com|net)/);
  });

  it('logs variables with the sensitive ones redacted (by name, or by the argument they feed)', () => {
    const logged = t.logs
      .filter((l) => l['bulwark'] === 'request' && l['variables'])
      .map((l) => [l['operationName'], l['variables']]);
    expect(logged).toEqual([
      ['Login', { email: '[REDACTED]', password: '[REDACTED]' }],
      ['Login', { email: '[REDACTED]', password: '[REDACTED]' }],
      ['M', { e: '[REDACTED]', x: '[REDACTED]' }],
      ['R', { r: '[REDACTED]' }],
      ['U', { i: { displayName: 'Grace', email: '[REDACTED]' } }],
    ]);
  });

  it('identifies who and what without the secret: subject, operation, codes', () => {
    const lines = t.logs.filter((l) => l['bulwark'] === 'request');
    expect(lines[0]).toMatchObject({
      operationName: 'Login',
      operationType: 'mutation',
      errorCodes: [],
    });
    expect(lines[4]).toMatchObject({ subject: 'u2', operationType: 'query', status: 200 });
    expect(lines[7]).toMatchObject({ status: 401, errorCodes: ['UNAUTHENTICATED'] });
    const failure = t.logs.find((l) => l['code'] === 'LOGIN_FAILED');
    expect(failure).toMatchObject({ subject: 'u3', outcome: 'rejected', source: 'app' });
  });
});

describe('Prometheus metrics', () => {
  let metrics: string;
  beforeAll(async () => {
    // Fill a few more series: a rejection per code, a rate-limit hit, made-up operation names.
    for (let i = 0; i < 150; i++) await t.gql(`query Probe${i} { admin { stats { users } } }`);
    for (let i = 0; i < 12; i++) {
      await t.gql(LOGIN, { variables: { email: 'nobody@example.com', password: `x${i}` } });
    }
    metrics = await (await fetch(t.server.metricsUrl!)).text();
  });

  it('is served on its own loopback port, not on the API', async () => {
    expect(new URL(t.server.metricsUrl!).hostname).toBe('127.0.0.1');
    expect(new URL(t.server.metricsUrl!).port).not.toBe(new URL(t.url).port);
    const onApi = await t.send({ method: 'GET', path: '/metrics' });
    expect(onApi.status).toBe(404);
    const other = await fetch(new URL('/graphql', t.server.metricsUrl!));
    expect(other.status).toBe(404);
  });

  it('counts rejections by code and operation, rate-limit hits and authentication failures', () => {
    expect(metrics).toMatch(/^bulwark_rejections_total\{code="FORBIDDEN",operation="Probe0"\} 1$/m);
    expect(metrics).toMatch(/^bulwark_rate_limit_hits_total\{rule="Mutation\.login"\} \d+$/m);
    expect(metrics).toMatch(
      /^bulwark_authentication_failures_total\{reason="TOKEN_INVALID"\} [1-9]\d*$/m,
    );
    expect(metrics).toMatch(/^bulwark_authentication_failures_total\{reason="TOKEN_REVOKED"\} 1$/m);
    expect(metrics).toMatch(
      /^bulwark_security_events_total\{source="app",outcome="rejected",code="LOGIN_FAILED"\} [1-9]\d*$/m,
    );
    expect(metrics).toMatch(
      /^bulwark_authentication_failures_total\{reason="LOGIN_FAILED"\} [1-9]\d*$/m,
    );
    expect(metrics).toMatch(
      /^bulwark_graphql_request_duration_seconds_bucket\{le="0\.1",operation_type="mutation",status="200"\} \d+$/m,
    );
  });

  it('bounds the operation label: made-up names beyond the first hundred share one series', () => {
    const operations = new Set(
      [
        ...metrics.matchAll(/^bulwark_rejections_total\{code="FORBIDDEN",operation="([^"]*)"\}/gm),
      ].map((m) => m[1]),
    );
    const named = [...operations].filter((o) => o?.startsWith('Probe'));
    expect(named.length).toBeLessThanOrEqual(100);
    expect(operations.has('__other__')).toBe(true);
    expect(operations.has('Probe149')).toBe(false);
  });

  it('holds no secret either', () => {
    for (const secret of secrets) expect(metrics).not.toContain(secret);
    expect(metrics).not.toMatch(/@example\.com/);
  });
});
