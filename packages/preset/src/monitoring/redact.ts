import { visit } from 'graphql';
import type { ASTNode, DocumentNode, ValueNode } from 'graphql';

/**
 * Names of values that must never reach a log: passwords, secrets, tokens (access, refresh,
 * CSRF), authorization headers, cookies, sessions, one-time codes, card data, API and private
 * keys, credentials. Matched against variable, argument, input field and object key names.
 */
export const SENSITIVE_NAME_PATTERN =
  /passw|passphrase|^pass$|pwd|secret|token|authori[sz]ation|cookie|session|^otp$|ssn|cvv|cvc|card.?number|api.?key|private.?key|credential/i;

/** A copy of `pattern` without the `g` and `y` flags, whose `test` keeps state between calls. */
export function statelessPattern(pattern: RegExp): RegExp {
  return pattern.global || pattern.sticky
    ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))
    : pattern;
}

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

// A compact JWS/JWT anywhere in a string, and credentials after an HTTP auth scheme.
const JWT_IN_TEXT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const SCHEME_CREDENTIALS = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

const MAX_STRING = 2048;
const MAX_ITEMS = 50;
const MAX_DEPTH = 6;

/** Removes tokens found inside free text (an error message, a reason) and clips it. */
export function redactText(text: string, max = MAX_STRING): string {
  const clean = text.replace(JWT_IN_TEXT, REDACTED).replace(SCHEME_CREDENTIALS, `$1 ${REDACTED}`);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * A copy of `value` safe to log: keys matching `pattern` are replaced by `"[REDACTED]"`, tokens
 * in strings are removed, errors become `{ name, message, stack }`, and depth, list length and
 * string length are bounded (a hostile value cannot blow up a log line).
 */
export function redactValue(
  value: unknown,
  pattern: RegExp = SENSITIVE_NAME_PATTERN,
  depth = 0,
): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    return undefined;
  }
  if (typeof value === 'bigint') return value.toString();
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactText(value.message),
      ...(value.stack ? { stack: redactText(value.stack, 8192) } : {}),
    };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => redactValue(v, pattern, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`[${value.length - MAX_ITEMS} more]`);
    return items;
  }
  const out: Record<string, unknown> = {};
  let count = 0;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (count++ >= MAX_ITEMS) {
      out['…'] = '[Truncated]';
      break;
    }
    out[key] = pattern.test(key) ? REDACTED : redactValue(v, pattern, depth + 1);
  }
  return out;
}

function variablesIn(node: ValueNode, into: Set<string>): void {
  visit(node, {
    Variable(v) {
      into.add(v.name.value);
    },
  });
}

/**
 * The variables of a document that carry sensitive values: those whose name matches `pattern`,
 * and those passed (anywhere in the document, fragments included) to an argument or an input
 * field whose name matches: `login(password: $p)` makes `$p` sensitive.
 */
export function sensitiveVariableNames(
  document: DocumentNode,
  pattern: RegExp = SENSITIVE_NAME_PATTERN,
): Set<string> {
  const names = new Set<string>();
  visit(document as ASTNode, {
    VariableDefinition(node) {
      if (pattern.test(node.variable.name.value)) names.add(node.variable.name.value);
    },
    Argument(node) {
      if (pattern.test(node.name.value)) variablesIn(node.value, names);
    },
    ObjectField(node) {
      if (pattern.test(node.name.value)) variablesIn(node.value, names);
    },
  });
  return names;
}

/** The request's variables, safe to log (see {@link sensitiveVariableNames}). */
export function redactVariables(
  variables: Readonly<Record<string, unknown>> | undefined,
  document: DocumentNode | undefined,
  pattern: RegExp = SENSITIVE_NAME_PATTERN,
): Record<string, unknown> | undefined {
  if (!variables || typeof variables !== 'object') return undefined;
  const sensitive = document ? sensitiveVariableNames(document, pattern) : new Set<string>();
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(variables)) {
    out[name] =
      sensitive.has(name) || pattern.test(name) ? REDACTED : redactValue(value, pattern, 1);
  }
  return out;
}
