import { setAuthzMetadata } from '@bulwark/authz';
import type { Authz } from '@bulwark/authz';
import {
  ServiceUnavailableError,
  assertFunction,
  assertKnownKeys,
  assertObject,
  assertOneOf,
  emitEvent,
  setCostMetadata,
} from '@bulwark/core';
import type { CostMetadata, OnSecurityEvent } from '@bulwark/core';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { readSupergraphMetadata } from './metadata.js';
import type { SupergraphMetadata } from './metadata.js';

/** Options of {@link supergraphBridgePlugin}. */
export interface SupergraphBridgeOptions {
  /**
   * Field authorization at the gateway, from `createAuthz` of `@bulwark/authz` with the same
   * policy names as the subgraphs, in `'reject'` mode; `false` to register the metadata only
   * (then the gateway checks cost but no field rule). Required: running a gateway without
   * field rules is a choice to make explicitly.
   */
  authz: Authz | false;
  /**
   * What introspection fields cost: `'free'` where some principals may introspect (the standard
   * introspection query costs about 15,000 under the default list size, and would exceed any
   * sensible `maxCost`; graphql-js bounds nesting inside introspection), `'counted'` otherwise.
   * @default 'counted'
   */
  introspectionCost?: 'counted' | 'free';
  /** Receives a warning when a supergraph cannot be read, and each refused request. @default undefined */
  onEvent?: OnSecurityEvent;
}

/** The message of a request refused because the gateway has no rules for the current schema. */
export const RULES_UNAVAILABLE_MESSAGE = 'The gateway cannot check this request right now.';

type BridgeState =
  | {
      readonly ok: true;
      readonly metadata: SupergraphMetadata;
      readonly checked: GraphQLSchema | null;
    }
  | { readonly ok: false; readonly reason: string };

const KNOWN = ['authz', 'introspectionCost', 'onEvent'] as const;

/** Cost metadata under which the introspection types (`__Type`, `__Field`, ...) weigh nothing. */
function withFreeIntrospection(base: CostMetadata): CostMetadata {
  return {
    fieldCost: (t, f) => base.fieldCost(t, f),
    typeCost: (t) => (t.startsWith('__') ? 0 : base.typeCost(t)),
    argumentCost: (t, f, a) => base.argumentCost(t, f, a),
    inputFieldCost: (t, f) => base.inputFieldCost(t, f),
    listSize: (t, f) => base.listSize(t, f),
  };
}

/**
 * The supergraph bridge: an Apollo Server 5 plugin for a server built on `@apollo/gateway`.
 *
 * `@apollo/gateway` strips custom directives from the API schema, so at `schemaDidLoadOrUpdate`
 * (startup and every supergraph update) the bridge reads Bulwark's authorization directives,
 * `@cost` and `@listSize` from the supergraph SDL and registers them on the new API schema
 * (`setAuthzMetadata`, `setCostMetadata`): `@bulwark/limits` and `@bulwark/rate-limit` budgets
 * then price the client operation with the subgraphs' list sizes. With `authz`, it checks the
 * field rules in `didResolveOperation`, before the query plan runs: a denied operation calls no
 * subgraph (403 `FORBIDDEN`).
 *
 * Object policies (owner checks) need the object, which only the subgraph resolving it has:
 * the gateway lets them through and the subgraph enforces them.
 *
 * Fails closed: a supergraph it cannot read (an unknown spec version, a rule naming a policy
 * `authz` does not register) makes every request answer 503 `SERVICE_UNAVAILABLE` until a good
 * supergraph arrives, with a `SUPERGRAPH_METADATA_INVALID` warning event.
 *
 * Put it first in `plugins`, before the limits and the rate limiter.
 */
export function supergraphBridgePlugin<TContext extends BaseContext = BaseContext>(
  options: SupergraphBridgeOptions,
): ApolloServerPlugin<TContext> {
  assertObject('options', options);
  assertKnownKeys('supergraph bridge options', options, KNOWN);
  const { authz, onEvent } = options;
  const introspectionCost = options.introspectionCost ?? 'counted';
  assertOneOf('introspectionCost', introspectionCost, ['counted', 'free'] as const);
  if (authz !== false) {
    if (authz === null || typeof authz !== 'object' || typeof authz.authorize !== 'function')
      throw new TypeError('`authz` must come from createAuthz() of @bulwark/authz, or be false.');
    if (authz.options.mode !== 'reject')
      throw new TypeError(
        "`authz` must use mode 'reject' at a gateway: 'filter' needs resolvers, and the gateway has none.",
      );
  }
  if (onEvent !== undefined) assertFunction('onEvent', onEvent);
  const states = new WeakMap<GraphQLSchema, BridgeState>();

  const load = (apiSchema: GraphQLSchema, sdl: string | undefined): BridgeState => {
    if (sdl === undefined)
      return {
        ok: false,
        reason: 'The server has no supergraph: the bridge needs @apollo/gateway.',
      };
    try {
      const metadata = readSupergraphMetadata(sdl);
      setAuthzMetadata(apiSchema, metadata.authz);
      setCostMetadata(
        apiSchema,
        introspectionCost === 'free' ? withFreeIntrospection(metadata.cost) : metadata.cost,
      );
      // The rule table is built (and checked: unknown policies, malformed rules) now, once.
      const checked = authz === false ? null : authz.wrapSchema(apiSchema);
      return { ok: true, metadata, checked };
    } catch (error) {
      return {
        ok: false,
        reason: `The supergraph's security metadata cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  };

  const unavailable = (reason: string, operationName: string | undefined) => {
    emitEvent(onEvent, {
      source: 'gateway',
      outcome: 'rejected',
      code: 'SERVICE_UNAVAILABLE',
      reason,
      operationName,
    });
    return new ServiceUnavailableError(RULES_UNAVAILABLE_MESSAGE, { reason });
  };

  return {
    async serverWillStart() {
      return {
        schemaDidLoadOrUpdate({ apiSchema, coreSupergraphSdl }) {
          const state = load(apiSchema, coreSupergraphSdl);
          states.set(apiSchema, state);
          if (!state.ok)
            emitEvent(onEvent, {
              source: 'gateway',
              outcome: 'warning',
              code: 'SUPERGRAPH_METADATA_INVALID',
              reason: state.reason,
            });
        },
      };
    },
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          const state = states.get(rc.schema);
          const operationName = rc.operationName ?? undefined;
          if (!state)
            throw unavailable(
              'No supergraph metadata is registered for this schema.',
              operationName,
            );
          if (!state.ok) throw unavailable(state.reason, operationName);
          if (authz === false || !state.checked) return;
          const result = await authz.authorize({
            schema: state.checked,
            document: rc.document,
            operationName: rc.operationName,
            variableValues: rc.request.variables,
            contextValue: rc.contextValue,
          });
          if (!result.ok) throw result.error;
        },
      };
    },
  };
}
