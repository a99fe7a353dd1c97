import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { RateLimitPolicy } from '@bulwark/core';
import { RedisRateLimitStore } from '@bulwark/redis';
import { describeRedis } from '../../../test/support/redis.js';
import { startPrivateRedis } from './private-redis.js';
import type { PrivateRedis } from './private-redis.js';

const T0 = 1_700_000_000_000;
const policy: RateLimitPolicy = {
  id: 'p',
  limit: 5,
  windowMs: 60_000,
  algorithm: 'sliding-window',
};

describe('RedisRateLimitStore options', () => {
  const client = new Redis({ lazyConnect: true });
  afterAll(() => client.disconnect());

  it('requires a fail mode', () => {
    // @ts-expect-error onStoreError is required
    expect(() => new RedisRateLimitStore({ client })).toThrow(
      new TypeError('`onStoreError` must be one of "fail-open", "fail-closed", got undefined.'),
    );
  });

  it('refuses bad options with a TypeError naming them', () => {
    const base = { client, onStoreError: 'fail-closed' } as const;
    expect(() => new RedisRateLimitStore({ ...base, timeoutMs: 0 })).toThrow(
      new TypeError('`timeoutMs` must be a positive integer, got 0.'),
    );
    expect(() => new RedisRateLimitStore({ ...base, prefix: '' })).toThrow(
      new TypeError('`prefix` must be a non-empty string, got "".'),
    );
    expect(() => new RedisRateLimitStore({ ...base, hashTag: 'a{b' })).toThrow(
      new TypeError('`hashTag` must not contain "{" or "}".'),
    );
    // @ts-expect-error not a client
    expect(() => new RedisRateLimitStore({ ...base, client: {} })).toThrow(
      new TypeError('`client` must be an ioredis Redis or Cluster client, or a redis:// URL.'),
    );
    // @ts-expect-error unknown option
    expect(() => new RedisRateLimitStore({ ...base, ttl: 1 })).toThrow(/unknown option "ttl"/);
  });

  it('prefixes keys, and wraps them in one hash tag for Redis Cluster', () => {
    const plain = new RedisRateLimitStore({ client, onStoreError: 'fail-open', prefix: 'app:' });
    expect(plain.keyOf('Mutation.login|ip=1.2.3.4')).toBe('app:Mutation.login|ip=1.2.3.4');
    const tagged = new RedisRateLimitStore({ client, onStoreError: 'fail-open', hashTag: 'rl' });
    expect(tagged.keyOf('k')).toBe('bulwark:rl:{rl}k');
    // A Cluster client gets a hash tag by default: all keys of a script must share a slot.
    const cluster = { isCluster: true, evalsha: () => Promise.resolve([]) } as unknown as Redis;
    const clustered = new RedisRateLimitStore({ client: cluster, onStoreError: 'fail-open' });
    expect(clustered.keyOf('k')).toBe('bulwark:rl:{bulwark}k');
  });
});

describeRedis('RedisRateLimitStore on a private Redis', () => {
  let redis: PrivateRedis;
  let client: Redis;
  let store: RedisRateLimitStore;
  const prefix = `bulwark-test:${randomUUID()}:`;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    client = new Redis(redis.url);
    store = new RedisRateLimitStore({ client, prefix, onStoreError: 'fail-closed' });
  });
  afterAll(async () => {
    await client.quit();
    await redis.stop();
  });

  it('writes each key under the prefix with a TTL bounded by its state', async () => {
    await store.consume([{ key: 'a', cost: 1, policy }], T0);
    const keys = await client.keys(`${prefix}*`);
    expect(keys).toEqual([`${prefix}a`]);
    // A sliding window is forgotten two windows after its start (+1 s of slack).
    const ttl = await client.pttl(`${prefix}a`);
    const start = Math.floor(T0 / 60_000) * 60_000;
    expect(ttl).toBeGreaterThan(start + 120_000 - T0);
    expect(ttl).toBeLessThanOrEqual(start + 120_000 - T0 + 1000);
  });

  it('does not write a key a refused decision leaves unchanged', async () => {
    const tight: RateLimitPolicy = { ...policy, id: 't', limit: 1 };
    await store.consume([{ key: 'tight', cost: 1, policy: tight }], T0);
    await store.consume(
      [
        { key: 'tight', cost: 1, policy: tight },
        { key: 'untouched', cost: 1, policy },
      ],
      T0,
    );
    expect(await client.exists(`${prefix}untouched`)).toBe(0);
  });

  it('reloads its script after Redis forgot it (restart, SCRIPT FLUSH)', async () => {
    await client.script('FLUSH');
    const [r] = await store.consume([{ key: 'b', cost: 1, policy }], T0);
    expect(r).toMatchObject({ allowed: true, remaining: 4 });
    const [again] = await store.consume([{ key: 'b', cost: 1, policy }], T0);
    expect(again).toMatchObject({ allowed: true, remaining: 3 });
  });

  it('creates and closes its own client from a URL', async () => {
    const owned = new RedisRateLimitStore({
      client: redis.url,
      prefix,
      onStoreError: 'fail-closed',
      timeoutMs: 2000,
    });
    // The store does not queue while connecting: wait for the connection like a server would.
    let result;
    for (let i = 0; i < 100 && !result; i++) {
      try {
        [result] = await owned.consume([{ key: 'c', cost: 2, policy }], T0);
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(result).toMatchObject({ allowed: true, remaining: 3 });
    await owned.close();
    await expect(owned.consume([{ key: 'c', cost: 1, policy }], T0)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
  });
});
