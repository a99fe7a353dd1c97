import {
  assertFunction,
  assertKnownKeys,
  assertObject,
  principalFromContext,
  withDefaults,
} from '@bulwark/core';
import type { OnSecurityEvent, Principal, PrincipalAccessor } from '@bulwark/core';

/**
 * Decides whether a principal may introspect. `principal` is `null` for an anonymous request.
 * Only a returned `true` allows; anything else, a rejection or a throw refuses (fail closed).
 *
 * @example (principal) => hasRole(principal, 'admin')
 * @example (principal) => hasAllScopes(principal, ['schema:read'])
 */
export type IntrospectionPolicy<TContext = unknown> = (
  principal: Principal | null,
  context: TContext,
) => boolean | Promise<boolean>;

/** Options of {@link createNoIntrospectionRule}. */
export interface NoIntrospectionRuleOptions {
  /**
   * Receives a `rejected` event per refused document. Apollo Server caches only documents
   * that pass validation, so every refused request reaches the rule and is reported.
   * @default undefined (no events)
   */
  onEvent?: OnSecurityEvent;
}

/** Options of {@link introspectionPlugin}. */
export interface IntrospectionPluginOptions<TContext = unknown> {
  /**
   * Who may introspect. Called only for operations that select `__schema` or `__type`.
   * @default () => false (nobody)
   */
  allow?: IntrospectionPolicy<TContext>;
  /**
   * Reads the principal from the GraphQL context.
   * @default principalFromContext (`context.auth.principal`)
   */
  getPrincipal?: PrincipalAccessor<TContext>;
  /**
   * Receives a `rejected` event per refused operation (with the principal's subject), and a
   * `warning` when `allow` throws.
   * @default undefined (no events)
   */
  onEvent?: OnSecurityEvent;
}

/** Defaults of {@link introspectionPlugin}: nobody may introspect. */
export const INTROSPECTION_PLUGIN_DEFAULTS: Readonly<
  Required<Omit<IntrospectionPluginOptions, 'onEvent'>>
> = Object.freeze({
  allow: () => false,
  getPrincipal: principalFromContext,
});

/** Resolved options of the plugin. */
export interface ResolvedIntrospectionPluginOptions<TContext> {
  allow: IntrospectionPolicy<TContext>;
  getPrincipal: PrincipalAccessor<TContext>;
  onEvent: OnSecurityEvent | undefined;
}

/** Validates the plugin's options and resolves defaults, once. */
export function resolveIntrospectionPluginOptions<TContext>(
  options: IntrospectionPluginOptions<TContext> | undefined,
): ResolvedIntrospectionPluginOptions<TContext> {
  if (options !== undefined) {
    assertObject('introspectionPlugin options', options);
    assertKnownKeys('introspectionPlugin options', options, ['allow', 'getPrincipal', 'onEvent']);
  }
  const resolved = withDefaults(
    {
      allow: INTROSPECTION_PLUGIN_DEFAULTS.allow as IntrospectionPolicy<TContext>,
      getPrincipal: INTROSPECTION_PLUGIN_DEFAULTS.getPrincipal as PrincipalAccessor<TContext>,
      onEvent: undefined as OnSecurityEvent | undefined,
    },
    options,
  );
  assertFunction('allow', resolved.allow);
  assertFunction('getPrincipal', resolved.getPrincipal);
  if (resolved.onEvent !== undefined) assertFunction('onEvent', resolved.onEvent);
  return resolved;
}

/** Validates the rule's options, once. */
export function resolveNoIntrospectionRuleOptions(
  options: NoIntrospectionRuleOptions | undefined,
): { onEvent: OnSecurityEvent | undefined } {
  if (options === undefined) return { onEvent: undefined };
  assertObject('createNoIntrospectionRule options', options);
  assertKnownKeys('createNoIntrospectionRule options', options, ['onEvent']);
  const { onEvent } = options as NoIntrospectionRuleOptions;
  if (onEvent !== undefined) assertFunction('onEvent', onEvent);
  return { onEvent };
}
