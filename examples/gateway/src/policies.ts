import { objectPolicy, requestPolicy } from '@bulwark/authz';
import type { AuthzPolicy } from '@bulwark/authz';
import { hasRole } from '@bulwark/core';

/**
 * The named policies of the example's `@policy` rules. The gateway and both subgraphs register
 * the same names: the gateway decides the request policies (`admin`) before planning, and the
 * subgraph that resolves an object decides the object policies (`owner`) on it.
 */
export const policies: Readonly<Record<string, AuthzPolicy>> = Object.freeze({
  /** The object is the caller's own user (`User.email`, `User.orders`). */
  owner: objectPolicy<{ id: string }>(
    ({ principal, object }) => principal !== null && object.id === principal.subject,
  ),
  /** The caller has the `admin` role. */
  admin: requestPolicy(({ principal }) => hasRole(principal, 'admin')),
});
