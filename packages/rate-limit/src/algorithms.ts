import type { ConsumeRequest, ConsumeResult, RateLimitPolicy } from '@bulwark/core';

/**
 * The decision algorithms, as pure functions over a key's state. The in-memory store runs
 * them; the Redis store runs the same arithmetic in Lua (`@bulwark/redis`), and a shared
 * conformance suite pins both to the same answers.
 */

/** Slack for float comparisons: `0.1 + 0.2` units must not refuse a request at the limit. */
const EPSILON = 1e-9;

/** The state of one key. */
export interface KeyState {
  /** Sliding window: start of the current window (ms). */
  start: number;
  /** Sliding window: units counted in the previous window. */
  prev: number;
  /** Sliding window: units counted in the current window. */
  curr: number;
  /** Token bucket (GCRA): theoretical arrival time (ms). */
  tat: number;
  /** Jailed until (ms), 0 when free. */
  jailedUntil: number;
  /** Times of recent strikes (ms), oldest first, at most `jail.after` of them. */
  strikes: number[];
}

/** A fresh state. */
export function emptyState(): KeyState {
  return { start: 0, prev: 0, curr: 0, tat: 0, jailedUntil: 0, strikes: [] };
}

/** What an algorithm decides for one key, before the all-or-nothing commit. */
interface Evaluation {
  allowed: boolean;
  /** Units left after the charge (when allowed) or now (when refused). */
  remaining: number;
  /** Units left now, without the charge. */
  remainingNow: number;
  resetAt: number;
  retryAfterMs: number;
  /** Applies the charge to the state (called only when the whole decision is allowed). */
  charge(state: KeyState): void;
}

/**
 * Sliding window counter (Cloudflare's approximation): windows aligned on multiples of
 * `windowMs`; the previous window's count weighs in proportion to how much of it still
 * overlaps the sliding window.
 */
function slidingWindow(
  state: KeyState,
  cost: number,
  limit: number,
  win: number,
  now: number,
): Evaluation {
  let { start, prev, curr } = state;
  const aligned = Math.floor(now / win) * win;
  // A clock slightly behind the one that opened the window (two servers) keeps the window.
  if (aligned > start) {
    prev = aligned - start === win ? curr : 0;
    curr = 0;
    start = aligned;
  }
  const elapsed = Math.max(0, now - start);
  const used = (prev * (win - elapsed)) / win + curr;
  if (used + cost <= limit + EPSILON) {
    const after = used + cost;
    return {
      allowed: true,
      remaining: Math.max(0, Math.floor(limit - after + EPSILON)),
      remainingNow: Math.max(0, Math.floor(limit - used + EPSILON)),
      resetAt: curr + cost > 0 ? start + 2 * win : prev > 0 ? start + win : now,
      retryAfterMs: 0,
      charge(s) {
        s.start = start;
        s.prev = prev;
        s.curr = curr + cost;
      },
    };
  }
  const remaining = Math.max(0, Math.floor(limit - used + EPSILON));
  const resetAt = curr > 0 ? start + 2 * win : start + win;
  let retryAt: number;
  if (cost > limit) retryAt = now + win;
  else {
    const room = limit - cost - curr;
    if (room >= 0 && prev > 0) retryAt = start + win - (win * room) / prev;
    else {
      // Wait into the next window, where this window's count becomes the weighted one.
      retryAt = start + 2 * win - (win * (limit - cost)) / curr;
      if (retryAt < start + win) retryAt = start + win;
    }
  }
  return {
    allowed: false,
    remaining,
    remainingNow: remaining,
    resetAt,
    retryAfterMs: Math.max(1, Math.ceil(retryAt - now)),
    charge() {},
  };
}

/**
 * Token bucket as GCRA: one number of state, the theoretical arrival time. Capacity `limit`,
 * refilled evenly over `windowMs`.
 */
