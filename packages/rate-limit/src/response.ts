import { RateLimitedError } from '@bulwark/core';
import type { BulwarkError, ConsumeResult, RateLimitPolicy } from '@bulwark/core';

/** One key charged by a decision, with its outcome. */
export interface RateLimitEntry {
  /** The policy (rule or budget) the key belongs to; `policy.id` is the bucket name. */
  readonly policy: RateLimitPolicy;
  /** The identity name: `'ip'`, `'arg:email'`, `'ip+arg:email'`. */
  readonly identity: string;
  /** The store key (without the store's prefix). */
  readonly key: string;
  /** Units charged (or that would have been). */
  readonly cost: number;
  readonly result: ConsumeResult;
}

/** Shopify's and GitHub's view of a cost budget, sent in `extensions.cost.throttleStatus`. */
export interface ThrottleStatus {
  /** Points the budget holds when full. */
  readonly maximumAvailable: number;
  /** Points left after this operation (before it, when it was refused). */
  readonly currentlyAvailable: number;
  /** Points restored per second. */
  readonly restoreRate: number;
}

/** The outcome of one operation's rate-limit check. */
export interface RateLimitDecision {
  /** True when every key allowed the operation (or the store failed open). */
  readonly allowed: boolean;
  /** Every key charged, in a stable order (rules, then the budget). */
  readonly entries: readonly RateLimitEntry[];
  /** The cost budget's state, when a budget is configured. */
  readonly budget?: {
    /** The operation's estimated cost. */
    readonly requestedQueryCost: number;
    readonly throttleStatus: ThrottleStatus;
  };
  /** The decision time (ms since the epoch). */
  readonly now: number;
}

/** A decision with nothing to count. */
export function emptyDecision(now: number): RateLimitDecision {
  return { allowed: true, entries: [], now };
}

/** One member of the IETF `RateLimit-Policy` / `RateLimit` lists. */
export interface HeaderPolicy {
  /** Policy name: `<bucket>/<identity>`. */
  readonly name: string;
  /** Quota (`q`). */
  readonly quota: number;
  /** Window in seconds (`w`). */
  readonly window: number;
  /** Remaining units (`r`). */
  readonly remaining: number;
  /** Seconds until the quota is whole again (`t`). */
  readonly reset: number;
}

/** The header members of a decision: one per (bucket, identity), keeping the tightest key. */
export function headerPolicies(decision: RateLimitDecision): HeaderPolicy[] {
  const out: HeaderPolicy[] = [];
  for (const e of decision.entries) {
    if (e.result.degraded) continue;
    const name = `${e.policy.id}/${e.identity}`;
    const policy: HeaderPolicy = {
      name,
      quota: e.policy.limit,
      window: Math.max(1, Math.ceil(e.policy.windowMs / 1000)),
      remaining: Math.max(0, Math.floor(e.result.remaining)),
      reset: Math.max(0, Math.ceil((e.result.resetAt - decision.now) / 1000)),
    };
    // Several keys of one (bucket, identity) are argument values: keep the tightest.
    const i = out.findIndex((p) => p.name === name);
    if (i === -1) out.push(policy);
    else if (policy.remaining < out[i]!.remaining) out[i] = policy;
  }
  return out;
}

const QUOTED = new Map<string, string>();

function sfString(value: string): string {
  let quoted = QUOTED.get(value);
  if (quoted === undefined) {
    // Structured-field strings hold printable ASCII; escape `"` and `\`.
    const printable = value.replace(/[^\x20-\x7e]/g, '?');
    quoted = `"${printable.replace(/["\\]/g, (c) => `\\${c}`)}"`;
    // Names come from rule ids and identity names, a finite set; bound the cache anyway.
    if (QUOTED.size < 10_000) QUOTED.set(value, quoted);
  }
  return quoted;
}

/** Renders the IETF `RateLimit-Policy` and `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers). */
export function renderRateLimitHeaders(
  policies: Iterable<HeaderPolicy>,
): { 'ratelimit-policy': string; ratelimit: string } | null {
  let policy = '';
  let state = '';
  for (const p of policies) {
    const name = sfString(p.name);
    const sep = policy === '' ? '' : ', ';
    policy += `${sep}${name};q=${p.quota};w=${p.window}`;
    state += `${sep}${name};r=${p.remaining};t=${p.reset}`;
  }
  if (policy === '') return null;
  return { 'ratelimit-policy': policy, ratelimit: state };
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** The entry that keeps the operation refused longest (the one a retry must wait for). */
export function decisiveEntry(decision: RateLimitDecision): RateLimitEntry | undefined {
  let worst: RateLimitEntry | undefined;
  for (const e of decision.entries) {
    if (e.result.allowed) continue;
    if (!worst || e.result.retryAfterMs > worst.result.retryAfterMs) worst = e;
  }
  return worst;
}

const DECISIONS = new WeakMap<object, RateLimitDecision>();

/** The decision behind a `RATE_LIMITED` error thrown by a limiter. */
export function decisionOfError(error: unknown): RateLimitDecision | undefined {
  return error !== null && typeof error === 'object' ? DECISIONS.get(error) : undefined;
}

/**
 * Builds the `RATE_LIMITED` error (429) of a refused decision: `Retry-After`, the IETF
 * headers, and `extensions { retryAfter, limit, remaining, resetAt }` of the key a retry must
 * wait for.
 */
export function rateLimitedError(decision: RateLimitDecision): BulwarkError<'RATE_LIMITED'> {
  const entry = decisiveEntry(decision)!;
  const { result, policy } = entry;
  const retryAfter = seconds(result.retryAfterMs);
  const wait = `retry after ${plural(retryAfter, 'second')}`;
  let message: string;
  if (result.jailedUntil !== undefined) {
    message = `Too many failed attempts on "${policy.id}"; ${wait}.`;
  } else if (policy.id === '$budget') {
    message = `The cost budget is exhausted: the operation costs ${entry.cost} points and ${result.remaining} of ${policy.limit} are available; ${wait}.`;
  } else {
    message = `Rate limit exceeded on "${policy.id}": ${policy.limit} per ${plural(Math.ceil(policy.windowMs / 1000), 'second')}; ${wait}.`;
  }
  const headers: Record<string, string> = { 'retry-after': String(retryAfter) };
  const rendered = renderRateLimitHeaders(headerPolicies(decision));
  if (rendered) Object.assign(headers, rendered);
  const error = new RateLimitedError(message, {
    headers,
    extensions: {
      retryAfter,
      limit: policy.limit,
      remaining: Math.max(0, Math.floor(result.remaining)),
      resetAt: new Date(result.resetAt).toISOString(),
    },
    reason: `Bucket "${policy.id}" refused identity "${entry.identity}" (key ${entry.key}).`,
  });
  DECISIONS.set(error, decision);
  return error;
}
