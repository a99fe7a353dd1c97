import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisRevocationList, RevocationListUnavailableError } from '@bulwark/redis';
import { describeRedis } from '../../../test/support/redis.js';

const DAY = 86_400_000;

/** A redis-server of our own on a free port, to kill without touching the shared one. */
async function startPrivateRedis(): Promise<{ url: string; kill(): Promise<void> }> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error('redis-server is not installed: this test spawns a private one to kill.');
  }
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

describe('RedisRevocationList without Redis', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rejects when Redis does not answer within timeoutMs', async () => {
    vi.useFakeTimers();
    const hung = { exists: () => new Promise<number>(() => {}), eval: () => new Promise(() => {}) };
    const list = new RedisRevocationList({ client: hung as never, timeoutMs: 100 });
    const pending = list.isRevoked('a');
    const outcome = expect(pending).rejects.toThrow(
      new RevocationListUnavailableError('Redis did not answer `isRevoked` within 100 ms.'),
    );
    await vi.advanceTimersByTimeAsync(100);
    await outcome;
    await expect(pending).rejects.toBeInstanceOf(RevocationListUnavailableError);
  });

  it('rejects when the client throws or rejects', async () => {
    const failing = {
      exists: () =>
        Promise.reject(new Error('READONLY You can not write against a read only replica.')),
      eval: () => {
        throw new Error('boom');
      },
    };
    const list = new RedisRevocationList({ client: failing as never });
    await expect(list.isRevoked('a')).rejects.toThrow(
      'Redis failed on `isRevoked`: READONLY You can not write against a read only replica.',
    );
    await expect(list.revoke('a', new Date(Date.now() + DAY))).rejects.toThrow(
      'Redis failed on `revoke`: boom',
    );
  });

  it('validates its options and arguments', async () => {
    expect(() => new RedisRevocationList({ client: {} as never })).toThrow(
      new TypeError('`client` must be an ioredis client (Redis or Cluster).'),
    );
    const client = { exists: async () => 0, eval: async () => 1 } as never;
    expect(() => new RedisRevocationList({ client, prefix: '' })).toThrow(
      new TypeError('`prefix` must be a non-empty string, got "".'),
    );
    expect(() => new RedisRevocationList({ client, timeoutMs: 0 })).toThrow(
      new TypeError('`timeoutMs` must be a positive integer, got 0.'),
    );
    expect(() => new RedisRevocationList({ client, ttl: 5 } as never)).toThrow(
      /`RedisRevocationList` has an unknown option "ttl"/,
    );
    const list = new RedisRevocationList({ client });
    await expect(list.revoke('', new Date())).rejects.toThrow(TypeError);
    await expect(list.revoke('a', new Date('nope'))).rejects.toThrow(
      new TypeError('`until` must be a valid Date.'),
    );
    await expect(list.isRevoked('')).rejects.toThrow(TypeError);
  });
});

describeRedis('RedisRevocationList', (url) => {
  const prefix = `bulwark:test:revoked:${randomBytes(6).toString('hex')}:`;
  let a: Redis;
  let b: Redis;

  beforeAll(() => {
    a = new Redis(url);
    b = new Redis(url);
  });

  afterAll(async () => {
    const keys = await a.keys(`${prefix}*`);
    if (keys.length > 0) await a.del(...keys);
    await a.quit();
    await b.quit();
  });

  it('revokes a token id until a date, with Redis expiring the key then', async () => {
    const list = new RedisRevocationList({ client: a, prefix });
    const until = Date.now() + DAY;
    await list.revoke('t-1', new Date(until));
    expect(await list.isRevoked('t-1')).toBe(true);
    expect(await list.isRevoked('t-2')).toBe(false);
    expect(await a.get(`${prefix}t-1`)).toBe(String(until));
    const ttl = await a.pttl(`${prefix}t-1`);
    expect(ttl).toBeGreaterThan(DAY - 60_000);
    expect(ttl).toBeLessThanOrEqual(DAY);
  });

  it('writes nothing for a revocation that already ended', async () => {
    const list = new RedisRevocationList({ client: a, prefix });
    await list.revoke('t-past', new Date(Date.now() - 1_000));
    expect(await a.exists(`${prefix}t-past`)).toBe(0);
    expect(await list.isRevoked('t-past')).toBe(false);
  });

  it('keeps the later of two revocations of one token', async () => {
    const list = new RedisRevocationList({ client: a, prefix });
    const later = Date.now() + 2 * DAY;
    await list.revoke('t-3', new Date(later));
    await list.revoke('t-3', new Date(Date.now() + DAY));
    expect(await a.get(`${prefix}t-3`)).toBe(String(later));
    expect(await a.pttl(`${prefix}t-3`)).toBeGreaterThan(DAY + 60_000);
  });

  it('shares revocations between instances with one prefix, not across prefixes', async () => {
    const here = new RedisRevocationList({ client: a, prefix });
    const there = new RedisRevocationList({ client: b, prefix });
    const elsewhere = new RedisRevocationList({ client: b, prefix: `${prefix}other:` });
    await here.revoke('t-4', new Date(Date.now() + DAY));
    expect(await there.isRevoked('t-4')).toBe(true);
    expect(await elsewhere.isRevoked('t-4')).toBe(false);
  });

  it('answers isRevoked with one command, one round trip', async () => {
    const list = new RedisRevocationList({ client: a, prefix });
    const send = vi.spyOn(a, 'sendCommand');
    try {
      await list.isRevoked('t-5');
      expect(send).toHaveBeenCalledTimes(1);
      expect((send.mock.calls[0]![0] as { name: string }).name).toBe('exists');
    } finally {
      send.mockRestore();
    }
  });

  it('rejects, and never answers "not revoked", when its Redis dies', async () => {
    const redis = await startPrivateRedis();
    const client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    await once(client, 'ready');
    try {
      const list = new RedisRevocationList({ client, prefix });
      await list.revoke('t-6', new Date(Date.now() + DAY));
      expect(await list.isRevoked('t-6')).toBe(true);
      const closed = once(client, 'close');
      await redis.kill();
      await closed;
      await expect(list.isRevoked('t-6')).rejects.toBeInstanceOf(RevocationListUnavailableError);
      await expect(list.isRevoked('t-7')).rejects.toThrow(/Redis failed on `isRevoked`/);
      await expect(list.revoke('t-8', new Date(Date.now() + DAY))).rejects.toBeInstanceOf(
        RevocationListUnavailableError,
      );
    } finally {
      client.disconnect();
      await redis.kill();
    }
  });
});
