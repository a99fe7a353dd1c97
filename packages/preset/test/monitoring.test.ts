import type { SecurityEvent } from '@bulwark/core';
import { parse } from 'graphql';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  BoundedLabel,
  REDACTED,
  pinoEvents,
  prometheusEvents,
  redactText,
  redactValue,
  redactVariables,
  sensitiveVariableNames,
} from '../src/index.js';
import type { EventLogger } from '../src/index.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl';

describe('sensitiveVariableNames', () => {
  const names = (source: string) => [...sensitiveVariableNames(parse(source))].sort();

  it('marks variables passed to sensitive arguments, whatever their names', () => {
    expect(names('mutation($a: String!, $b: String!) { login(email: $a, password: $b) }')).toEqual([
      'b',
    ]);
  });

  it('marks variables passed to sensitive input fields, nested and in lists', () => {
    expect(
      names(
        'mutation($x: String, $y: String, $z: String) { a(input: { user: { password: $x } }) b(list: [{ apiKey: $y }]) c(ok: $z) }',
      ),
    ).toEqual(['x', 'y']);
  });

  it('marks a whole value passed to a sensitive argument', () => {
    expect(names('mutation($v: Creds) { a(credentials: $v) }')).toEqual(['v']);
  });

  it('marks variables named like a secret and variables used in fragments', () => {
    expect(
      names(
        'query($refreshToken: String, $s: String) { ...F } fragment F on Query { a(sessionId: $s) }',
      ),
    ).toEqual(['refreshToken', 's']);
  });

  it('leaves ordinary variables alone', () => {
    expect(
      names('query($id: ID!, $first: Int) { user(id: $id) { friends(first: $first) { id } } }'),
    ).toEqual([]);
  });
});

describe('redactVariables', () => {
  it('redacts sensitive variables and sensitive keys inside values', () => {
    const document = parse(
      'mutation($a: String!, $p: String!, $i: In) { login(email: $a, password: $p) x(i: $i) }',
    );
    expect(
      redactVariables(
        {
          a: 'ada@example.com',
          p: 'hunter2',
          i: { otp: '123456', note: `Bearer ${JWT}` },
          token: 'abc',
        },
        document,
      ),
    ).toEqual({
      a: 'ada@example.com',
      p: REDACTED,
      i: { otp: REDACTED, note: `Bearer ${REDACTED}` },
      token: REDACTED,
    });
  });

  it('returns undefined without variables', () => {
    expect(redactVariables(undefined, undefined)).toBeUndefined();
  });
});

describe('redactValue and redactText', () => {
  it('removes JWTs and HTTP credentials from text', () => {
    expect(redactText(`got ${JWT} from Authorization: Bearer abc.def and Basic dXNlcjpwYXNz`)).toBe(
      `got ${REDACTED} from Authorization: Bearer ${REDACTED} and Basic ${REDACTED}`,
    );
  });

  it('clips long strings', () => {
    expect(redactText('x'.repeat(3000))).toBe(`${'x'.repeat(2048)}…`);
  });

  it('redacts keys, turns errors into plain objects and bounds depth and lists', () => {
    const error = new Error(`bad ${JWT}`);
    const deep = { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } };
    const out = redactValue({
      password: 'x',
      Authorization: 'Bearer y',
      cookie: 'sid=1',
      error,
      deep,
      list: Array.from({ length: 55 }, (_, i) => i),
      when: new Date(0),
      fn: () => 1,
      big: 10n,
    }) as Record<string, unknown>;
    expect(out['password']).toBe(REDACTED);
    expect(out['Authorization']).toBe(REDACTED);
    expect(out['cookie']).toBe(REDACTED);
    expect(out['error']).toMatchObject({ name: 'Error', message: `bad ${REDACTED}` });
    expect((out['error'] as { stack: string }).stack).not.toContain(JWT);
    expect(out['deep']).toEqual({ a: { b: { c: { d: { e: '[Truncated]' } } } } });
    expect((out['list'] as unknown[]).length).toBe(51);
    expect((out['list'] as unknown[])[50]).toBe('[5 more]');
    expect(out['when']).toBe('1970-01-01T00:00:00.000Z');
    expect(out['fn']).toBeUndefined();
    expect(out['big']).toBe('10');
  });
});

function memoryLogger() {
  const calls: { level: string; object: Record<string, unknown>; message: string | undefined }[] =
    [];
  const at =
    (level: string) =>
    (object: object, message?: string): void => {
      calls.push({ level, object: object as Record<string, unknown>, message });
    };
  const logger: EventLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, calls };
}

const event = (overrides: Partial<SecurityEvent>): SecurityEvent => ({
  timestamp: 1,
  source: 'jwt',
  outcome: 'rejected',
  code: 'UNAUTHENTICATED',
  reason: 'The token has expired.',
  ...overrides,
});

