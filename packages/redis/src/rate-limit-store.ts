import { createHash } from 'node:crypto';
import {
  assertKnownKeys,
  assertNonEmptyString,
  assertObject,
  assertOneOf,
  assertPositiveInteger,
  emitEvent,
  ServiceUnavailableError,
} from '@bulwark/core';
import type { ConsumeRequest, ConsumeResult, OnSecurityEvent, RateLimitStore } from '@bulwark/core';
import { Redis } from 'ioredis';
import type { Cluster } from 'ioredis';
import { RATE_LIMIT_SCRIPT } from './rate-limit-script.js';

/** What the store does when Redis fails (unreachable, timed out, erroring). */
export type StoreErrorMode = 'fail-open' | 'fail-closed';

/** Options of {@link RedisRateLimitStore}. */
export interface RedisRateLimitStoreOptions {
  /**
   * An ioredis client (`Redis` or `Cluster`) you own, or a `redis://` URL for a client the
   * store creates (and closes in `close()`) with fail-fast settings: no offline queue, no
   * retry of a failed command, reconnection every 100 ms to 2 s.
   */
  client: Redis | Cluster | string;
  /**
   * Required: when Redis fails, `'fail-open'` allows the request uncounted (availability
   * first) and `'fail-closed'` refuses it with `SERVICE_UNAVAILABLE` (503) (protection
   * first). Either way an event is emitted.
   */
  onStoreError: StoreErrorMode;
  /**
   * Prefix of every key: give each application (and each test run) its own.
   * @default 'bulwark:rl:'
   */
  prefix?: string;
  /**
   * Redis Cluster hash tag: every key becomes `<prefix>{<hashTag>}<key>`, so all keys of a
   * decision live in one slot, as one script requires. `false` for none.
   * @default 'bulwark' with a `Cluster` client, else false
   */
  hashTag?: string | false;
  /**
   * Longest wait for a decision before the store fails (`onStoreError`), in ms.
   * @default 250
   */
  timeoutMs?: number;
  /** Receives the store's events (failures, recoveries). */
  onEvent?: OnSecurityEvent;
}

const KNOWN = ['client', 'prefix', 'hashTag', 'timeoutMs', 'onStoreError', 'onEvent'];
const SHA = createHash('sha1').update(RATE_LIMIT_SCRIPT).digest('hex');

