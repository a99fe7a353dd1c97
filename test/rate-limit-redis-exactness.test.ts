import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisRateLimitStore } from '@bulwark/redis';
import { startLimitedServer, T0 } from '../packages/rate-limit/test/fixtures.js';
import type { LimitedServer } from '../packages/rate-limit/test/fixtures.js';
import { describeRedis } from './support/redis.js';

describeRedis('two server instances on one Redis', (url) => {
  const prefix = `bulwark-test:${randomUUID()}:`;
  const clients: Redis[] = [];
  const servers: LimitedServer[] = [];
  const commands: string[][] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const client = new Redis(url);
      // Count what each decision sends: one script call, nothing else.
      const send = client.sendCommand.bind(client);
      client.sendCommand = (command, stream) => {
        commands[i]?.push(command.name);
        return send(command, stream);
      };
      clients.push(client);
      commands.push([]);
      const store = new RedisRateLimitStore({
        client,
        prefix,
        onStoreError: 'fail-closed',
        timeoutMs: 5000,
      });
      servers.push(
        await startLimitedServer({
          directive: false,
          store,
          rules: [
            { match: { field: 'Query.ping' }, limit: 50, window: '1m', by: 'principal' },
            { match: { field: 'Query.me' }, limit: 1000, window: '1m', by: ['principal', 'ip'] },
          ],
        }),
      );
    }
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    const keys = await clients[0]!.keys(`${prefix}*`);
    if (keys.length > 0) await clients[0]!.del(...keys);
    for (const c of clients) await c.quit();
  });

  it('admits exactly 50 of 200 concurrent requests against a limit of 50', async () => {
    const user = { 'x-test-user': 'exact' };
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => servers[i % 2]!.post({ query: '{ ping }' }, user)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(150);
    expect(servers[0]!.calls.ping + servers[1]!.calls.ping).toBe(50);
    // Both instances admitted some: the limit is shared, not per instance.
    expect(servers[0]!.calls.ping).toBeGreaterThan(0);
    expect(servers[1]!.calls.ping).toBeGreaterThan(0);
  });

  it('decides an operation with one script call for all its keys', async () => {
    commands[0]!.length = 0;
    servers[0]!.clock.now = T0 + 1;
    const res = await servers[0]!.post(
      { query: '{ ping me { name } }' },
      { 'x-test-user': 'trip' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit')).toBe(
      '"Query.ping/principal";r=49;t=120, "Query.me/principal";r=999;t=120, "Query.me/ip";r=999;t=120',
    );
    // The script is known after the first test: one EVALSHA, three keys, one round trip.
    expect(commands[0]).toEqual(['evalsha']);
  });
});
