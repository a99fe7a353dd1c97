/**
 * Option checks used at construction. Each throws a `TypeError` that names the option and
 * says what was expected and what was given, e.g.
 * "`maxDepth` must be a positive integer, got -1."
 */

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** Throws unless `value` is an integer ≥ 1. */
export function assertPositiveInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`\`${name}\` must be a positive integer, got ${show(value)}.`);
  }
}

/** Throws unless `value` is an integer ≥ 0. */
export function assertNonNegativeInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`\`${name}\` must be a non-negative integer, got ${show(value)}.`);
  }
}

/** Throws unless `value` is a finite number ≥ 0. */
export function assertNonNegativeNumber(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`\`${name}\` must be a non-negative number, got ${show(value)}.`);
  }
}

/** Throws unless `value` is a non-empty string. */
export function assertNonEmptyString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`\`${name}\` must be a non-empty string, got ${show(value)}.`);
  }
}

/** Throws unless `value` is a boolean. */
export function assertBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`\`${name}\` must be a boolean, got ${show(value)}.`);
  }
}

/** Throws unless `value` is a function. */
export function assertFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new TypeError(`\`${name}\` must be a function, got ${show(value)}.`);
  }
}

/** Throws unless `value` is one of `allowed`. */
export function assertOneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new TypeError(
      `\`${name}\` must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${show(value)}.`,
    );
  }
}

/** Throws unless `value` is a plain object (or undefined when `optional`). */
export function assertObject(
  name: string,
  value: unknown,
): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`\`${name}\` must be an object, got ${show(value)}.`);
  }
}

/**
 * Throws on keys of `options` that are not in `known`: a misspelled security option must not
 * be silently ignored.
 */
export function assertKnownKeys(name: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `\`${name}\` has an unknown option ${JSON.stringify(key)}; known options: ${known.join(', ')}.`,
      );
    }
  }
}

/**
 * Resolves options over defaults once, at construction. An explicit `undefined` never erases a
 * default (unlike a spread).
 */
export function withDefaults<T extends object>(defaults: T, options: Partial<T> | undefined): T {
  const out = { ...defaults };
  if (options) {
    for (const key of Object.keys(options) as (keyof T)[]) {
      const v = options[key];
      if (v !== undefined) out[key] = v as T[keyof T];
    }
  }
  return out;
}