class TimeoutError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms.`);
    this.name = 'TimeoutError';
  }
}

/**
 * Rate-limit counters in Redis, shared by every server instance: one `EVALSHA` per decision
 * covers all keys an operation touches, read and written atomically, so two servers never
 * admit more than the limit between them.
 *
 * Security: `onStoreError` must be chosen; with `'fail-open'`, an attacker who can make Redis
 * fail (or slow) is not limited while it lasts. Keys hold hashed argument values, never an
 * argument in clear. The clock is the caller's (`now`): keep server clocks in sync (NTP).
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly client: Redis | Cluster;
  private readonly owned: boolean;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly mode: StoreErrorMode;
  private readonly onEvent: OnSecurityEvent | undefined;
  private failing = false;

  constructor(options: RedisRateLimitStoreOptions) {
    assertObject('RedisRateLimitStore options', options);
    assertKnownKeys('RedisRateLimitStore options', options, KNOWN);
    assertOneOf('onStoreError', options.onStoreError, ['fail-open', 'fail-closed'] as const);
    this.mode = options.onStoreError;
    const timeoutMs = options.timeoutMs ?? 250;
    assertPositiveInteger('timeoutMs', timeoutMs);
    this.timeoutMs = timeoutMs;
    const prefix = options.prefix ?? 'bulwark:rl:';
    assertNonEmptyString('prefix', prefix);
    if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
      throw new TypeError('`onEvent` must be a function.');
    }
    this.onEvent = options.onEvent;
    const client = options.client;
    if (typeof client === 'string') {
      assertNonEmptyString('client', client);
      this.client = new Redis(client, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: Math.max(1000, timeoutMs),
        retryStrategy: (times) => Math.min(times * 100, 2000),
      });
      // Without a listener ioredis prints every connection error; failures surface as events.
      this.client.on('error', () => {});
      this.owned = true;
    } else if (client && typeof (client as Partial<Redis>).evalsha === 'function') {
      this.client = client;
      this.owned = false;
    } else {
      throw new TypeError(
        '`client` must be an ioredis Redis or Cluster client, or a redis:// URL.',
      );
    }
    const hashTag = options.hashTag ?? (this.client.isCluster ? 'bulwark' : false);
    if (hashTag !== false) {
      assertNonEmptyString('hashTag', hashTag);
      if (/[{}]/.test(hashTag)) throw new TypeError('`hashTag` must not contain "{" or "}".');
    }
    this.prefix = hashTag === false ? prefix : `${prefix}{${hashTag}}`;
  }

  /** The full Redis key of a limiter key. */
  keyOf(key: string): string {
    return this.prefix + key;
  }

  /** Decides and charges all keys of one operation in one script call (see `RateLimitStore`). */
  async consume(
    requests: readonly ConsumeRequest[],
    now: number,
  ): Promise<readonly ConsumeResult[]> {
    if (requests.length === 0) return [];
    const keys: string[] = [];
    const args: (string | number)[] = [now];
    const seen = new Set<string>();
    for (const r of requests) {
      if (seen.has(r.key)) {
        throw new TypeError(
          `Rate-limit key ${JSON.stringify(r.key)} appears twice in one decision.`,
        );
      }
      seen.add(r.key);
      keys.push(this.keyOf(r.key));
      const jail = r.policy.jail;
      args.push(
        r.cost,
        r.policy.limit,
        r.policy.windowMs,
        r.policy.algorithm === 'token-bucket' ? 't' : 's',
        jail ? jail.after : 0,
        jail ? jail.withinMs : 0,
        jail ? jail.forMs : 0,
        r.strikes ?? 0,
      );
    }
    let reply: unknown;
    try {
      reply = await this.withTimeout(this.run(keys, args));
    } catch (error) {
      return this.fail(requests, error);
    }
    if (!Array.isArray(reply) || reply.length !== requests.length * 5) {
      return this.fail(requests, new Error('Unexpected reply from the rate-limit script.'));
    }
    this.recovered();
    return requests.map((r, i) => {
      const at = i * 5;
      const jailedUntil = Number(reply[at + 4]);
      return {
        key: r.key,
        allowed: Number(reply[at]) === 1,
        limit: r.policy.limit,
        remaining: Number(reply[at + 1]),
        resetAt: Number(reply[at + 2]),
        retryAfterMs: Number(reply[at + 3]),
        jailedUntil: jailedUntil > 0 ? jailedUntil : undefined,
      };
    });
  }

  /** Closes the client when the store created it from a URL; a client you passed stays open. */
  async close(): Promise<void> {
    if (!this.owned) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private async run(keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.client.evalsha(SHA, keys.length, ...keys, ...args);
    } catch (error) {
      // A restarted (or new) Redis does not know the script yet: send it once.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return await this.client.eval(RATE_LIMIT_SCRIPT, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(this.timeoutMs)), this.timeoutMs);
      timer.unref();
    });
    // The losing promise may still reject later: keep that from being unhandled.
    promise.catch(() => {});
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  private fail(requests: readonly ConsumeRequest[], error: unknown): readonly ConsumeResult[] {
    this.failing = true;
    const message = error instanceof Error ? error.message : String(error);
    if (this.mode === 'fail-open') {
      emitEvent(this.onEvent, {
        source: 'redis',
        outcome: 'warning',
        code: 'RATE_LIMIT_STORE_UNAVAILABLE',
        reason: 'Redis failed; the rate-limit store fails open: the request is allowed uncounted.',
        detail: { error: message, keys: requests.length, mode: this.mode },
      });
      return requests.map((r) => ({
        key: r.key,
        allowed: true,
        limit: r.policy.limit,
        remaining: r.policy.limit,
        resetAt: 0,
        retryAfterMs: 0,
        degraded: true,
      }));
    }
    emitEvent(this.onEvent, {
      source: 'redis',
      outcome: 'rejected',
      code: 'SERVICE_UNAVAILABLE',
      reason: 'Redis failed; the rate-limit store fails closed: the request is refused.',
      detail: { error: message, keys: requests.length, mode: this.mode },
    });
    throw new ServiceUnavailableError('The service is temporarily unavailable.', {
      reason: `Rate-limit store: ${message}`,
      cause: error,
    });
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    emitEvent(this.onEvent, {
      source: 'redis',
      outcome: 'warning',
      code: 'RATE_LIMIT_STORE_RECOVERED',
      reason: 'Redis answers again; rate-limit decisions resume.',
    });
  }
}
