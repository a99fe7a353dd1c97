import * as nodeCrypto from 'node:crypto';
import type { Principal } from '@bulwark/core';
import { LRUCache } from 'lru-cache';

// One-shot `crypto.hash` (Node >= 20.12) costs half of `createHash` on a token-sized input.
const sha256: (data: string) => string =
  typeof nodeCrypto.hash === 'function'
    ? (data) => nodeCrypto.hash('sha256', data, 'base64url')
    : (data) => nodeCrypto.createHash('sha256').update(data).digest('base64url');

/** A verified token: its principal and the times still checked on every use. */
export interface CachedVerification {
  readonly principal: Principal;
  /** `exp`, seconds since the epoch. */
  readonly exp: number;
  readonly nbf: number | undefined;
  readonly iat: number | undefined;
  /** The key-set generation it was verified with. */
  readonly generation: number;
}

/** Which time check a token fails, if any. */
export type TimeFailure = 'exp' | 'nbf' | 'iat-too-old' | 'iat-in-future';

/**
 * The time checks jose runs in `jwtVerify`, with the same arithmetic (whole seconds, tolerance
 * on both sides), for tokens served from the cache.
 */
export function checkTokenTimes(
  entry: Pick<CachedVerification, 'exp' | 'nbf' | 'iat'>,
  nowMs: number,
  toleranceSec: number,
  maxTokenAgeSec: number | undefined,
): TimeFailure | undefined {
  const now = Math.floor(nowMs / 1000);
  if (entry.nbf !== undefined && entry.nbf > now + toleranceSec) return 'nbf';
  if (entry.exp <= now - toleranceSec) return 'exp';
  if (maxTokenAgeSec !== undefined && entry.iat !== undefined) {
    const age = now - entry.iat;
    if (age - toleranceSec > maxTokenAgeSec) return 'iat-too-old';
    if (age < -toleranceSec) return 'iat-in-future';
  }
  return undefined;
}

/**
 * The verified-token cache: bounded (LRU), keyed by the SHA-256 of the token (the token itself
 * is not kept as a key), and an entry expires with its token.
 */
export class VerifiedTokenCache {
  readonly #lru: LRUCache<string, CachedVerification>;

  constructor(max: number, now: () => number) {
    // ttlResolution 0: every check reads the injected clock, never a value cached on a timer.
    this.#lru = new LRUCache<string, CachedVerification>({ max, perf: { now }, ttlResolution: 0 });
  }

  /** The cache key of a token. */
  key(token: string): string {
    return sha256(token);
  }

  get(key: string): CachedVerification | undefined {
    return this.#lru.get(key);
  }

  /** Stores an entry that lives `ttlMs` at most; nothing is stored for `ttlMs <= 0`. */
  set(key: string, entry: CachedVerification, ttlMs: number): void {
    if (ttlMs >= 1) this.#lru.set(key, entry, { ttl: Math.floor(ttlMs) });
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }

  clear(): void {
    this.#lru.clear();
  }

  get size(): number {
    return this.#lru.size;
  }
}