function tokenBucket(
  state: KeyState,
  cost: number,
  limit: number,
  win: number,
  now: number,
): Evaluation {
  const interval = win / limit;
  const tat = Math.max(state.tat, now);
  const next = tat + cost * interval;
  if (next - now <= win + EPSILON) {
    return {
      allowed: true,
      remaining: Math.max(0, Math.floor((win - (next - now)) / interval + EPSILON)),
      remainingNow: Math.max(0, Math.floor((win - (tat - now)) / interval + EPSILON)),
      resetAt: next,
      retryAfterMs: 0,
      charge(s) {
        s.tat = next;
      },
    };
  }
  const retryAt = cost > limit ? now + win : next - win;
  const remaining = Math.max(0, Math.floor((win - (tat - now)) / interval + EPSILON));
  return {
    allowed: false,
    remaining,
    remainingNow: remaining,
    resetAt: tat,
    retryAfterMs: Math.max(1, Math.ceil(retryAt - now)),
    charge() {},
  };
}

function evaluate(state: KeyState, request: ConsumeRequest, now: number): Evaluation {
  const { policy, cost } = request;
  if (state.jailedUntil > now) {
    return {
      allowed: false,
      remaining: 0,
      remainingNow: 0,
      resetAt: state.jailedUntil,
      retryAfterMs: state.jailedUntil - now,
      charge() {},
    };
  }
  return policy.algorithm === 'token-bucket'
    ? tokenBucket(state, cost, policy.limit, policy.windowMs, now)
    : slidingWindow(state, cost, policy.limit, policy.windowMs, now);
}

/** Adds strikes to a key; returns the new jail end when they fill the jail, else 0. */
function strike(state: KeyState, policy: RateLimitPolicy, count: number, now: number): number {
  const jail = policy.jail;
  if (!jail || count <= 0) return 0;
  const kept = state.strikes.filter((t) => t > now - jail.withinMs);
  for (let i = 0; i < count && kept.length < jail.after; i++) kept.push(now);
  if (kept.length >= jail.after) {
    state.strikes = [];
    state.jailedUntil = now + jail.forMs;
    return state.jailedUntil;
  }
  state.strikes = kept.slice(-jail.after);
  return 0;
}

/**
 * Decides one operation over the states of its keys, all or nothing, and updates the states
 * in place: if every key allows, each is charged; otherwise none is, and each refusing key
 * with a jail gets a strike. Reported strikes (`request.strikes`) are added either way.
 *
 * Each result says whether its own key allows; the operation is allowed when all do.
 */
export function decide(
  states: readonly KeyState[],
  requests: readonly ConsumeRequest[],
  now: number,
): ConsumeResult[] {
  const evaluations = requests.map((r, i) => evaluate(states[i]!, r, now));
  const allAllowed = evaluations.every((e) => e.allowed);
  return requests.map((request, i) => {
    const state = states[i]!;
    const e = evaluations[i]!;
    const wasJailed = state.jailedUntil > now;
    if (allAllowed) e.charge(state);
    let remaining = allAllowed ? e.remaining : e.remainingNow;
    let resetAt = e.resetAt;
    let retryAfterMs = e.retryAfterMs;
    if (!wasJailed) {
      const strikes = (e.allowed ? 0 : 1) + Math.max(0, request.strikes ?? 0);
      const jailedUntil = strike(state, request.policy, strikes, now);
      if (jailedUntil > 0) {
        remaining = 0;
        resetAt = Math.max(resetAt, jailedUntil);
        if (!e.allowed) retryAfterMs = jailedUntil - now;
      }
    }
    return {
      key: request.key,
      allowed: e.allowed,
      limit: request.policy.limit,
      remaining,
      resetAt: Math.ceil(resetAt),
      retryAfterMs,
      jailedUntil: state.jailedUntil > now ? state.jailedUntil : undefined,
    };
  });
}

/** How long a key's state matters after `now`: past this, it equals a fresh state. */
export function stateLifetime(state: KeyState, policy: RateLimitPolicy, now: number): number {
  let until = Math.max(state.jailedUntil, state.tat);
  if (state.curr > 0) until = Math.max(until, state.start + 2 * policy.windowMs);
  else if (state.prev > 0) until = Math.max(until, state.start + policy.windowMs);
  const last = state.strikes[state.strikes.length - 1];
  if (last !== undefined && policy.jail) until = Math.max(until, last + policy.jail.withinMs);
  return Math.max(0, until - now);
}
