import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { Redis } from 'ioredis';
import { RedisRateLimitStore } from '@bulwark/redis';
import { storeConformance } from '../packages/rate-limit/test/store-conformance.js';
import { describeRedis } from './support/redis.js';

// The Redis script must give the in-memory store's answers, figure for figure.
describeRedis('RedisRateLimitStore conformance', (url) => {
  const prefix = `bulwark-test:${randomUUID()}:`;
  let client: Redis;
  let store: RedisRateLimitStore;

  beforeAll(() => {
    client = new Redis(url);
    store = new RedisRateLimitStore({
      client,
      prefix,
      onStoreError: 'fail-closed',
      timeoutMs: 2000,
    });
  });

  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  describe('store', () => {
    storeConformance(() => store);
  });
});
