import { InternalServerError, emitEvent, principalFromContext } from '@bulwark/core';
import type { OnSecurityEvent } from '@bulwark/core';
import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import { isPresetContext } from './context.js';

/**
 * Refuses every operation whose context was not built by the preset's context function: without
 * it, no principal was authenticated and no client IP resolved, and a missing context must not
 * read as anonymous. Fails closed (500, masked) with a `PRESET_CONTEXT_MISSING` warning event.
 */
export function contextGuardPlugin(
  onEvent: OnSecurityEvent | undefined,
): ApolloServerPlugin<BaseContext> {
  const listener: GraphQLRequestListener<BaseContext> = {
    async didResolveOperation({ contextValue, operationName }) {
      if (isPresetContext(contextValue)) return;
      emitEvent(onEvent, {
        source: 'preset',
        outcome: 'warning',
        code: 'PRESET_CONTEXT_MISSING',
        reason:
          'The GraphQL context was not built by security.context(): install it as the context function.',
        operationName: operationName ?? undefined,
      });
      throw new InternalServerError('An unexpected error occurred.', {
        reason: 'The GraphQL context was not built by security.context().',
      });
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}

/**
 * `Cache-Control: no-store` on every response to an authenticated request, whatever cache hints
 * the schema gives: a shared cache must never keep one user's data for another.
 */
export function noStorePlugin(): ApolloServerPlugin<BaseContext> {
  const listener: GraphQLRequestListener<BaseContext> = {
    async willSendResponse({ contextValue, response }) {
      if (principalFromContext(contextValue) !== null) {
        response.http.headers.set('cache-control', 'no-store');
      }
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
