import { ServiceUnavailableError, UnauthenticatedError } from '@bulwark/core';
import type { BulwarkError } from '@bulwark/core';

/**
 * The coarse reason a client is told in `extensions.reason` of an `UNAUTHENTICATED` error.
 * Which claim failed, the jose error and the key id go to the event stream only.
 */
export const AUTH_FAILURE_REASONS = [
  'TOKEN_MISSING',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
] as const;

/** One of {@link AUTH_FAILURE_REASONS}. */
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

/** The message of every 401, whatever failed. */
export const UNAUTHENTICATED_MESSAGE = 'The request has no valid access token.';

/** The message of a 401 for `Authorization: Basic`. */
export const BASIC_AUTH_MESSAGE =
  'Basic authentication is not accepted: send an access token as "Authorization: Bearer <token>".';

/** The message of a 503 when keys or the revocation list cannot be reached. */
export const AUTH_UNAVAILABLE_MESSAGE = 'Authentication is temporarily unavailable.';

/**
 * The RFC 6750 challenge: `Bearer error="invalid_token"`, or plain `Bearer` when the request
 * carried no bearer token at all (§3.1: no error code then), with the realm when configured.
 */
export function bearerChallenge(realm: string | undefined, invalidToken: boolean): string {
  const params: string[] = [];
  if (realm !== undefined) params.push(`realm="${realm}"`);
  if (invalidToken) params.push('error="invalid_token"');
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
}

/** Builds the 401 of a refusal. `detail` is for logs only and never serialized. */
export function unauthenticatedError(
  reason: AuthFailureReason,
  realm: string | undefined,
  detail: string,
  message: string = UNAUTHENTICATED_MESSAGE,
): BulwarkError<'UNAUTHENTICATED'> {
  return new UnauthenticatedError(message, {
    extensions: { reason },
    headers: { 'WWW-Authenticate': bearerChallenge(realm, reason !== 'TOKEN_MISSING') },
    reason: detail,
  });
}

/** Builds the 503 of an unreachable key source or revocation list (fail closed). */
export function authUnavailableError(
  detail: string,
  cause: unknown,
): BulwarkError<'SERVICE_UNAVAILABLE'> {
  return new ServiceUnavailableError(AUTH_UNAVAILABLE_MESSAGE, { reason: detail, cause });
}
