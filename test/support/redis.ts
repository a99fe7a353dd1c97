import { describe, it } from 'vitest';

/** Where the tests' Redis is: `REDIS_URL` (CI sets it; `.ci/run` starts redis-server if needed). */
export const REDIS_URL = process.env.REDIS_URL;

/** CI sets `BULWARK_REQUIRE_REDIS=1`: a missing Redis is then a failure, not a skip. */
export const REQUIRE_REDIS = process.env.BULWARK_REQUIRE_REDIS === '1';

/**
 * `describe` for suites that need Redis. Without `REDIS_URL` the suite is skipped, and says so
 * loudly; with `BULWARK_REQUIRE_REDIS=1` it fails instead.
 */
export function describeRedis(name: string, body: (url: string) => void): void {
  if (REDIS_URL) {
    describe(name, () => body(REDIS_URL));
    return;
  }
  if (REQUIRE_REDIS) {
    describe(name, () => {
      it('needs Redis', () => {
        throw new Error(
          'REDIS_URL is not set but BULWARK_REQUIRE_REDIS=1: this suite needs Redis.',
        );
      });
    });
    return;
  }
  console.warn(`\n*** SKIPPED "${name}": REDIS_URL is not set (Redis suites run in CI). ***\n`);
  describe.skip(name, () => body(''));
}
