import { createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** A shared HMAC secret: a string (its UTF-8 bytes) or bytes. At least 32 bytes. */
export type GatewaySecret = string | Uint8Array;

/** The shortest secret accepted: 256 bits, the output size of HMAC-SHA256. */
export const MIN_SECRET_BYTES = 32;

/**
 * Turns a secret option into a key, refusing anything shorter than {@link MIN_SECRET_BYTES}: a
 * short HMAC secret can be brute-forced offline from one captured header.
 */
export function secretKey(name: string, value: unknown): KeyObject {
  let bytes: Buffer;
  if (typeof value === 'string') bytes = Buffer.from(value, 'utf8');
  else if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else
    throw new TypeError(
      `\`${name}\` must be a string or a Uint8Array of at least ${MIN_SECRET_BYTES} bytes, got ${value === null ? 'null' : typeof value}.`,
    );
  if (bytes.length < MIN_SECRET_BYTES)
    throw new TypeError(
      `\`${name}\` must be at least ${MIN_SECRET_BYTES} bytes (256 bits), got ${bytes.length}.`,
    );
  return createSecretKey(bytes);
}

/** One key, or several for rotation (the first one signs; any one verifies). */
export function secretKeys(name: string, value: unknown): KeyObject[] {
  if (!Array.isArray(value)) return [secretKey(name, value)];
  if (value.length === 0) throw new TypeError(`\`${name}\` must not be an empty list.`);
  return value.map((v, i) => secretKey(`${name}[${i}]`, v));
}
