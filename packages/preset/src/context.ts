import type { IncomingMessage } from 'node:http';
import { emitEvent, isSecurityError } from '@bulwark/core';
import type { AuthContext, OnSecurityEvent, Principal } from '@bulwark/core';
import type { RequestMonitor } from './monitoring/requests.js';

/** What the preset puts in every GraphQL context. Set last: your fields cannot replace it. */
export interface SecurityContext {
  /** The principal (`auth.principal`, `null` when anonymous), read by every protection. */
  readonly auth: AuthContext;
  /** The client address (the socket's, or what trusted proxies report), for rate limits. */
  readonly clientIp: string | undefined;
}

/** What a context function receives: Express 5's `{ req, res }` (only `req` is read). */
export interface ContextArgument {
  readonly req: IncomingMessage;
}

/** The preset's context function factory (see `Bulwark.context`). */
export interface ContextFactory {
  (): (arg: ContextArgument) => Promise<SecurityContext>;
  <TArg extends ContextArgument, TContext extends object>(
    build: (arg: TArg, security: SecurityContext) => TContext | Promise<TContext>,
  ): (arg: TArg) => Promise<Omit<TContext, keyof SecurityContext> & SecurityContext>;
}

/** How a request is authenticated. */
export type Authenticate = (req: IncomingMessage) => Promise<Principal | null>;

/**
 * Marks the `auth` objects the preset builds (a symbol key: not serialized, not enumerable by
 * `Object.keys`, and unlike a WeakSet entry, free for the garbage collector).
 */
const PRESET_AUTH = Symbol('bulwark.presetAuth');

/** True when `context` was built by a preset context function. */
export function isPresetContext(context: unknown): boolean {
  const auth = (context as { auth?: unknown } | null | undefined)?.auth;
  return (
    auth !== null &&
    typeof auth === 'object' &&
    (auth as { [PRESET_AUTH]?: unknown })[PRESET_AUTH] === true
  );
}

function isPrincipal(value: unknown): value is Principal {
  const p = value as Partial<Principal> | null;
  return (
    p !== null &&
    typeof p === 'object' &&
    typeof p.subject === 'string' &&
    p.subject.length > 0 &&
    Array.isArray(p.scopes) &&
    Array.isArray(p.roles) &&
    p.claims !== null &&
    typeof p.claims === 'object'
  );
}

/** Wraps a custom `authenticate`: checks what it returns and reports its refusals. */
export function customAuthenticate(
  authenticate: (req: IncomingMessage) => Principal | null | Promise<Principal | null>,
  onEvent: OnSecurityEvent | undefined,
): Authenticate {
  return async (req) => {
    let principal: unknown;
    try {
      principal = await authenticate(req);
    } catch (error) {
      if (isSecurityError(error)) {
        const reason = error.extensions['reason'];
        emitEvent(onEvent, {
          source: 'preset',
          outcome: 'rejected',
          code: error.code,
          reason: error.reason ?? error.message,
          detail: { reason: typeof reason === 'string' ? reason : 'custom', check: 'custom' },
        });
      }
      throw error;
    }
    if (principal === null) return null;
    if (!isPrincipal(principal)) {
      throw new TypeError(
        '`auth.authenticate` must return a Principal (see createPrincipal) or null.',
      );
    }
    return principal;
  };
}

function codeOf(error: unknown): string {
  return isSecurityError(error) ? error.code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Builds the context factory: authenticate first (a refused request does no other work), then
 * the client IP, then the user's own fields; `auth` and `clientIp` are set last.
 */
export function createContextFactory(
  authenticate: Authenticate,
  clientIp: (req: IncomingMessage) => string | undefined,
  monitor: RequestMonitor | undefined,
): ContextFactory {
  function context<TArg extends ContextArgument, TContext extends object>(
    build?: (arg: TArg, security: SecurityContext) => TContext | Promise<TContext>,
  ) {
    if (build !== undefined && typeof build !== 'function') {
      throw new TypeError('`build` must be a function returning your context fields.');
    }
    return async (arg: TArg) => {
      const req = arg.req;
      let principal: Principal | null;
      try {
        principal = await authenticate(req);
      } catch (error) {
        monitor?.noteError(req, codeOf(error));
        throw error;
      }
      const auth: AuthContext = Object.freeze({ principal, [PRESET_AUTH]: true });
      const ip = clientIp(req);
      monitor?.link(req, auth, {
        ...(principal ? { subject: principal.subject } : {}),
        ...(ip !== undefined ? { clientIp: ip } : {}),
      });
      const security: SecurityContext = Object.freeze({ auth, clientIp: ip });
      if (!build) return { auth, clientIp: ip };
      const fields = await build(arg, security);
      return { ...fields, auth, clientIp: ip };
    };
  }
  return context as ContextFactory;
}
