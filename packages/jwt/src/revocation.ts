import {
  assertFunction,
  assertKnownKeys,
  assertNonEmptyString,
  assertPositiveInteger,
} from '@bulwark/core';
import type { RevocationList } from '@bulwark/core';

/** Options of {@link MemoryRevocationList}. */
export interface MemoryRevocationListOptions {
  /** Most revocations held at once. @default 100000 */
  readonly max?: number | undefined;
  /** The clock, ms since the epoch. @default Date.now */
  readonly now?: (() => number) | undefined;
}

/**
 * A revocation list in this process's memory: revoked token ids, each forgotten once its
 * `until` (the token's expiry) has passed.
 *
 * Security: bounded, and it never forgets a revocation still in force to make room: when
 * `max` revocations are in force, `revoke` throws a `RangeError`. It is not shared between
 * instances; use `RedisRevocationList` from `@bulwark/redis` for that.
 */
export class MemoryRevocationList implements RevocationList {
  readonly #entries = new Map<string, number>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: MemoryRevocationListOptions = {}) {
    assertKnownKeys('MemoryRevocationList', options, ['max', 'now']);
    this.#max = options.max ?? 100_000;
    assertPositiveInteger('max', this.#max);
    this.#now = options.now ?? (() => Date.now());
    assertFunction('now', this.#now);
  }

  /** Revokes `tokenId` until `until`; a past `until` does nothing. */
  async revoke(tokenId: string, until: Date): Promise<void> {
    assertNonEmptyString('tokenId', tokenId);
    if (!(until instanceof Date) || Number.isNaN(until.getTime())) {
      throw new TypeError('`until` must be a valid Date.');
    }
    const at = until.getTime();
    const now = this.#now();
    if (at <= now) return;
    const current = this.#entries.get(tokenId);
    if (current !== undefined) {
      this.#entries.set(tokenId, Math.max(current, at));
      return;
    }
    if (this.#entries.size >= this.#max) this.#purge(now);
    if (this.#entries.size >= this.#max) {
      throw new RangeError(
        `The revocation list holds ${this.#max} revocations in force (\`max\`): raise \`max\` or use a shared store.`,
      );
    }
    this.#entries.set(tokenId, at);
  }

  /** True while `tokenId` is revoked; an ended revocation is dropped on the way. */
  async isRevoked(tokenId: string): Promise<boolean> {
    const until = this.#entries.get(tokenId);
    if (until === undefined) return false;
    if (until <= this.#now()) {
      this.#entries.delete(tokenId);
      return false;
    }
    return true;
  }

  /** Revocations held, including expired ones not yet dropped. */
  get size(): number {
    return this.#entries.size;
  }

  #purge(now: number): void {
    for (const [id, until] of this.#entries) if (until <= now) this.#entries.delete(id);
  }
}