describe('pinoEvents', () => {
  it('writes one line per event at the level of its outcome', () => {
    const { logger, calls } = memoryLogger();
    const onEvent = pinoEvents(logger);
    onEvent(
      event({
        subject: 'u1',
        operationName: 'Me',
        detail: { reason: 'TOKEN_EXPIRED', tokenId: 'j1' },
      }),
    );
    onEvent(
      event({ outcome: 'masked', source: 'masking', code: 'INTERNAL_SERVER_ERROR', errorId: 'e1' }),
    );
    onEvent(event({ outcome: 'warning', code: 'JWKS_FETCH_FAILED' }));
    expect(calls.map((c) => c.level)).toEqual(['warn', 'error', 'warn']);
    expect(calls[0]).toEqual({
      level: 'warn',
      message: 'The token has expired.',
      object: {
        bulwark: 'security-event',
        timestamp: 1,
        source: 'jwt',
        outcome: 'rejected',
        code: 'UNAUTHENTICATED',
        operationName: 'Me',
        subject: 'u1',
        // `tokenId` is named like a secret: redacted, as a second line of defense.
        detail: { reason: 'TOKEN_EXPIRED', tokenId: REDACTED },
      },
    });
    expect(calls[1]!.object['errorId']).toBe('e1');
  });

  it('takes levels per outcome', () => {
    const { logger, calls } = memoryLogger();
    pinoEvents(logger, { levels: { rejected: 'info', flagged: undefined } })(event({}));
    expect(calls[0]!.level).toBe('info');
  });

  it('refuses what is not a logger and unknown levels', () => {
    expect(() => pinoEvents({} as EventLogger)).toThrow(
      new TypeError('`logger.info` must be a function.'),
    );
    expect(() =>
      pinoEvents(memoryLogger().logger, { levels: { rejected: 'debug' as 'info' } }),
    ).toThrow(new TypeError('`levels.rejected` must be "info", "warn" or "error", got "debug".'));
  });
});

describe('prometheusEvents', () => {
  it('counts events, rejections by code and operation, rate-limit hits and auth failures', async () => {
    const registry = new Registry();
    const onEvent = prometheusEvents(registry, { prefix: 'api_' });
    onEvent(event({ detail: { reason: 'TOKEN_EXPIRED' } }));
    onEvent(event({ detail: { reason: 'something else' } }));
    onEvent(
      event({
        source: 'rate-limit',
        code: 'RATE_LIMITED',
        operationName: 'Login',
        detail: { refused: [{ policy: 'Mutation.login' }, { policy: 'op:Login#2' }] },
      }),
    );
    onEvent(event({ outcome: 'flagged', source: 'limits', code: 'DEPTH_LIMIT_EXCEEDED' }));
    onEvent(event({ source: 'app', code: 'LOGIN_FAILED' }));
    const text = await registry.metrics();
    expect(text).toContain('api_authentication_failures_total{reason="LOGIN_FAILED"} 1');
    expect(text).toContain('api_authentication_failures_total{reason="TOKEN_EXPIRED"} 1');
    expect(text).toContain('api_authentication_failures_total{reason="OTHER"} 1');
    expect(text).toContain('api_rate_limit_hits_total{rule="Mutation.login"} 1');
    expect(text).toContain('api_rate_limit_hits_total{rule="op:Login#2"} 1');
    expect(text).toContain('api_rejections_total{code="RATE_LIMITED",operation="Login"} 1');
    expect(text).toContain(
      'api_rejections_total{code="UNAUTHENTICATED",operation="__anonymous__"} 2',
    );
    expect(text).toContain(
      'api_security_events_total{source="limits",outcome="flagged",code="DEPTH_LIMIT_EXCEEDED"} 1',
    );
    // A flagged event is not a rejection.
    expect(text).not.toContain('code="DEPTH_LIMIT_EXCEEDED",operation');
  });

  it('shares one registry between two handlers', async () => {
    const registry = new Registry();
    prometheusEvents(registry)(event({}));
    prometheusEvents(registry)(event({}));
    expect(await registry.metrics()).toContain(
      'bulwark_security_events_total{source="jwt",outcome="rejected",code="UNAUTHENTICATED"} 2',
    );
  });

  it('refuses what is not a registry and a bad prefix', () => {
    expect(() => prometheusEvents({} as Registry)).toThrow(
      new TypeError('`registry` must be a prom-client Registry.'),
    );
    expect(() => prometheusEvents(new Registry(), { prefix: 'bad-prefix' })).toThrow(
      new TypeError('`prefix` must be a Prometheus metric name prefix, got "bad-prefix".'),
    );
  });
});

describe('BoundedLabel', () => {
  it('keeps the first names, pools the rest, and refuses what is not a name', () => {
    const label = new BoundedLabel(2);
    expect(
      ['A', 'B', 'C', 'A', undefined, '', 'x y', 'a'.repeat(200)].map((n) => label.value(n)),
    ).toEqual([
      'A',
      'B',
      '__other__',
      'A',
      '__anonymous__',
      '__anonymous__',
      '__invalid__',
      '__invalid__',
    ]);
  });
});
