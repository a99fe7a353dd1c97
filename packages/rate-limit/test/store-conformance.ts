import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { ConsumeRequest, RateLimitPolicy, RateLimitStore } from '@bulwark/core';

/**
 * The behaviour every `RateLimitStore` must have, pinned with exact figures so that the
 * in-memory store and the Redis script cannot drift apart. Call inside a `describe`.
 */
export function storeConformance(getStore: () => RateLimitStore): void {
  const T0 = 1_700_000_000_000; // aligned on a second
  let n = 0;
  const key = (): string => `conf-${randomUUID()}-${n++}`;
  const sliding = (
    limit: number,
    windowMs: number,
    jail?: RateLimitPolicy['jail'],
  ): RateLimitPolicy =>
    jail
      ? { id: 'p', limit, windowMs, algorithm: 'sliding-window', jail }
      : { id: 'p', limit, windowMs, algorithm: 'sliding-window' };
  const bucket = (limit: number, windowMs: number): RateLimitPolicy => ({
    id: 'b',
    limit,
    windowMs,
    algorithm: 'token-bucket',
  });
  const one = async (request: ConsumeRequest, now: number) => {
    const [result] = await getStore().consume([request], now);
    return result!;
  };

  it('sliding window: admits the limit, then refuses with the exact wait', async () => {
    const k = key();
    const policy = sliding(3, 1000);
    for (let i = 0; i < 3; i++) {
      const r = await one({ key: k, cost: 1, policy }, T0);
      expect(r).toMatchObject({
        key: k,
        allowed: true,
        limit: 3,
        remaining: 2 - i,
        retryAfterMs: 0,
      });
      expect(r.resetAt).toBe(T0 + 2000);
    }
    const refused = await one({ key: k, cost: 1, policy }, T0 + 10);
    // In the next window this one weighs 3 × (1 - t/1000); room for 1 when that is ≤ 2.
    expect(refused).toMatchObject({
      allowed: false,
      remaining: 0,
      retryAfterMs: 1324,
      resetAt: T0 + 2000,
    });
    expect(refused.jailedUntil).toBeUndefined();
    expect((await one({ key: k, cost: 1, policy }, T0 + 1333)).allowed).toBe(false);
    const later = await one({ key: k, cost: 1, policy }, T0 + 1334);
    expect(later).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('sliding window: a window two lengths old is forgotten', async () => {
    const k = key();
    const policy = sliding(2, 1000);
    await one({ key: k, cost: 2, policy }, T0);
    expect((await one({ key: k, cost: 1, policy }, T0 + 999)).allowed).toBe(false);
    expect(await one({ key: k, cost: 2, policy }, T0 + 2000)).toMatchObject({
      allowed: true,
      remaining: 0,
    });
  });

  it('token bucket (GCRA): a burst of the capacity, then one unit per interval', async () => {
    const k = key();
    const policy = bucket(5, 1000);
    for (let i = 0; i < 5; i++) {
      expect(await one({ key: k, cost: 1, policy }, T0)).toMatchObject({
        allowed: true,
        remaining: 4 - i,
      });
    }
    const refused = await one({ key: k, cost: 1, policy }, T0);
    expect(refused).toMatchObject({
      allowed: false,
      remaining: 0,
      retryAfterMs: 200,
      resetAt: T0 + 1000,
    });
    expect(await one({ key: k, cost: 1, policy }, T0 + 200)).toMatchObject({
      allowed: true,
      remaining: 0,
    });
    expect((await one({ key: k, cost: 1, policy }, T0 + 399)).allowed).toBe(false);
    expect(await one({ key: k, cost: 1, policy }, T0 + 1400)).toMatchObject({
      allowed: true,
      remaining: 4,
    });
  });

  it('charges the cost, and refuses a cost above the limit outright', async () => {
    const k = key();
    const policy = sliding(5, 60_000);
    expect(await one({ key: k, cost: 3, policy }, T0)).toMatchObject({
      allowed: true,
      remaining: 2,
    });
    expect(await one({ key: k, cost: 3, policy }, T0)).toMatchObject({
      allowed: false,
      remaining: 2,
    });
    expect(await one({ key: k, cost: 0, policy }, T0)).toMatchObject({
      allowed: true,
      remaining: 2,
    });
    const k2 = key();
    expect(await one({ key: k2, cost: 6, policy }, T0)).toMatchObject({
      allowed: false,
      remaining: 5,
      retryAfterMs: 60_000,
    });
  });

  it('decides all keys at once: a refused key charges none of the others', async () => {
    const a = key();
    const b = key();
    const tight = sliding(1, 60_000);
    const loose = sliding(10, 60_000);
    const both = () =>
      getStore().consume(
        [
          { key: a, cost: 1, policy: tight },
          { key: b, cost: 1, policy: loose },
        ],
        T0,
      );
    const first = await both();
    expect(first.map((r) => [r.key, r.allowed, r.remaining])).toEqual([
      [a, true, 0],
      [b, true, 9],
    ]);
    const second = await both();
    expect(second.map((r) => [r.key, r.allowed, r.remaining])).toEqual([
      [a, false, 0],
      [b, true, 9],
    ]);
    expect(await one({ key: b, cost: 0, policy: loose }, T0)).toMatchObject({ remaining: 9 });
  });

  it('jails after repeated rejections, refuses everything meanwhile, and frees on time', async () => {
    const k = key();
    const policy = sliding(1, 1000, { after: 3, withinMs: 10_000, forMs: 60_000 });
    expect((await one({ key: k, cost: 1, policy }, T0)).allowed).toBe(true);
    expect(await one({ key: k, cost: 1, policy }, T0 + 1)).toMatchObject({ allowed: false });
    expect((await one({ key: k, cost: 1, policy }, T0 + 2)).jailedUntil).toBeUndefined();
    const jailed = await one({ key: k, cost: 1, policy }, T0 + 3);
    expect(jailed).toMatchObject({
      allowed: false,
      remaining: 0,
      jailedUntil: T0 + 60_003,
      retryAfterMs: 60_000,
      resetAt: T0 + 60_003,
    });
    // Long after the window, the jail holds, even for a free read.
    const held = await one({ key: k, cost: 0, policy }, T0 + 30_000);
    expect(held).toMatchObject({ allowed: false, jailedUntil: T0 + 60_003, retryAfterMs: 30_003 });
    expect((await one({ key: k, cost: 1, policy }, T0 + 60_002)).allowed).toBe(false);
    const free = await one({ key: k, cost: 1, policy }, T0 + 60_003);
    expect(free).toMatchObject({ allowed: true, remaining: 0 });
    expect(free.jailedUntil).toBeUndefined();
  });

  it('jails on reported strikes under the limit', async () => {
    const k = key();
    const policy = sliding(100, 60_000, { after: 2, withinMs: 60_000, forMs: 5_000 });
    const report = await one({ key: k, cost: 0, policy, strikes: 1 }, T0);
    expect(report).toMatchObject({ allowed: true, remaining: 100 });
    expect(report.jailedUntil).toBeUndefined();
    const second = await one({ key: k, cost: 0, policy, strikes: 1 }, T0 + 100);
    expect(second).toMatchObject({ allowed: true, jailedUntil: T0 + 5_100, remaining: 0 });
    expect(await one({ key: k, cost: 1, policy }, T0 + 200)).toMatchObject({
      allowed: false,
      retryAfterMs: 4_900,
    });
    expect((await one({ key: k, cost: 1, policy }, T0 + 5_100)).allowed).toBe(true);
  });

  it('forgets strikes older than the jail window', async () => {
    const k = key();
    const policy = sliding(100, 60_000, { after: 2, withinMs: 1_000, forMs: 5_000 });
    await one({ key: k, cost: 0, policy, strikes: 1 }, T0);
    const late = await one({ key: k, cost: 0, policy, strikes: 1 }, T0 + 1_000);
    expect(late.jailedUntil).toBeUndefined();
    const third = await one({ key: k, cost: 0, policy, strikes: 1 }, T0 + 1_500);
    expect(third.jailedUntil).toBe(T0 + 6_500);
  });

  it('a jailed key refuses the decision without charging the others', async () => {
    const jailedKey = key();
    const other = key();
    const jailPolicy = sliding(10, 60_000, { after: 1, withinMs: 60_000, forMs: 60_000 });
    const loose = sliding(10, 60_000);
    await one({ key: jailedKey, cost: 0, policy: jailPolicy, strikes: 1 }, T0);
    const results = await getStore().consume(
      [
        { key: jailedKey, cost: 1, policy: jailPolicy },
        { key: other, cost: 1, policy: loose },
      ],
      T0 + 1,
    );
    expect(results.map((r) => r.allowed)).toEqual([false, true]);
    expect(results[0]!.jailedUntil).toBe(T0 + 60_000);
    expect(await one({ key: other, cost: 0, policy: loose }, T0 + 1)).toMatchObject({
      remaining: 10,
    });
  });

  it('never over-admits under concurrency', async () => {
    const k = key();
    const policy = sliding(50, 60_000);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => one({ key: k, cost: 1, policy }, T0)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(50);
  });

  it('refuses the same key twice in one decision', async () => {
    const k = key();
    const policy = sliding(5, 1000);
    await expect(
      getStore().consume(
        [
          { key: k, cost: 1, policy },
          { key: k, cost: 1, policy },
        ],
        T0,
      ),
    ).rejects.toThrow(`Rate-limit key ${JSON.stringify(k)} appears twice in one decision.`);
  });
}
