import {
  assertFunction,
  assertKnownKeys,
  assertNonEmptyString,
  assertObject,
  assertPositiveInteger,
} from '@bulwark/core';
import type { RevocationList } from '@bulwark/core';
import type { Cluster, Redis } from 'ioredis';

/**
 * Stores `until` (ms since the epoch) as the value and as the key's absolute expiry, unless the
 * key already holds a later one: a second, shorter revocation never cuts the first short.
 */
const REVOKE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local untilMs = tonumber(ARGV[1])
if current < untilMs then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[1])
end
return 1
`;

/**
 * The revocation list could not be read or written: Redis failed, refused the command or did
 * not answer within `timeoutMs`. `@bulwark/jwt` then refuses the request with 503 (its
 * `revocation.onError: 'fail-closed'` default) rather than let a possibly revoked token in.
 */
export class RevocationListUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RevocationListUnavailableError';
  }
}

/** Options of {@link RedisRevocationList}. */
export interface RedisRevocationListOptions {
  /**
   * An ioredis client (`Redis` or `Cluster`). You own it: the list never connects, quits or
   * reconfigures it. For fast failure, give it `enableOfflineQueue: false` and
   * `maxRetriesPerRequest: 0`; `timeoutMs` bounds the wait either way.
   */
  readonly client: Redis | Cluster;
  /**
   * Prefix of every key: instances that must share revocations use the same prefix; separate
   * applications (and test runs) use their own. @default 'bulwark:revoked:'
   */
  readonly prefix?: string | undefined;
  /** Longest wait for Redis on one call, in ms. @default 250 */
  readonly timeoutMs?: number | undefined;
  /** The clock, ms since the epoch (a revocation whose `until` has passed is not written). @default Date.now */
  readonly now?: (() => number) | undefined;
}

/** Defaults of {@link RedisRevocationListOptions}. */
export const REDIS_REVOCATION_LIST_DEFAULTS = Object.freeze({
  prefix: 'bulwark:revoked:',
  timeoutMs: 250,
});

/**
 * A token revocation list in Redis, shared by every server instance: `revoke` writes
 * `<prefix><tokenId>` with an absolute expiry at `until` (Redis forgets it when the token
 * would have expired anyway), `isRevoked` is one `EXISTS`, one round trip.
 *
 * Failure behaviour: every Redis error, and no answer within `timeoutMs`, rejects with a
 * {@link RevocationListUnavailableError}; nothing is assumed. `@bulwark/jwt` answers such a
 * request with 503 `SERVICE_UNAVAILABLE` by default (fail closed), or lets it through with a
 * warning event under `revocation.onError: 'fail-open'`.
 *
 * Security: revocations live as long as Redis keeps them: use a persistent Redis (AOF or RDB)
 * if a restart must not forget them. Keys are readable by anyone with access to that Redis.
 */
export class RedisRevocationList implements RevocationList {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(options: RedisRevocationListOptions) {
    assertObject('options', options);
    assertKnownKeys('RedisRevocationList', options, ['client', 'prefix', 'timeoutMs', 'now']);
    const client = options.client as Partial<Redis> | undefined;
    if (!client || typeof client.exists !== 'function' || typeof client.eval !== 'function') {
      throw new TypeError('`client` must be an ioredis client (Redis or Cluster).');
    }
    this.#client = options.client;
    this.#prefix = options.prefix ?? REDIS_REVOCATION_LIST_DEFAULTS.prefix;
    assertNonEmptyString('prefix', this.#prefix);
    this.#timeoutMs = options.timeoutMs ?? REDIS_REVOCATION_LIST_DEFAULTS.timeoutMs;
    assertPositiveInteger('timeoutMs', this.#timeoutMs);
    this.#now = options.now ?? (() => Date.now());
    assertFunction('now', this.#now);
  }

  /** Revokes `tokenId` until `until` (the token's expiry); a past `until` writes nothing. */
  async revoke(tokenId: string, until: Date): Promise<void> {
    assertNonEmptyString('tokenId', tokenId);
    if (!(until instanceof Date) || Number.isNaN(until.getTime())) {
      throw new TypeError('`until` must be a valid Date.');
    }
    const at = Math.ceil(until.getTime());
    if (at <= this.#now()) return;
    await this.#run('revoke', () =>
      this.#client.eval(REVOKE_SCRIPT, 1, this.#prefix + tokenId, String(at)),
    );
  }

  /** True while `tokenId` is revoked. Rejects with {@link RevocationListUnavailableError} when Redis cannot answer. */
  async isRevoked(tokenId: string): Promise<boolean> {
    assertNonEmptyString('tokenId', tokenId);
    const count = await this.#run('isRevoked', () => this.#client.exists(this.#prefix + tokenId));
    return count === 1;
  }

  #run<T>(what: string, command: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new RevocationListUnavailableError(
            `Redis did not answer \`${what}\` within ${this.#timeoutMs} ms.`,
          ),
        );
      }, this.#timeoutMs);
      timer.unref?.();
      let pending: Promise<T>;
      try {
        pending = command();
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(
            new RevocationListUnavailableError(
              `Redis failed on \`${what}\`: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            ),
          );
        },
      );
    });
  }
}
