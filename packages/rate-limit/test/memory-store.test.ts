import { describe, expect, it } from 'vitest';
import type { RateLimitPolicy } from '@bulwark/core';
import { MemoryRateLimitStore } from '@bulwark/rate-limit';
import { storeConformance } from './store-conformance.js';

describe('MemoryRateLimitStore conformance', () => {
  const store = new MemoryRateLimitStore({ max: 10_000 });
  storeConformance(() => store);
});

describe('MemoryRateLimitStore', () => {
  const T0 = 1_700_000_000_000;
  const policy: RateLimitPolicy = {
    id: 'p',
    limit: 1,
    windowMs: 60_000,
    algorithm: 'sliding-window',
  };
  const jailed: RateLimitPolicy = {
    ...policy,
    jail: { after: 1, withinMs: 60_000, forMs: 600_000 },
  };

  it('requires a bounded max', () => {
    // @ts-expect-error max is required
    expect(() => new MemoryRateLimitStore({})).toThrow(
      new TypeError('`max` must be a positive integer, got undefined.'),
    );
    expect(() => new MemoryRateLimitStore({ max: Infinity })).toThrow(
      new TypeError('`max` must be a positive integer, got Infinity.'),
    );
    expect(() => new MemoryRateLimitStore({ max: 10, maxJailed: 0 })).toThrow(
      new TypeError('`maxJailed` must be a positive integer, got 0.'),
    );
    // @ts-expect-error unknown option
    expect(() => new MemoryRateLimitStore({ max: 10, ttl: 5 })).toThrow(/unknown option "ttl"/);
  });

  it('stays bounded: the least recently used key is evicted and starts over', () => {
    const store = new MemoryRateLimitStore({ max: 2 });
    expect(store.consumeNow([{ key: 'a', cost: 1, policy }], T0)[0]!.allowed).toBe(true);
    expect(store.consumeNow([{ key: 'a', cost: 1, policy }], T0)[0]!.allowed).toBe(false);
    store.consumeNow([{ key: 'b', cost: 1, policy }], T0);
    store.consumeNow([{ key: 'c', cost: 1, policy }], T0);
    expect(store.size).toBe(2);
    // "a" was evicted by the flood: its counter is gone (documented limitation).
    expect(store.consumeNow([{ key: 'a', cost: 1, policy }], T0)[0]!.allowed).toBe(true);
  });

  it('keeps jails apart from counters: a flood of fresh keys does not free a jailed one', () => {
    const store = new MemoryRateLimitStore({ max: 2, maxJailed: 10 });
    store.consumeNow([{ key: 'victim', cost: 0, policy: jailed, strikes: 1 }], T0);
    for (let i = 0; i < 100; i++) store.consumeNow([{ key: `flood-${i}`, cost: 1, policy }], T0);
    const [r] = store.consumeNow([{ key: 'victim', cost: 1, policy: jailed }], T0 + 1);
    expect(r).toMatchObject({ allowed: false, jailedUntil: T0 + 600_000 });
    store.clear();
    expect(store.size).toBe(0);
  });
});
