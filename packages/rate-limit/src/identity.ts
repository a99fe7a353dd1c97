import { createHash } from 'node:crypto';
import type { Principal } from '@bulwark/core';

/**
 * A built-in identity:
 * - `'principal'`: the principal's subject when authenticated, else the client IP;
 * - `'ip'`: the client IP (IPv6 reduced to its subnet, see `ipv6Subnet`);
 * - `'client'`: the API client id (`getClientId`), else the client IP;
 * - `'global'`: one bucket shared by everyone;
 * - `'arg:<name>'` / `'arg:<name>.<path>'`: the value of a field argument (`arg:email`,
 *   `arg:input.email`), only on field rules: a login limited per account.
 */
export type IdentityName = 'principal' | 'ip' | 'client' | 'global' | `arg:${string}`;

/**
 * An identity of your own, resolved per request (a tenant id from the principal's claims).
 *
 * Security: return something the client cannot choose freely, such as a verified claim. A
 * value taken from an unverified header lets a client pick a fresh bucket per request.
 */
export interface CustomIdentity {
  /** Name used in keys, headers and events. */
  readonly name: string;
  /** The identity value; `null`/`undefined` falls back to the client IP. */
  readonly resolve: (input: IdentityInput) => string | null | undefined;
}

/**
 * Who a rule counts against: one identity, or several joined with `+` for one bucket per
 * combination (`'ip+arg:email'`: each IP gets its own budget per account).
 */
export type IdentitySpec = IdentityName | `${IdentityName}+${string}` | CustomIdentity;

/** What identities are resolved from. */
export interface IdentityInput {
  readonly context: unknown;
  readonly principal: Principal | null;
  /** The client IP as `getClientIp` gave it, before subnet reduction. */
  readonly clientIp: string | undefined;
}

/** One part of a compiled identity. */
export type IdentityPart =
  | { readonly kind: 'principal' | 'ip' | 'client' | 'global' }
  | { readonly kind: 'arg'; readonly argument: string; readonly path: readonly string[] }
  | { readonly kind: 'custom'; readonly name: string; readonly resolve: CustomIdentity['resolve'] };

/** An identity ready to resolve. */
export interface CompiledIdentity {
  /** Canonical name: `'ip'`, `'ip+arg:email'`. */
  readonly name: string;
  readonly parts: readonly IdentityPart[];
  /** True when a part reads a field argument. */
  readonly usesArguments: boolean;
}

const ARG = /^arg:([_A-Za-z][_0-9A-Za-z]*)((?:\.[_A-Za-z][_0-9A-Za-z]*)*)$/;

function compilePart(text: string, option: string): IdentityPart {
  if (text === 'principal' || text === 'ip' || text === 'client' || text === 'global') {
    return { kind: text };
  }
  const m = ARG.exec(text);
  if (m) {
    const path = m[2] ? m[2].slice(1).split('.') : [];
    return { kind: 'arg', argument: m[1]!, path };
  }
  throw new TypeError(
    `\`${option}\` must be "principal", "ip", "client", "global", "arg:<name>" or a combination joined with "+", got ${JSON.stringify(text)}.`,
  );
}

/** Compiles one identity spec; throws a `TypeError` naming `option` when it is invalid. */
export function compileIdentity(spec: unknown, option: string): CompiledIdentity {
  if (typeof spec === 'string') {
    const parts = spec.split('+').map((p) => compilePart(p.trim(), option));
    const name = parts.map(partName).join('+');
    return { name, parts, usesArguments: parts.some((p) => p.kind === 'arg') };
  }
  if (spec !== null && typeof spec === 'object') {
    const custom = spec as Partial<CustomIdentity>;
    if (typeof custom.name !== 'string' || custom.name.length === 0 || /[|=+]/.test(custom.name)) {
      throw new TypeError(`\`${option}.name\` must be a non-empty string without "|", "=" or "+".`);
    }
    if (typeof custom.resolve !== 'function') {
      throw new TypeError(`\`${option}.resolve\` must be a function.`);
    }
    const part: IdentityPart = { kind: 'custom', name: custom.name, resolve: custom.resolve };
    return { name: custom.name, parts: [part], usesArguments: false };
  }
  throw new TypeError(`\`${option}\` must be an identity name or a custom identity.`);
}

