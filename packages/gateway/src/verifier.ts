import {
  UnauthenticatedError,
  assertFunction,
  assertKnownKeys,
  assertNonEmptyString,
  assertObject,
  createPrincipal,
  emitEvent,
  parseDuration,
  withDefaults,
} from '@bulwark/core';
import type {
  AuthContext,
  BulwarkError,
  Duration,
  OnSecurityEvent,
  Principal,
} from '@bulwark/core';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { PRINCIPAL_HEADER, isEnvelope, openEnvelope, requestBinding } from './envelope.js';
import type { Envelope, SubgraphRequest } from './envelope.js';
import { secretKeys } from './secret.js';
import type { GatewaySecret } from './secret.js';

/** Options of {@link createPrincipalVerifier}. */
export interface PrincipalVerifierOptions {
  /**
   * The secret shared with the gateway (at least 32 bytes), or a list to rotate it: any one of
   * them verifies. Required.
   */
  secret: GatewaySecret | readonly GatewaySecret[];
  /** This subgraph's name in the supergraph: a signature for another subgraph is refused. Required. */
  subgraph: string;
  /**
   * Leeway for clocks that differ between the gateway and the subgraph.
   * @default '5s'
   */
  clockTolerance?: Duration;
  /**
   * Longest validity accepted from a signature (`exp - iat`), whatever the gateway chose.
   * @default '60s'
   */
  maxTtl?: Duration;
  /** Receives a `rejected` event per refused request, with the failed check. @default undefined */
  onEvent?: OnSecurityEvent;
  /** The clock, milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/** Defaults of the optional {@link PrincipalVerifierOptions}. */
export const PRINCIPAL_VERIFIER_DEFAULTS = Object.freeze({
  clockTolerance: '5s' as Duration,
  maxTtl: '60s' as Duration,
  now: Date.now as () => number,
});

/** Headers as Node (`req.headers`) or Fetch (`Headers`) give them. */
export type HeadersLike =
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | { get(name: string): string | null };

/** What the verifier reads of a request: its headers and its parsed JSON body. */
export interface VerifiableRequest {
  readonly headers: HeadersLike;
  /** The parsed JSON body (`express.json()` puts it on `req.body`). */
  readonly body?: unknown;
}

/** Which check refused a request (in the event's `detail.check`). */
export type GatewaySignatureCheck =
  | 'missing'
  | 'malformed'
  | 'signature'
  | 'payload'
  | 'subgraph'
  | 'expired'
  | 'not-yet-valid'
  | 'ttl'
  | 'binding';

/** The one message of every refusal: the caller learns nothing about which check failed. */
export const GATEWAY_SIGNATURE_MESSAGE = 'The request was not signed by the gateway.';

/** The subgraph side of principal propagation; see {@link createPrincipalVerifier}. */
export interface PrincipalVerifier {
  /**
   * The principal the gateway signed for this request (`null`: anonymous, still signed). Throws
   * `UnauthenticatedError` (401) when the header is missing, malformed, wrongly signed, expired,
   * meant for another subgraph or for another request body.
   */
  verify(request: VerifiableRequest): Principal | null;
  /**
   * A context function for `@as-integrations/express5` (after `express.json()`):
   * `{ auth: { principal } }`, plus your own fields from `build`. A refusal is thrown as the
   * coded error, which Apollo Server answers with 401 before parsing the document.
   */
  context(): (arg: { req: VerifiableRequest }) => Promise<{ auth: AuthContext }>;
  context<TArg extends { req: VerifiableRequest }, TContext extends object>(
    build: (arg: TArg, auth: AuthContext) => TContext | Promise<TContext>,
  ): (arg: TArg) => Promise<Omit<TContext, 'auth'> & { auth: AuthContext }>;
  /**
   * A safety net for Apollo Server: refuses (401) every operation whose context was not built
   * by {@link context}, so a subgraph wired without it does not serve unsigned requests.
   */
  plugin<TContext extends BaseContext = BaseContext>(): ApolloServerPlugin<TContext>;
}

const KNOWN = ['secret', 'subgraph', 'clockTolerance', 'maxTtl', 'onEvent', 'now'] as const;

function headerOf(headers: HeadersLike, name: string): string | readonly string[] | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function')
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  return (headers as Readonly<Record<string, string | readonly string[] | undefined>>)[name];
}

function bodyOf(body: unknown): SubgraphRequest | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  return typeof b['query'] === 'string' ? b : undefined;
}

function principalOf(e: Envelope): Principal | null {
  const p = e.p;
  if (!p) return null;
  return createPrincipal({
    subject: p.sub,
    scopes: p.scp,
    roles: p.rol,
    claims: p.c ?? {},
    tokenId: p.jti,
    issuedAt: p.tiat,
    expiresAt: p.texp,
  });
}

