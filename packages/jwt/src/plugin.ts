import { emitEvent } from '@bulwark/core';
import type { BulwarkContext, OnSecurityEvent } from '@bulwark/core';
import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import { bearerChallenge, unauthenticatedError } from './errors.js';

/** What the plugin needs from its `JwtAuth`. */
export interface JwtPluginSettings {
  readonly mode: 'required' | 'optional';
  readonly realm: string | undefined;
  readonly onEvent: OnSecurityEvent | undefined;
  /** Fetches remote keys; never throws. */
  readonly warm: () => Promise<void>;
}

function hasAuth(context: unknown): boolean {
  const auth = (context as BulwarkContext | null)?.auth as unknown;
  return auth !== null && typeof auth === 'object' && 'principal' in auth;
}

/**
 * The Apollo Server plugin of `createJwtAuth` (use `jwt.plugin()`).
 *
 * - `serverWillStart`: fetches remote keys, so the first request does not wait for them; a
 *   failure is a `JWKS_FETCH_FAILED` warning event, never a startup crash.
 * - `didResolveOperation`: an operation whose context has no `auth` (the context function was
 *   not installed) is refused with 401 in `'required'` mode, and reported with a
 *   `JWT_CONTEXT_MISSING` warning event in either mode: a missing context must not read as
 *   anonymous.
 * - `willSendResponse`: a response with an `UNAUTHENTICATED` error and no `WWW-Authenticate`
 *   header (e.g. from an `@authenticated` field in `'optional'` mode) gets the RFC 6750
 *   challenge `Bearer`.
 */
export function createJwtPlugin(settings: JwtPluginSettings): ApolloServerPlugin<BaseContext> {
  // One listener for every request: it keeps no per-request state.
  const listener: GraphQLRequestListener<BaseContext> = {
    async didResolveOperation({ contextValue, operationName }) {
      if (hasAuth(contextValue)) return;
      emitEvent(settings.onEvent, {
        source: 'jwt',
        outcome: 'warning',
        code: 'JWT_CONTEXT_MISSING',
        reason:
          'The GraphQL context has no `auth`: install `jwt.context()` as the context function.',
        operationName: operationName ?? undefined,
      });
      if (settings.mode === 'required') {
        throw unauthenticatedError(
          'TOKEN_MISSING',
          settings.realm,
          'The context has no `auth`: the request was not authenticated.',
        );
      }
    },
    async willSendResponse({ response, errors }) {
      if (response.http.headers.has('www-authenticate')) return;
      if (!errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) return;
      response.http.headers.set('www-authenticate', bearerChallenge(settings.realm, false));
    },
  };
  return {
    async serverWillStart() {
      await settings.warm();
    },
    async requestDidStart() {
      return listener;
    },
  };
}
