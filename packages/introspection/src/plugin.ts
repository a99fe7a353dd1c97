import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { emitEvent, IntrospectionDisabledError } from '@bulwark/core';
import type { BulwarkError, Principal } from '@bulwark/core';
import type { FieldNode } from 'graphql';
import { describeFields, findIntrospectionFields, introspectionMessage } from './detect.js';
import { resolveIntrospectionPluginOptions } from './options.js';
import type { IntrospectionPluginOptions, ResolvedIntrospectionPluginOptions } from './options.js';

/** A refusal: the error to throw, and what the policy threw when it failed. */
export interface IntrospectionRefusal {
  error: BulwarkError<'INTROSPECTION_DISABLED'>;
  /** What `allow` threw or rejected with, `undefined` when it simply did not return `true`. */
  failure: unknown;
}

/**
 * Decides, for one operation and one principal, whether introspection may run: `null` when the
 * operation does not introspect or the principal is allowed, else the error to throw (403,
 * `INTROSPECTION_DISABLED`). A policy that throws or rejects refuses.
 */
export async function checkIntrospection<TContext>(
  fields: readonly FieldNode[],
  principal: Principal | null,
  context: TContext,
  options: Pick<ResolvedIntrospectionPluginOptions<TContext>, 'allow'>,
): Promise<IntrospectionRefusal | null> {
  if (fields.length === 0) return null;
  let allowed: unknown;
  let failure: unknown;
  try {
    allowed = await options.allow(principal, context);
  } catch (error) {
    failure = error;
  }
  if (allowed === true) return null;
  const who = principal ? `"${principal.subject}"` : 'an anonymous request';
  const error = new IntrospectionDisabledError(introspectionMessage(fields), {
    nodes: fields,
    reason:
      failure === undefined
        ? `The introspection policy refused ${who} (${describeFields(fields)}).`
        : `The introspection policy threw for ${who}; refused (fail closed).`,
    cause: failure,
  });
  return { error, failure };
}

/**
 * An Apollo Server plugin that allows introspection per principal: an operation that selects
 * `__schema` or `__type` (anywhere, see {@link findIntrospectionFields}) runs only when
 * `allow(principal, context)` returns `true`; otherwise it is refused before execution with
 * `INTROSPECTION_DISABLED` and HTTP 403. `__typename` stays allowed.
 *
 * The check runs in `didResolveOperation`, on every request, after Apollo's document cache:
 * a document an admin got validated and cached is still refused to anyone else, and only the
 * operation that runs (by `operationName`) counts.
 *
 * Security: Apollo Server's own `introspection` option must be `true` for the allowed
 * principals to get through (it defaults to `false` when `NODE_ENV` is `production`); this
 * plugin then is the gate. Strip suggestions too ({@link withoutSuggestions}).
 *
 * @example introspectionPlugin({ allow: (principal) => hasRole(principal, 'admin') })
 */
export function introspectionPlugin<TContext extends BaseContext = BaseContext>(
  options?: IntrospectionPluginOptions<TContext>,
): ApolloServerPlugin<TContext> {
  const resolved = resolveIntrospectionPluginOptions(options);
  const { onEvent, getPrincipal } = resolved;
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          const { schema, document, request, contextValue } = requestContext;
          const fields = findIntrospectionFields(schema, document, request.operationName);
          if (fields.length === 0) return;
          const principal = getPrincipal(contextValue);
          const refusal = await checkIntrospection(fields, principal, contextValue, resolved);
          if (refusal === null) return;
          const operationName = requestContext.operationName ?? undefined;
          if (refusal.failure !== undefined) {
            emitEvent(onEvent, {
              source: 'introspection',
              outcome: 'warning',
              code: 'INTROSPECTION_POLICY_FAILED',
              reason: 'The introspection policy threw; the operation was refused.',
              operationName,
              subject: principal?.subject,
              detail: { error: refusal.failure },
            });
          }
          emitEvent(onEvent, {
            source: 'introspection',
            outcome: 'rejected',
            code: 'INTROSPECTION_DISABLED',
            reason: refusal.error.reason ?? refusal.error.message,
            operationName,
            subject: principal?.subject,
            detail: { fields: fields.map((f) => f.name.value), scope: 'principal' },
          });
          throw refusal.error;
        },
      };
    },
  };
}
