import {
  assertFunction,
  assertKnownKeys,
  assertNonEmptyString,
  assertObject,
  parseDuration,
  withDefaults,
} from '@bulwark/core';
import type { Duration, Principal } from '@bulwark/core';
import { MAX_PRINCIPAL_HEADER_LENGTH, requestBinding, sealEnvelope } from './envelope.js';
import type { SubgraphRequest, WirePrincipal } from './envelope.js';
import { secretKey } from './secret.js';
import type { GatewaySecret } from './secret.js';

/** Options of {@link createPrincipalSigner}. */
export interface PrincipalSignerOptions {
  /**
   * The HMAC-SHA256 secret shared with the subgraphs, at least 32 bytes. Required. Generate one
   * with `openssl rand -base64 48`; never reuse a JWT secret.
   */
  secret: GatewaySecret;
  /**
   * How long a signature is valid. Short: a captured header is only useful for this long, and
   * only for the same request to the same subgraph.
   * @default '30s'
   */
  ttl?: Duration;
  /**
   * Claims of the verified token to forward besides subject, scopes, roles, token id, `iat` and
   * `exp` (e.g. `['tenant']`). Values must be JSON. Nothing else of the token is forwarded.
   * @default []
   */
  claims?: readonly string[];
  /** The clock, milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/** Defaults of the optional {@link PrincipalSignerOptions}. */
export const PRINCIPAL_SIGNER_DEFAULTS = Object.freeze({
  ttl: '30s' as Duration,
  claims: Object.freeze([]) as readonly string[],
  now: Date.now as () => number,
});

/** What {@link PrincipalSigner.sign} needs. */
export interface SignInput {
  /** The subgraph the request goes to (its name in the supergraph). */
  readonly subgraph: string;
  /** The request about to be sent: its query, operation name and variables are bound. */
  readonly request: SubgraphRequest;
  /** The principal the gateway verified, `null` when anonymous. */
  readonly principal: Principal | null;
}

/** Signs principals for subgraph requests; see {@link createPrincipalSigner}. */
export interface PrincipalSigner {
  /** The value of the `x-bulwark-principal` header for this request. */
  sign(input: SignInput): string;
}

const KNOWN = ['secret', 'ttl', 'claims', 'now'] as const;
const MAX_TTL_MS = 5 * 60_000;

/**
 * The gateway side of principal propagation: signs the verified principal (subject, scopes,
 * roles, token id and times, allow-listed claims; never the token) with HMAC-SHA256, bound to
 * one subgraph and one request body, valid for `ttl`.
 *
 * Security: anyone holding the secret can mint principals for every subgraph that shares it.
 * Keep it out of clients and logs, and rotate it with the verifier's list of secrets.
 */
export function createPrincipalSigner(options: PrincipalSignerOptions): PrincipalSigner {
  assertObject('options', options);
  assertKnownKeys('principal signer options', options, KNOWN);
  const key = secretKey('secret', options.secret);
  const o = withDefaults(
    {
      secret: options.secret,
      ttl: PRINCIPAL_SIGNER_DEFAULTS.ttl,
      claims: PRINCIPAL_SIGNER_DEFAULTS.claims,
      now: PRINCIPAL_SIGNER_DEFAULTS.now,
    },
    options,
  );
  const ttl = parseDuration(o.ttl, 'ttl');
  if (ttl < 1000 || ttl > MAX_TTL_MS)
    throw new TypeError(`\`ttl\` must be between 1 second and 5 minutes, got ${ttl} ms.`);
  if (!Array.isArray(o.claims)) throw new TypeError('`claims` must be an array of claim names.');
  const claims = o.claims.map((c, i) => {
    assertNonEmptyString(`claims[${i}]`, c);
    return c;
  });
  assertFunction('now', o.now);
  const now = o.now;

  // A verified-token cache hands out the same principal object for the same token: its JSON is
  // made once.
  const wireJson = new WeakMap<Principal, string>();
  const principalJson = (p: Principal | null): string => {
    if (!p) return 'null';
    let text = wireJson.get(p);
    if (text === undefined) {
      text = JSON.stringify(wire(p));
      wireJson.set(p, text);
    }
    return text;
  };
  const wire = (p: Principal): WirePrincipal => {
    let forwarded: Record<string, unknown> | undefined;
    for (const c of claims) {
      if (Object.prototype.hasOwnProperty.call(p.claims, c)) (forwarded ??= {})[c] = p.claims[c];
    }
    return {
      sub: p.subject,
      scp: [...p.scopes],
      rol: [...p.roles],
      ...(p.tokenId !== undefined ? { jti: p.tokenId } : {}),
      ...(p.issuedAt !== undefined ? { tiat: p.issuedAt } : {}),
      ...(p.expiresAt !== undefined ? { texp: p.expiresAt } : {}),
      ...(forwarded ? { c: forwarded } : {}),
    };
  };

  return {
    sign({ subgraph, request, principal }) {
      assertNonEmptyString('subgraph', subgraph);
      const bh = requestBinding(request);
      if (bh === undefined) throw new TypeError('The subgraph request cannot be serialized.');
      const iat = Math.floor(now());
      // The fields of `Envelope`, in its order.
      const envelope = `{"v":1,"sg":${JSON.stringify(subgraph)},"bh":"${bh}","iat":${iat},"exp":${iat + ttl},"p":${principalJson(principal)}}`;
      const value = sealEnvelope(envelope, key);
      if (value.length > MAX_PRINCIPAL_HEADER_LENGTH)
        throw new RangeError(
          `The signed principal is ${value.length} characters long, over the maximum of ${MAX_PRINCIPAL_HEADER_LENGTH}: forward fewer claims.`,
        );
      return value;
    },
  };
}
