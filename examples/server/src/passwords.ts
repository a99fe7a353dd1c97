import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (node:crypto), a per-password random salt, and a constant-time
 * comparison. The stored form is `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (base64url), so the
 * cost can be raised later without invalidating existing hashes.
 *
 * Plaintext passwords are never stored or logged: only this function and {@link verifyPassword}
 * see them.
 */

/** scrypt cost: N = 2^15, r = 8, p = 1 uses 32 MiB and about 50 to 100 ms per hash. */
export const SCRYPT_DEFAULTS = Object.freeze({ log2N: 15, r: 8, p: 1 });
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number) {
  const N = 2 ** log2N;
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * p + 1024 * 1024 };
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes a password with a fresh salt. */
export async function hashPassword(
  password: string,
  cost: { log2N: number; r: number; p: number } = SCRYPT_DEFAULTS,
): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, cost.log2N, cost.r, cost.p);
  return [
    'scrypt',
    cost.log2N,
    cost.r,
    cost.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

/** A hash that no password verifies, with the default cost, to spend the same time on unknown accounts. */
let decoy: Promise<string> | undefined;

/**
 * Verifies a password against a stored hash in constant time. An unknown account (`stored`
 * undefined) or a disabled one (`'!'`) costs one hash too, so response times do not tell which
 * accounts exist.
 */
export async function verifyPassword(
  password: string,
  stored: string | undefined,
): Promise<boolean> {
  const parts = stored?.split('$');
  if (!parts || parts.length !== 6 || parts[0] !== 'scrypt') {
    decoy ??= hashPassword(randomBytes(16).toString('hex'));
    const [, log2N, r, p, salt] = (await decoy).split('$');
    await derive(password, Buffer.from(salt!, 'base64url'), Number(log2N), Number(r), Number(p));
    return false;
  }
  const [, log2N, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64url'),
    Number(log2N),
    Number(r),
    Number(p),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
