/** The HMAC algorithms: one shared secret signs and verifies. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

/** The asymmetric algorithms: the issuer signs with a private key, we verify with its public key. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/**
 * Every JWS algorithm `algorithms` may list. `none` is not one of them, and neither is anything
 * jose supports that Node 20's WebCrypto cannot verify.
 */
export const JWT_ALGORITHMS = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS] as const;

/** An HMAC algorithm (`HS256`, `HS384`, `HS512`). */
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];
/** An asymmetric signature algorithm (RSA, RSA-PSS, ECDSA, EdDSA). */
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];
/** A JWS algorithm accepted in `algorithms`. */
export type JwtAlgorithm = HmacAlgorithm | AsymmetricAlgorithm;

/** True for an HMAC algorithm. */
export function isHmacAlgorithm(alg: string): alg is HmacAlgorithm {
  return (HMAC_ALGORITHMS as readonly string[]).includes(alg);
}

/** True for an algorithm listed in {@link JWT_ALGORITHMS}. */
export function isJwtAlgorithm(alg: string): alg is JwtAlgorithm {
  return (JWT_ALGORITHMS as readonly string[]).includes(alg);
}

/**
 * Minimum HMAC secret length in bytes: the hash output size (RFC 7518 §3.2), so HS256 needs 32
 * bytes (256 bits), HS384 48 and HS512 64.
 */
export function minimumSecretBytes(algorithms: readonly HmacAlgorithm[]): number {
  let bytes = 32;
  for (const alg of algorithms) bytes = Math.max(bytes, Number(alg.slice(2)) / 8);
  return bytes;
}

/** The Node `KeyObject` type (and curve) a public key needs to verify `alg`. */
export function keyTypeFor(alg: AsymmetricAlgorithm): { type: string; curve?: string } {
  switch (alg) {
    case 'ES256':
      return { type: 'ec', curve: 'prime256v1' };
    case 'ES384':
      return { type: 'ec', curve: 'secp384r1' };
    case 'ES512':
      return { type: 'ec', curve: 'secp521r1' };
    case 'EdDSA':
    case 'Ed25519':
      return { type: 'ed25519' };
    default:
      return { type: 'rsa' };
  }
}
