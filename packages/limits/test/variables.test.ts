import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import type { SecurityEvent } from '@bulwark/core';
import {
  createLimits,
  createLimitsRule,
  findDeepVariable,
  limitsPlugin,
  resolveLimitsOptions,
  variablesDepthMessage,
} from '@bulwark/limits';
import type { LimitsOptions } from '@bulwark/limits';
import { startTestServer } from '../../../test/support/http.js';

// A recursive input type, as filter APIs have: graphql-js coerces a value of it recursively.
const typeDefs = `
  input Filter { and: [Filter!] id: ID }
  type Query { count(filter: Filter): Int }
`;
const QUERY = 'query Count($f: Filter) { count(filter: $f) }';

/** The JSON of a filter nested `levels` times (two JSON levels each: object, list). */
function nestedFilter(levels: number): string {
  return '{"and":['.repeat(levels) + '{"id":"1"}' + ']}'.repeat(levels);
}

interface Reply {
  data?: unknown;
  errors: { message: string; extensions?: Record<string, unknown> }[];
}

async function serve(options: LimitsOptions, pluginOnly = false) {
  const count = vi.fn(() => 1);
  const events: SecurityEvent[] = [];
  const all = { ...options, onEvent: (e: SecurityEvent) => events.push(e) };
  const limits = createLimits(all);
  const server = await startTestServer({
    typeDefs,
    resolvers: { Query: { count } },
    ...(pluginOnly
      ? { plugins: [limitsPlugin(all)] }
      : {
          plugins: [...limits.plugins],
          validationRules: [...limits.validationRules],
          parseOptions: limits.parseOptions,
        }),
  });
  // Raw JSON: a value this deep is past what JSON.stringify can write.
  const post = (variables: string) =>
    fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"query":${JSON.stringify(QUERY)},"variables":{"f":${variables}}}`,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Reply }));
  return { server, count, events, post };
}

describe('findDeepVariable', () => {
  it('counts each object and each list as one level', () => {
    expect(findDeepVariable({ a: 'x', b: 1, c: null }, 1)).toBeUndefined();
    expect(findDeepVariable({ a: { b: ['c'] } }, 2)).toBeUndefined();
    expect(findDeepVariable({ a: 'x', b: { c: ['d'] } }, 1)).toEqual({ name: 'b' });
    expect(findDeepVariable({ a: [[[]]] }, 2)).toEqual({ name: 'a' });
    expect(findDeepVariable({ a: [[[]]] }, 3)).toBeUndefined();
  });

  it('walks a value far deeper than the stack allows, without recursion', () => {
    const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)) as unknown;
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(findDeepVariable({ ok: [1, 2], deep }, 64)).toEqual({ name: 'deep' });
  });

  it('ignores variables that are not an object', () => {
    expect(findDeepVariable(undefined, 1)).toBeUndefined();
    expect(findDeepVariable(null, 1)).toBeUndefined();
    expect(findDeepVariable([[[[1]]]], 1)).toBeUndefined();
  });

  it('says the limit, or hides it, and clips a long variable name', () => {
    expect(variablesDepthMessage('f', 64, true)).toBe(
      'Variable "$f" is nested deeper than the maximum of 64 levels.',
    );
    expect(variablesDepthMessage('f', 64, false)).toBe('Variable "$f" is nested too deeply.');
    expect(variablesDepthMessage('v'.repeat(500), 64, false)).toBe(
      `Variable "$${'v'.repeat(64)}…" is nested too deeply.`,
    );
  });

  it('is an option: 64 by default, a positive integer or false', () => {
    expect(resolveLimitsOptions({}).maxVariableDepth).toBe(64);
    expect(resolveLimitsOptions({ maxVariableDepth: false }).maxVariableDepth).toBe(false);
    expect(() => resolveLimitsOptions({ maxVariableDepth: 0 })).toThrow(/maxVariableDepth/);
    expect(() => resolveLimitsOptions({ maxVariableDepth: 'deep' as never })).toThrow(
      /maxVariableDepth/,
    );
  });
});

describe('maxVariableDepth under Apollo Server', () => {
  it('refuses variables nested past the limit with 400 before graphql-js coerces them', async () => {
    const { server, count, events, post } = await serve({});
    try {
      // 3,000 filters: 6,000 JSON levels, 30 KB, enough to overflow graphql-js's coercion.
      const res = await post(nestedFilter(3000));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        errors: [
          {
            message: 'Variable "$f" is nested deeper than the maximum of 64 levels.',
            extensions: { code: 'VARIABLES_DEPTH_LIMIT_EXCEEDED' },
          },
        ],
      });
      expect(count).not.toHaveBeenCalled();
      expect(events).toContainEqual(
        expect.objectContaining({
          source: 'limits',
          outcome: 'rejected',
          code: 'VARIABLES_DEPTH_LIMIT_EXCEEDED',
          operationName: 'Count',
          detail: { limit: 'maxVariableDepth', max: 64 },
        }),
      );
    } finally {
      await server.stop();
    }
  });

  it('runs an operation whose variables are exactly at the limit', async () => {
    const { server, count, post } = await serve({ maxVariableDepth: 8, exposeLimits: false });
    try {
      // Four filters around an empty list: object, list, object, list... 8 levels.
      const at = await post('{"and":['.repeat(4) + ']}'.repeat(4));
      expect(at.status).toBe(200);
      expect(at.body).toEqual({ data: { count: 1 } });
      // Three filters around `{ id }`: 7 levels; four: 9.
      expect((await post(nestedFilter(3))).status).toBe(200);
      const past = await post(nestedFilter(4));
      expect(past.status).toBe(400);
      expect(past.body.errors[0]).toEqual({
        message: 'Variable "$f" is nested too deeply.',
        extensions: { code: 'VARIABLES_DEPTH_LIMIT_EXCEEDED' },
      });
      expect(count).toHaveBeenCalledTimes(2);
    } finally {
      await server.stop();
    }
  });

  it('with the limit off, graphql-js overflows on coercion and the plugin still answers: no 500', async () => {
    // graphql-js hands the RangeError back as a response error with no `extensions`; the
    // plugin's error hook used to read `extensions.code` on it and turn the answer into a 500.
    const { server, count, post } = await serve({ maxVariableDepth: false }, true);
    try {
      const res = await post(nestedFilter(3000));
      expect(res.status).not.toBe(500);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0]?.message).toMatch(/call stack/);
      expect(count).not.toHaveBeenCalled();
    } finally {
      await server.stop();
    }
  });
});

describe('maxVariableDepth in the rule, for plain graphql-js', () => {
  const schema = buildSchema(typeDefs);
  const run = (variables: Record<string, unknown> | undefined) =>
    validate(schema, parse(QUERY), [
      createLimitsRule({ maxVariableDepth: 4 }, variables ? { variables } : undefined),
    ]);

  it('reports deep variables when the request is given', () => {
    const deep = JSON.parse(nestedFilter(3)) as unknown;
    const errors = run({ f: deep });
    expect(errors.map((e) => [e.message, e.extensions['code']])).toEqual([
      [
        'Variable "$f" is nested deeper than the maximum of 4 levels.',
        'VARIABLES_DEPTH_LIMIT_EXCEEDED',
      ],
    ]);
    expect(run({ f: JSON.parse(nestedFilter(1)) as unknown })).toEqual([]);
    // Without the request the rule cannot see variables (it is cached with the document).
    expect(run(undefined)).toEqual([]);
  });
});
