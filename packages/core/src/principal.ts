/**
 * Who is asking: the one object that authorization, rate limiting, per-principal limits and
 * introspection control all read. `null` stands for an anonymous request.
 *
 * It is built from a verified token by `@bulwark/jwt` (or by your own authentication); it
 * never holds the token itself.
 */
export interface Principal {
  /** Stable identifier of the subject (the JWT `sub`). */
  readonly subject: string;
  /** Granted scopes (from `scope` or `scp`). */
  readonly scopes: readonly string[];
  /** Roles (from a configurable claim path). */
  readonly roles: readonly string[];
  /** The verified claims, for policies that need more. Never contains the token. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The token id (`jti`), used by revocation. */
  readonly tokenId: string | undefined;
  /** Issued-at, seconds since the epoch (`iat`). */
  readonly issuedAt: number | undefined;
  /** Expiry, seconds since the epoch (`exp`). */
  readonly expiresAt: number | undefined;
}

/** What the suite's plugins read from the GraphQL context. */
export interface AuthContext {
  /** The verified principal, `null` when anonymous. */
  readonly principal: Principal | null;
}

/** The part of a GraphQL context the suite reads: `context.auth.principal`. */
export interface BulwarkContext {
  auth?: AuthContext;
}

/** Reads the principal of a request from its context. */
export type PrincipalAccessor<TContext = unknown> = (context: TContext) => Principal | null;

/**
 * The default accessor: `context.auth.principal`, `null` when absent. Every package takes a
 * `getPrincipal` option to read it elsewhere.
 */
export function principalFromContext(context: unknown): Principal | null {
  if (context === null || typeof context !== 'object') return null;
  const auth = (context as BulwarkContext).auth;
  if (auth === null || typeof auth !== 'object') return null;
  return auth.principal ?? null;
}

/** Builds a principal with defaults for the parts not given (handy in tests and custom auth). */
export function createPrincipal(init: Partial<Principal> & { subject: string }): Principal {
  return Object.freeze({
    subject: init.subject,
    scopes: Object.freeze([...(init.scopes ?? [])]),
    roles: Object.freeze([...(init.roles ?? [])]),
    claims: Object.freeze({ ...init.claims }),
    tokenId: init.tokenId,
    issuedAt: init.issuedAt,
    expiresAt: init.expiresAt,
  });
}

/** True when the principal holds every scope in `scopes`. */
export function hasAllScopes(principal: Principal | null, scopes: readonly string[]): boolean {
  if (!principal) return false;
  for (const s of scopes) if (!principal.scopes.includes(s)) return false;
  return true;
}

/** True when the principal has the role. */
export function hasRole(principal: Principal | null, role: string): boolean {
  return principal !== null && principal.roles.includes(role);
}
