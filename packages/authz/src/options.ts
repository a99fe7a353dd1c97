import {
  assertFunction,
  assertKnownKeys,
  assertNonEmptyString,
  assertObject,
  assertOneOf,
  principalFromContext,
  withDefaults,
} from '@bulwark/core';
import type { OnSecurityEvent, Principal, PrincipalAccessor } from '@bulwark/core';
import type { GraphQLResolveInfo } from 'graphql';

/** What a request policy sees: who asks, and the request context. */
export interface RequestPolicyInput<TContext = unknown> {
  /** The principal, `null` when anonymous. */
  readonly principal: Principal | null;
  /** The GraphQL context of the request. */
  readonly context: TContext;
}

/** What an object policy sees: who asks, and the object being read. */
export interface ObjectPolicyInput<TContext = unknown, TObject = unknown> {
  /** The principal, `null` when anonymous. */
  readonly principal: Principal | null;
  /**
   * The object the rule guards: the parent object for a rule on a field (`User` for
   * `User.email`), the object itself for a rule on a type (the `Order` a field returned).
   */
  readonly object: TObject;
  /** Arguments of the field being resolved. */
  readonly args: Readonly<Record<string, unknown>>;
  /** The GraphQL context of the request. */
  readonly context: TContext;
  /** Resolve info of the field being resolved. */
  readonly info: GraphQLResolveInfo;
}

/**
 * A named policy that needs only the principal and the context (a role, a tenant flag). It runs
 * once per request, before execution, and its result is reused for every field that names it.
 */
export interface RequestPolicy<TContext = unknown> {
  readonly on: 'request';
  /** Allows with `true`; anything else, a throw or a rejection denies. */
  check(input: RequestPolicyInput<TContext>): boolean | Promise<boolean>;
}

/**
 * A named policy that needs the object (an owner check). It runs at resolution, only on fields
 * and types that name it, once per object; a synchronous check keeps resolution synchronous.
 *
 * Security: an object policy can only be named on fields and object or interface types; naming
 * it on an argument or an input field is refused at startup (there is no object to check then).
 */
export interface ObjectPolicy<TContext = unknown, TObject = unknown> {
  readonly on: 'object';
  /** Allows with `true`; anything else, a throw or a rejection denies. */
  check(input: ObjectPolicyInput<TContext, TObject>): boolean | Promise<boolean>;
}

/** A named policy, referenced by `@policy(policies: [["name"]])`. */
export type AuthzPolicy<TContext = unknown> = RequestPolicy<TContext> | ObjectPolicy<TContext>;

/** Declares a {@link RequestPolicy}: `admin: requestPolicy(({ principal }) => hasRole(principal, 'admin'))`. */
export function requestPolicy<TContext = unknown>(
  check: (input: RequestPolicyInput<TContext>) => boolean | Promise<boolean>,
): RequestPolicy<TContext> {
  return { on: 'request', check };
}

/**
 * Declares an {@link ObjectPolicy} with a typed object:
 * `owner: objectPolicy<User>(({ principal, object }) => object.id === principal?.subject)`.
 */
export function objectPolicy<TObject = unknown, TContext = unknown>(
  check: (input: ObjectPolicyInput<TContext, TObject>) => boolean | Promise<boolean>,
): ObjectPolicy<TContext, TObject> {
  return { on: 'object', check };
}

/**
 * How a denial before execution is answered:
 * - `reject`: the whole operation fails with 403 `FORBIDDEN` listing the denied paths;
 * - `filter`: denied fields resolve to `null` with a `FORBIDDEN` error at their path, and their
 *   resolvers never run. Mutations and subscriptions, and denied arguments or input fields, are
 *   always rejected.
 */
export type AuthzMode = 'reject' | 'filter';

/**
 * What a field with no rule requires:
 * - `deny`: authentication (mark the field, its type or its interface `@public` to opt out);
 * - `allow`: nothing.
 */
export type DefaultPolicy = 'deny' | 'allow';