/**
 * The subgraph side of principal propagation: accepts a request only with a valid
 * `x-bulwark-principal` header, signed by the gateway with the shared secret for this subgraph
 * and this request body, within its short validity, and returns the principal the gateway
 * verified. Every refusal is the same 401 `UNAUTHENTICATED` with no detail; the failed check
 * goes to the event.
 *
 * Security: the binding covers the query, operation name and variables; within its validity a
 * captured header replays only the same request to the same subgraph.
 */
export function createPrincipalVerifier(options: PrincipalVerifierOptions): PrincipalVerifier {
  assertObject('options', options);
  assertKnownKeys('principal verifier options', options, KNOWN);
  const keys = secretKeys('secret', options.secret);
  assertNonEmptyString('subgraph', options.subgraph);
  const o = withDefaults(
    {
      secret: options.secret,
      subgraph: options.subgraph,
      clockTolerance: PRINCIPAL_VERIFIER_DEFAULTS.clockTolerance,
      maxTtl: PRINCIPAL_VERIFIER_DEFAULTS.maxTtl,
      onEvent: undefined as OnSecurityEvent | undefined,
      now: PRINCIPAL_VERIFIER_DEFAULTS.now,
    },
    options,
  );
  const tolerance = parseDuration(o.clockTolerance, 'clockTolerance');
  if (tolerance > 60_000)
    throw new TypeError(`\`clockTolerance\` must be at most 1 minute, got ${tolerance} ms.`);
  const maxTtl = parseDuration(o.maxTtl, 'maxTtl');
  if (maxTtl < 1000 || maxTtl > 5 * 60_000)
    throw new TypeError(`\`maxTtl\` must be between 1 second and 5 minutes, got ${maxTtl} ms.`);
  if (o.onEvent !== undefined) assertFunction('onEvent', o.onEvent);
  assertFunction('now', o.now);
  const { subgraph, onEvent, now } = o;
  const verified = new WeakSet<object>();

  const refuse = (check: GatewaySignatureCheck, reason: string, subject?: string): BulwarkError => {
    emitEvent(onEvent, {
      source: 'gateway',
      outcome: 'rejected',
      code: 'UNAUTHENTICATED',
      reason,
      subject,
      detail: { check, subgraph },
    });
    return new UnauthenticatedError(GATEWAY_SIGNATURE_MESSAGE, { reason });
  };

  const verify = (request: VerifiableRequest): Principal | null => {
    const header = headerOf(request.headers, PRINCIPAL_HEADER);
    if (header === undefined || header === '')
      throw refuse('missing', `The request carries no "${PRINCIPAL_HEADER}" header.`);
    if (typeof header !== 'string')
      throw refuse('malformed', `The request carries the "${PRINCIPAL_HEADER}" header twice.`);
    const opened = openEnvelope(header, keys);
    if (!opened.ok)
      throw refuse(
        opened.failure,
        opened.failure === 'signature'
          ? 'The signature does not match any configured secret.'
          : `The "${PRINCIPAL_HEADER}" header is not a signed principal.`,
      );
    if (!isEnvelope(opened.payload))
      throw refuse('payload', 'The signed payload does not have the expected shape.');
    const e = opened.payload;
    const subject = e.p?.sub;
    if (e.sg !== subgraph)
      throw refuse(
        'subgraph',
        `The signature is for subgraph "${e.sg}", not "${subgraph}".`,
        subject,
      );
    const t = now();
    if (e.exp - e.iat > maxTtl)
      throw refuse(
        'ttl',
        `The signature is valid for ${e.exp - e.iat} ms, over \`maxTtl\`.`,
        subject,
      );
    if (t > e.exp + tolerance)
      throw refuse('expired', `The signature expired ${t - e.exp} ms ago.`, subject);
    if (e.iat > t + tolerance)
      throw refuse('not-yet-valid', 'The signature was made in the future.', subject);
    const body = bodyOf(request.body);
    if (!body || requestBinding(body) !== e.bh)
      throw refuse('binding', 'The signature was made for another request body.', subject);
    return principalOf(e);
  };

  function context(
    build?: (arg: { req: VerifiableRequest }, auth: AuthContext) => object | Promise<object>,
  ) {
    return async (arg: { req: VerifiableRequest }) => {
      const auth: AuthContext = { principal: verify(arg.req) };
      const own = build ? await build(arg, auth) : {};
      // `auth` last: a build function cannot replace the verified principal.
      verified.add(auth);
      return { ...own, auth };
    };
  }

  return {
    verify,
    context: context as PrincipalVerifier['context'],
    plugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
      return {
        async requestDidStart() {
          return {
            async didResolveOperation(rc) {
              // The `auth` object, not the context: Apollo clones the context per batch entry.
              const auth = (rc.contextValue as { auth?: unknown }).auth;
              if (auth === null || typeof auth !== 'object' || !verified.has(auth))
                throw refuse(
                  'missing',
                  'The context was not built by the verifier: install `verifier.context()`.',
                );
            },
          };
        },
      };
    },
  };
}
