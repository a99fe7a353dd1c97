import {
  assertFunction,
  assertNonEmptyString,
  assertObject,
  hasAllScopes,
  hasRole as principalHasRole,
  principalFromContext,
} from '@bulwark/core';
import type { PrincipalAccessor } from '@bulwark/core';
import type { GraphQLResolveInfo } from 'graphql';
import { rule } from 'graphql-shield';
import type { IRule } from 'graphql-shield';
import { fieldDeniedError } from '../errors.js';
import type { AuthzPolicy } from '../options.js';

/** Options of {@link createShieldRules}. */
export interface ShieldRulesOptions<TContext = unknown> {
  /**
   * Named policies for `policy(name)`: the same objects `createAuthz` takes, so a team moving
   * between a shield permission tree and the directives keeps one set of policies.
   * @default {}
   */
  policies?: Readonly<Record<string, AuthzPolicy<TContext>>>;
  /**
   * Reads the principal from the context.
   * @default principalFromContext (`context.auth.principal`)
   */
  getPrincipal?: PrincipalAccessor<TContext>;
}

/** graphql-shield rules on the Bulwark principal. */
export interface BulwarkShieldRules {
  /** The principal is authenticated. Cached per request. */
  readonly isAuthenticated: IRule;
  /** The principal holds every one of `scopes` (AND; combine rules with shield's `or` for OR). Cached per request. */
  hasScopes(...scopes: string[]): IRule;
  /** The principal has `role`. Cached per request. */
  hasRole(role: string): IRule;
  /**
   * A registered policy: a request policy is cached per request; an object policy runs on each
   * parent object (`object` is the parent of the field the rule guards).
   */
  policy(name: string): IRule;
}

let instances = 0;

/**
 * Creates graphql-shield rules that read the same principal as `@bulwark/authz`, for teams that
 * keep a shield permission tree:
 *
 * ```ts
 * const { isAuthenticated, hasScopes, policy } = createShieldRules({ policies });
 * const schemaWithPermissions = applyMiddleware(schema, shield({ User: { email: policy('owner') } }));
 * ```
 *
 * A denial is a `FORBIDDEN` error at the field's path (the field resolves to `null`), without
 * an HTTP status of its own. Security: shield checks fields as they resolve, so a denied field's
 * siblings still run; for a check before execution use `createAuthz`.
 */
export function createShieldRules<TContext = unknown>(
  options: ShieldRulesOptions<TContext> = {},
): BulwarkShieldRules {
  assertObject('options', options);
  const getPrincipal = (options.getPrincipal ?? principalFromContext) as PrincipalAccessor<unknown>;
  assertFunction('getPrincipal', getPrincipal);
  const policies = (options.policies ?? {}) as Readonly<Record<string, AuthzPolicy<unknown>>>;
  assertObject('policies', policies);
  const prefix = `bulwark${++instances}`;

  const denied = (info: GraphQLResolveInfo, reason: string) =>
    fieldDeniedError(`${info.parentType.name}.${info.fieldName}`, reason);

  const principalRule = (
    name: string,
    test: (context: unknown) => boolean,
    reason: string,
  ): IRule =>
    rule(`${prefix}:${name}`, { cache: 'contextual' })(
      (_parent: unknown, _args: unknown, ctx: unknown, info: GraphQLResolveInfo) =>
        test(ctx) ? true : denied(info, reason),
    );

  return {
    isAuthenticated: principalRule(
      'isAuthenticated',
      (ctx) => getPrincipal(ctx) !== null,
      'The principal is not authenticated.',
    ),
    hasScopes(...scopes) {
      if (scopes.length === 0) throw new TypeError('`hasScopes` needs at least one scope.');
      scopes.forEach((s, i) => assertNonEmptyString(`hasScopes scope ${i}`, s));
      return principalRule(
        `hasScopes:${scopes.join(',')}`,
        (ctx) => hasAllScopes(getPrincipal(ctx), scopes),
        `The principal lacks a scope of ${scopes.join(', ')}.`,
      );
    },
    hasRole(role) {
      assertNonEmptyString('hasRole role', role);
      return principalRule(
        `hasRole:${role}`,
        (ctx) => principalHasRole(getPrincipal(ctx), role),
        `The principal lacks the role ${role}.`,
      );
    },
    policy(name) {
      assertNonEmptyString('policy name', name);
      const policy = Object.prototype.hasOwnProperty.call(policies, name)
        ? policies[name]
        : undefined;
      if (!policy) throw new TypeError(`Policy "${name}" is not registered.`);
      const reason = `Policy "${name}" denied.`;
      if (policy.on === 'request') {
        return rule(`${prefix}:policy:${name}`, { cache: 'contextual' })(
          async (_parent: unknown, _args: unknown, ctx: unknown, info: GraphQLResolveInfo) =>
            (await policy.check({ principal: getPrincipal(ctx), context: ctx })) === true
              ? true
              : denied(info, reason),
        );
      }
      return rule(`${prefix}:policy:${name}`, { cache: 'no_cache' })(
        async (
          parent: unknown,
          args: Record<string, unknown>,
          ctx: unknown,
          info: GraphQLResolveInfo,
        ) =>
          (await policy.check({
            principal: getPrincipal(ctx),
            object: parent,
            args,
            context: ctx,
            info,
          })) === true
            ? true
            : denied(info, reason),
      );
    },
  };
}
