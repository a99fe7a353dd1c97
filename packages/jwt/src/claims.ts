import { createPrincipal } from '@bulwark/core';
import type { Principal } from '@bulwark/core';

/** A claim needed to build the principal is missing or of the wrong type. */
export class ClaimMappingError extends Error {
  constructor(
    message: string,
    /** The claim at fault. */
    readonly claim: string,
  ) {
    super(message);
    this.name = 'ClaimMappingError';
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter((s) => s.length > 0);
  if (Array.isArray(value))
    return value.filter((s): s is string => typeof s === 'string' && s.length > 0);
  return [];
}

function atPath(claims: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = claims;
  for (const segment of path) {
    // Own properties only: a path never reaches Object.prototype.
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment))
      return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/**
 * Builds the principal of verified claims: subject from `subjectClaim` (a non-empty string),
 * scopes from `scope` (space-separated) and `scp` (array or space-separated string), roles
 * from `rolesPath` (an array of strings or one string), the token id from `jti`. The claims
 * are deep-frozen: one principal may serve many requests from the verified-token cache.
 */
export function principalFromClaims(
  payload: Record<string, unknown>,
  subjectClaim: string,
  rolesPath: readonly string[],
): Principal {
  const claims = deepFreeze(payload);
  const subject = Object.hasOwn(claims, subjectClaim) ? claims[subjectClaim] : undefined;
  if (typeof subject !== 'string' || subject.length === 0) {
    throw new ClaimMappingError(
      `The "${subjectClaim}" claim must be a non-empty string.`,
      subjectClaim,
    );
  }
  const scopes = [...new Set([...strings(claims.scope), ...strings(claims.scp)])];
  const rolesValue = atPath(claims, rolesPath);
  const roles =
    typeof rolesValue === 'string'
      ? [rolesValue]
      : Array.isArray(rolesValue)
        ? rolesValue.filter((r): r is string => typeof r === 'string')
        : [];
  return createPrincipal({
    subject,
    scopes,
    roles,
    claims,
    tokenId: typeof claims.jti === 'string' && claims.jti.length > 0 ? claims.jti : undefined,
    issuedAt: typeof claims.iat === 'number' ? claims.iat : undefined,
    expiresAt: typeof claims.exp === 'number' ? claims.exp : undefined,
  });
}
