import { emitEvent } from '@bulwark/core';
import type { ResolvedLimitsOptions } from './options.js';

/**
 * How deep a request's variables nest. graphql-js coerces a variable's value recursively, and
 * on a recursive input type (`input Filter { and: [Filter!] }`) a value a few thousand levels
 * deep, some 30 KB of JSON, overflows the stack: graphql-js then returns the `RangeError` as
 * the response's error. Checking the depth before execution turns that into a coded 400.
 */

/** A variable nested deeper than the maximum. */
export interface DeepVariable {
  /** The variable's name, without `$`. */
  readonly name: string;
}

/**
 * The first variable whose value nests deeper than `max` levels (each object and each list is
 * one level: `"a"` is 0, `{ "a": ["b"] }` is 2), or `undefined`. Iterative, and it stops at
 * the first value past the limit, so the check costs at most one pass over the variables.
 */
export function findDeepVariable(variables: unknown, max: number): DeepVariable | undefined {
  if (variables === null || typeof variables !== 'object' || Array.isArray(variables)) {
    return undefined;
  }
  const values: unknown[] = [];
  const depths: number[] = [];
  for (const [name, value] of Object.entries(variables as Record<string, unknown>)) {
    values.push(value);
    depths.push(0);
    while (values.length > 0) {
      const v = values.pop();
      const depth = depths.pop()!;
      if (v === null || typeof v !== 'object') continue;
      if (depth + 1 > max) return { name };
      const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
      for (const child of children) {
        if (child !== null && typeof child === 'object') {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return undefined;
}

/** `Variable "$f" is nested deeper than the maximum of 64 levels.` or, hiding limits, `Variable "$f" is nested too deeply.` */
export function variablesDepthMessage(name: string, max: number, expose: boolean): string {
  const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
  return expose
    ? `Variable "$${shown}" is nested deeper than the maximum of ${max} levels.`
    : `Variable "$${shown}" is nested too deeply.`;
}

/**
 * The check of `maxVariableDepth`, shared by the plugin and the rule: when a variable nests
 * too deep, reports the `rejected` event (with what `request()` says of the request, read only
 * then) and returns the message to refuse with.
 */
export function variablesDepthRefusal(
  variables: unknown,
  o: ResolvedLimitsOptions,
  request: () => { operationName?: string | undefined; subject?: string | undefined },
): string | undefined {
  if (o.maxVariableDepth === false) return undefined;
  const deep = findDeepVariable(variables, o.maxVariableDepth);
  if (!deep) return undefined;
  const message = variablesDepthMessage(deep.name, o.maxVariableDepth, o.exposeLimits);
  const { operationName, subject } = request();
  emitEvent(o.onEvent, {
    source: 'limits',
    outcome: 'rejected',
    code: 'VARIABLES_DEPTH_LIMIT_EXCEEDED',
    reason: message,
    operationName,
    subject,
    detail: { limit: 'maxVariableDepth', max: o.maxVariableDepth },
  });
  return message;
}
