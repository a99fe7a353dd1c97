import { LRUCache } from 'lru-cache';
import { assertKnownKeys, assertObject, assertPositiveInteger, withDefaults } from '@bulwark/core';
import type { ConsumeRequest, ConsumeResult, RateLimitStore } from '@bulwark/core';
import { decide, emptyState } from './algorithms.js';
import type { KeyState } from './algorithms.js';

/** Options of {@link MemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /**
   * Most keys kept (required: an unbounded store is a memory leak an attacker can drive).
   * When full, the least recently used key is forgotten, which resets its counters: size it
   * above the number of identities active within your longest window.
   */
  max: number;
  /**
   * Most jailed keys kept, apart from the counters, so that a flood of fresh keys cannot evict
   * a jail. When full, the least recently used jail is forgotten.
   * @default max
   */
  maxJailed?: number;
}

const KNOWN = ['max', 'maxJailed'];

/**
 * A rate-limit store in process memory, on `lru-cache`. Decisions are atomic (one synchronous
 * step per operation), exact within one process, and lost on restart.
 *
 * Security: counters live per process; behind a load balancer each instance counts on its
 * own (use `@bulwark/redis`). The store is bounded: a key evicted to make room starts over,
 * so an attacker who can create more than `max` fresh keys within a window (many IPs, many
 * argument values) can reset another key's counter. Jails are kept apart (`maxJailed`) so the
 * same flood does not free a jailed identity unless it fills that table too.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly states: LRUCache<string, KeyState>;
  private readonly jails: LRUCache<string, number>;

  constructor(options: MemoryRateLimitStoreOptions) {
    assertObject('MemoryRateLimitStore options', options);
    assertKnownKeys('MemoryRateLimitStore options', options, KNOWN);
    assertPositiveInteger('max', options.max);
    const resolved = withDefaults({ max: options.max, maxJailed: options.max }, options);
    assertPositiveInteger('maxJailed', resolved.maxJailed);
    this.states = new LRUCache({ max: resolved.max });
    this.jails = new LRUCache({ max: resolved.maxJailed });
  }

  /** Decides and charges all keys of one operation, all or nothing (see `RateLimitStore`). */
  consume(requests: readonly ConsumeRequest[], now: number): Promise<readonly ConsumeResult[]> {
    try {
      return Promise.resolve(this.consumeNow(requests, now));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The synchronous decision behind {@link consume}. */
  consumeNow(requests: readonly ConsumeRequest[], now: number): ConsumeResult[] {
    assertDistinctKeys(requests);
    const states = requests.map((r) => {
      let state = this.states.get(r.key);
      if (!state) {
        state = emptyState();
        this.states.set(r.key, state);
      }
      const jailedUntil = this.jails.get(r.key);
      if (jailedUntil !== undefined) {
        if (jailedUntil > now) state.jailedUntil = Math.max(state.jailedUntil, jailedUntil);
        else this.jails.delete(r.key);
      }
      return state;
    });
    const results = decide(states, requests, now);
    for (const result of results) {
      if (result.jailedUntil !== undefined) this.jails.set(result.key, result.jailedUntil);
    }
    return results;
  }

  /** Number of keys held (counters), for tests and metrics. */
  get size(): number {
    return this.states.size;
  }

  /** Forgets every key. */
  clear(): void {
    this.states.clear();
    this.jails.clear();
  }
}

/** Throws when a key appears twice in one decision (the caller must merge them). */
export function assertDistinctKeys(requests: readonly ConsumeRequest[]): void {
  if (requests.length < 2) return;
  const seen = new Set<string>();
  for (const r of requests) {
    if (seen.has(r.key)) {
      throw new TypeError(`Rate-limit key ${JSON.stringify(r.key)} appears twice in one decision.`);
    }
    seen.add(r.key);
  }
}