/** Compiles `by` (one spec or a list); at least one identity is required. */
export function compileIdentities(by: unknown, option: string): CompiledIdentity[] {
  const list = Array.isArray(by) ? (by as unknown[]) : [by];
  if (by === undefined || list.length === 0) {
    throw new TypeError(`\`${option}\` is required: say whom the limit counts against.`);
  }
  const out = list.map((s, i) =>
    compileIdentity(s, Array.isArray(by) ? `${option}[${i}]` : option),
  );
  const names = new Set<string>();
  for (const id of out) {
    if (names.has(id.name)) throw new TypeError(`\`${option}\` lists "${id.name}" twice.`);
    names.add(id.name);
  }
  return out;
}

function partName(part: IdentityPart): string {
  if (part.kind === 'arg') return `arg:${[part.argument, ...part.path].join('.')}`;
  if (part.kind === 'custom') return part.name;
  return part.kind;
}

/** Values an identity part resolved to for one request (arguments aside). */
export interface ResolvedParts {
  /** `s:<subject>` or the IP key. */
  principal(): string;
  ip(): string;
  client(): string;
  custom(part: Extract<IdentityPart, { kind: 'custom' }>): string;
}

const MAX_RAW = 128;

/** Makes a value safe for a key: URI-encoded (no `|`, `=`, `+`, `{`, `}`), or hashed when long. */
export function keyComponent(value: string): string {
  return value.length <= MAX_RAW ? encodeURIComponent(value) : `h:${digest(value)}`;
}

/** A short digest (SHA-256, 128 bits, base64url): no argument value is stored in clear. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

/** The marker of an argument that has no value in the operation. */
export const NO_VALUE = '-';

/**
 * Nesting beyond which an object or list argument is not told apart from others as deep: every
 * such value shares one key (stricter, never looser). Bounds the recursion of
 * {@link canonicalJson} on client values (`JSON.stringify` overflows near 5,000 levels).
 */
export const MAX_ARGUMENT_DEPTH = 32;

/** The one key text of every argument value nested deeper than {@link MAX_ARGUMENT_DEPTH}. */
const TOO_DEEP = 'j:too-deep';

/**
 * JSON of an object or list argument in one canonical form: object keys sorted, strings through
 * `normalize`, so that reordering an input object's fields or changing the case of an email in
 * it does not make a fresh key. `undefined` past {@link MAX_ARGUMENT_DEPTH}.
 */
function canonicalJson(
  value: unknown,
  normalize: (value: string) => string,
  depth: number,
): string | undefined {
  if (typeof value === 'string') return JSON.stringify(normalize(value));
  if (value === null || typeof value !== 'object') {
    // Numbers, booleans, null; anything else (undefined) as null, as JSON.stringify does in lists.
    return typeof value === 'number' || typeof value === 'boolean' ? String(value) : 'null';
  }
  if (depth >= MAX_ARGUMENT_DEPTH) return undefined;
  const parts: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      const part = canonicalJson(item, normalize, depth + 1);
      if (part === undefined) return undefined;
      parts.push(part);
    }
    return `[${parts.join(',')}]`;
  }
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const part = canonicalJson(v, normalize, depth + 1);
    if (part === undefined) return undefined;
    parts.push(`${JSON.stringify(key)}:${part}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * Turns an argument value into a key component: strings through `normalize`, other scalars
 * as text, objects and lists as canonical JSON (keys sorted, strings normalized; one shared
 * key past {@link MAX_ARGUMENT_DEPTH} levels); then hashed, so no personal data (an email)
 * sits in the store.
 */
export function argumentComponent(value: unknown, normalize: (value: string) => string): string {
  if (value === undefined || value === null) return NO_VALUE;
  let text: string;
  if (typeof value === 'string') text = `s:${normalize(value)}`;
  else if (typeof value === 'number' || typeof value === 'boolean') text = `s:${String(value)}`;
  else {
    const json = canonicalJson(value, normalize, 0);
    text = json === undefined ? TOO_DEEP : `j:${json}`;
  }
  return digest(text);
}

/** Follows a dotted path into an argument value. */
export function followPath(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = Object.prototype.hasOwnProperty.call(v, key)
      ? (v as Record<string, unknown>)[key]
      : undefined;
  }
  return v;
}

/**
 * The default normalization of string arguments: Unicode NFKC, trimmed, lower-cased, so
 * `" Alice@Example.COM"` and `"alice@example.com"` share a bucket. Merging two accounts that
 * differ only by case makes a limit stricter, never looser.
 */
export function defaultNormalizeArgument(value: string): string {
  return value.normalize('NFKC').trim().toLowerCase();
}