/** Options of `createAuthz`. `TContext` is the GraphQL context type the policies receive. */
export interface AuthzOptions<TContext = unknown> {
  /**
   * What a field without any rule requires. Required: deny-by-default (`'deny'`) or an explicit
   * allow-by-default (`'allow'`) is a decision the schema owner makes.
   */
  defaultPolicy: DefaultPolicy;
  /**
   * How a denial before execution is answered.
   * @default 'reject'
   */
  mode?: AuthzMode;
  /**
   * Named policies for `@policy`. A schema that names a policy not registered here is refused
   * at startup.
   * @default {}
   */
  policies?: Readonly<Record<string, AuthzPolicy<TContext>>>;
  /**
   * Reads the principal from the context.
   * @default principalFromContext (`context.auth.principal`)
   */
  getPrincipal?: PrincipalAccessor<TContext>;
  /** Receives every denial and the startup warnings. @default undefined */
  onEvent?: OnSecurityEvent;
  /**
   * Output fields whose name matches this pattern and that carry no rule are reported at
   * startup with a `SENSITIVE_FIELD_WITHOUT_RULE` warning event.
   * @default /password|passwd|secret|token|hash|ssn|email/i
   */
  sensitiveFieldPattern?: RegExp;
}

/** Defaults of the optional {@link AuthzOptions}. */
export const AUTHZ_DEFAULTS = Object.freeze({
  mode: 'reject' as AuthzMode,
  policies: Object.freeze({}) as Readonly<Record<string, AuthzPolicy<never>>>,
  getPrincipal: principalFromContext as PrincipalAccessor<never>,
  sensitiveFieldPattern: /password|passwd|secret|token|hash|ssn|email/i,
});

/** Options after validation, defaults resolved (see {@link AuthzOptions} for each). */
export interface ResolvedAuthzOptions {
  readonly defaultPolicy: DefaultPolicy;
  readonly mode: AuthzMode;
  readonly policies: ReadonlyMap<string, AuthzPolicy<unknown>>;
  readonly getPrincipal: PrincipalAccessor<unknown>;
  readonly onEvent: OnSecurityEvent | undefined;
  readonly sensitiveFieldPattern: RegExp;
}

const KNOWN = [
  'defaultPolicy',
  'mode',
  'policies',
  'getPrincipal',
  'onEvent',
  'sensitiveFieldPattern',
] as const;

/** Validates options at construction; every mistake is a `TypeError` naming the option. */
export function resolveAuthzOptions(options: AuthzOptions<never>): ResolvedAuthzOptions {
  assertObject('options', options);
  assertKnownKeys('authz options', options, KNOWN);
  assertOneOf('defaultPolicy', options.defaultPolicy, ['deny', 'allow'] as const);
  const o = withDefaults(
    {
      defaultPolicy: options.defaultPolicy,
      mode: AUTHZ_DEFAULTS.mode,
      policies: AUTHZ_DEFAULTS.policies,
      getPrincipal: AUTHZ_DEFAULTS.getPrincipal,
      onEvent: undefined as OnSecurityEvent | undefined,
      sensitiveFieldPattern: AUTHZ_DEFAULTS.sensitiveFieldPattern,
    },
    options as Partial<AuthzOptions<never>>,
  );
  assertOneOf('mode', o.mode, ['reject', 'filter'] as const);
  assertFunction('getPrincipal', o.getPrincipal);
  if (o.onEvent !== undefined) assertFunction('onEvent', o.onEvent);
  if (!(o.sensitiveFieldPattern instanceof RegExp)) {
    throw new TypeError('`sensitiveFieldPattern` must be a RegExp.');
  }
  assertObject('policies', o.policies);
  const policies = new Map<string, AuthzPolicy<unknown>>();
  for (const [name, policy] of Object.entries(o.policies)) {
    assertNonEmptyString('policies key', name);
    assertObject(`policies.${name}`, policy);
    assertOneOf(`policies.${name}.on`, (policy as { on?: unknown }).on, [
      'request',
      'object',
    ] as const);
    assertFunction(`policies.${name}.check`, (policy as { check?: unknown }).check);
    policies.set(name, policy as AuthzPolicy<unknown>);
  }
  return {
    defaultPolicy: o.defaultPolicy,
    mode: o.mode,
    policies,
    getPrincipal: o.getPrincipal as PrincipalAccessor<unknown>,
    onEvent: o.onEvent,
    // A global or sticky pattern keeps state between tests: use a fresh, stateless copy.
    sensitiveFieldPattern: new RegExp(
      o.sensitiveFieldPattern.source,
      o.sensitiveFieldPattern.flags.replace(/[gy]/g, ''),
    ),
  };
}
