import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisRateLimitStore } from '@bulwark/redis';
import type { SecurityEvent } from '@bulwark/core';
import { startLimitedServer } from '../packages/rate-limit/test/fixtures.js';
import type { LimitedServer } from '../packages/rate-limit/test/fixtures.js';
import { freePort, startPrivateRedis } from '../packages/redis/test/private-redis.js';
import type { PrivateRedis } from '../packages/redis/test/private-redis.js';
import { describeRedis } from './support/redis.js';

const rules = [{ match: { field: 'Query.ping' }, limit: 3, window: '1m', by: 'ip' }] as const;

// A private redis-server, killed and restarted mid-test: the shared one is never touched.
describeRedis('Redis faults: the configured fail mode, no crash, no 500', () => {
  let redis: PrivateRedis;
  let open: LimitedServer;
  let closed: LimitedServer;
  let openStore: RedisRateLimitStore;
  let closedStore: RedisRateLimitStore;
  const storeEvents: { open: SecurityEvent[]; closed: SecurityEvent[] } = { open: [], closed: [] };

  beforeAll(async () => {
    redis = await startPrivateRedis();
    const prefix = `bulwark-test:${randomUUID()}:`;
    openStore = new RedisRateLimitStore({
      client: redis.url,
      prefix: `${prefix}open:`,
      onStoreError: 'fail-open',
      timeoutMs: 200,
      onEvent: (e) => storeEvents.open.push(e),
    });
    closedStore = new RedisRateLimitStore({
      client: redis.url,
      prefix: `${prefix}closed:`,
      onStoreError: 'fail-closed',
      timeoutMs: 200,
      onEvent: (e) => storeEvents.closed.push(e),
    });
    open = await startLimitedServer({ directive: false, rules: [...rules], store: openStore });
    closed = await startLimitedServer({ directive: false, rules: [...rules], store: closedStore });
    await waitUntil(() => decided(closed));
    await waitUntil(() => decided(open));
  });

  afterAll(async () => {
    await open?.stop();
    await closed?.stop();
    await openStore?.close();
    await closedStore?.close();
    await redis?.stop();
  });

  const ping = (s: LimitedServer) => s.post({ query: '{ ping }' });

  it('decides through Redis while it is up', async () => {
    expect(await countAdmitted(open, 4)).toEqual([200, 200, 200, 429]);
    expect(await countAdmitted(closed, 4)).toEqual([200, 200, 200, 429]);
  });

  it('fails open or closed as configured when Redis dies, with an event either way', async () => {
    await redis.stop();
    const pingsBefore = closed.calls.ping;
    const refused = await ping(closed);
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({
      errors: [
        {
          message: 'The service is temporarily unavailable.',
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        },
      ],
    });
    expect(closed.calls.ping).toBe(pingsBefore);
    expect(storeEvents.closed.at(-1)).toMatchObject({
      source: 'redis',
      outcome: 'rejected',
      code: 'SERVICE_UNAVAILABLE',
      detail: { mode: 'fail-closed', keys: 1 },
    });

    // This identity was over its limit; failing open admits it, uncounted.
    for (let i = 0; i < 3; i++) {
      const admitted = await ping(open);
      expect(admitted.status).toBe(200);
      expect(admitted.body.data).toEqual({ ping: 'pong' });
      expect(admitted.headers.get('ratelimit')).toBeNull();
    }
    expect(storeEvents.open.at(-1)).toMatchObject({
      source: 'redis',
      outcome: 'warning',
      code: 'RATE_LIMIT_STORE_UNAVAILABLE',
      detail: { mode: 'fail-open', keys: 1 },
    });
  });

  it('resumes decisions when Redis returns', async () => {
    await redis.start();
    await waitUntil(() => decided(closed));
    expect(storeEvents.closed.at(-1)).toMatchObject({
      code: 'RATE_LIMIT_STORE_RECOVERED',
      outcome: 'warning',
    });
    // The new Redis is empty: counting starts over, and the limit holds again.
    expect(await countAdmitted(closed, 4)).toEqual([200, 200, 200, 429]);
    await waitUntil(() => decided(open));
    expect(await countAdmitted(open, 4)).toEqual([200, 200, 200, 429]);
  });

  it('fails as configured when Redis stops answering (timeout)', async () => {
    const admin = new Redis(redis.url);
    try {
      await admin.call('CLIENT', 'PAUSE', '2000', 'WRITE');
      const started = Date.now();
      const res = await ping(closed);
      expect(res.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(storeEvents.closed.at(-1)).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        detail: { error: 'Redis did not answer within 200 ms.' },
      });
      expect((await ping(open)).status).toBe(200);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      await admin.quit();
    }
  });

  it('fails as configured when Redis is unreachable from the start', async () => {
    const port = await freePort();
    const events: SecurityEvent[] = [];
    const store = new RedisRateLimitStore({
      client: `redis://127.0.0.1:${port}`,
      onStoreError: 'fail-closed',
      onEvent: (e) => events.push(e),
    });
    const s = await startLimitedServer({ directive: false, rules: [...rules], store });
    try {
      const res = await ping(s);
      expect(res.status).toBe(503);
      expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
      expect(events).toHaveLength(1);
      expect(s.calls.ping).toBe(0);
    } finally {
      await s.stop();
      await store.close();
    }
  });
});

async function countAdmitted(s: LimitedServer, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await s.post({ query: '{ ping }' })).status);
  return statuses;
}

/**
 * True once the store decides again: a probe from its own IP (so the counts under test stay
 * exact) gets the RateLimit header, which a failed-open or failed-closed decision lacks.
 */
async function decided(s: LimitedServer): Promise<boolean> {
  const res = await s.post({ query: '{ ping }' }, { 'x-test-ip': '192.0.2.250' });
  return res.headers.get('ratelimit') !== null;
}

/** Polls until the client has reconnected (not a rate-limit window: nothing here waits one out). */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('Redis did not come back within 10 s.');
    await new Promise((r) => setTimeout(r, 50));
  }
}
