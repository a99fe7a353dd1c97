/**
 * Store interfaces. The in-memory implementations live with their features
 * (`@bulwark/rate-limit`, `@bulwark/jwt`); the distributed ones in `@bulwark/redis`.
 */

/** Rate-limit algorithm. */
export type RateLimitAlgorithm = 'sliding-window' | 'token-bucket';

/** What a rate-limit key may consume. */
export interface RateLimitPolicy {
  /** Stable id of the rule this policy comes from (part of the key, shown in headers). */
  readonly id: string;
  /** Units allowed per window (sliding window) or bucket capacity (token bucket). */
  readonly limit: number;
  /** Window length (sliding window) or time to refill the whole bucket (token bucket), in ms. */
  readonly windowMs: number;
  readonly algorithm: RateLimitAlgorithm;
  /**
   * Jail: after `after` rejections within `withinMs`, refuse the key for `forMs`, whatever it
   * sends (even the right password).
   */
  readonly jail?: { readonly after: number; readonly withinMs: number; readonly forMs: number };
}

/** One key to charge in a decision. */
export interface ConsumeRequest {
  /** The key, unique within one `consume` call. The store adds its own prefix. */
  readonly key: string;
  /** Units to charge (≥ 0). 0 only reads the state. */
  readonly cost: number;
  readonly policy: RateLimitPolicy;
  /**
   * Failures to add to the jail count of this key, whatever the decision (a failed login
   * reported by a resolver). Ignored without `policy.jail` and while the key is jailed.
   * @default 0
   */
  readonly strikes?: number;
}

/** The state of one key after a decision. */
export interface ConsumeResult {
  readonly key: string;
  readonly allowed: boolean;
  readonly limit: number;
  /** Units left in the window after this decision. */
  readonly remaining: number;
  /** When the window (or bucket) is whole again, ms since the epoch. */
  readonly resetAt: number;
  /** How long to wait before a retry can succeed, in ms (0 when allowed). */
  readonly retryAfterMs: number;
  /** Set when the key is jailed: until when, ms since the epoch. */
  readonly jailedUntil?: number | undefined;
  /**
   * True when the store could not decide (its backend failed) and its policy is to fail open:
   * the request was allowed without being counted, and the other figures mean nothing.
   */
  readonly degraded?: boolean | undefined;
}

/**
 * A rate-limit store decides all keys of one operation atomically: if any key is refused, no
 * key is charged (a refused operation does not burn its other budgets), and concurrent
 * decisions never over-admit.
 *
 * Jail: a key whose policy has a `jail` gets a strike each time it refuses a request, and one
 * per `strikes` unit a request reports. `after` strikes within `withinMs` jail the key for
 * `forMs`: every request on it is then refused, whatever its cost.
 *
 * A store that cannot reach its backend either fails open (returns allowed results marked
 * `degraded`) or fails closed (throws a `ServiceUnavailableError`), as configured; any other
 * throw is treated as failing closed by the caller.
 */
export interface RateLimitStore {
  /** Decides and charges all `requests` at `now` (ms since the epoch); results in request order. */
  consume(requests: readonly ConsumeRequest[], now: number): Promise<readonly ConsumeResult[]>;
}

/**
 * A token revocation list (a denylist of `jti`s). An entry may be forgotten after `until`, the
 * moment the token expires anyway.
 */
export interface RevocationList {
  revoke(tokenId: string, until: Date): Promise<void>;
  isRevoked(tokenId: string): Promise<boolean>;
}
