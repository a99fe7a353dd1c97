import {
  assertFunction,
  assertKnownKeys,
  assertNonEmptyString,
  assertObject,
  assertOneOf,
  assertPositiveInteger,
  parseDuration,
} from '@bulwark/core';
import type {
  Duration,
  OnSecurityEvent,
  Principal,
  PrincipalAccessor,
  RateLimitAlgorithm,
  RateLimitPolicy,
  RateLimitStore,
} from '@bulwark/core';
import { compileIdentities } from './identity.js';
import type { CompiledIdentity, IdentitySpec } from './identity.js';

/**
 * What a rule limits:
 * - `{ field: 'Mutation.login' }`: every resolution of a field, by type and field (a root
 *   field, or any coordinate such as `User.email`; selections through an interface that may
 *   resolve to that type count too), each occurrence multiplied by the list sizes above it;
 * - `{ operationName: 'Login' }`: operations of that name, one unit each;
 * - `{ operationType: 'mutation' }` (or `'any'`): operations of that type, one unit each.
 *
 * Security: an operation name is chosen by the client. A name rule only limits clients that
 * keep the name (persisted operations); limit the fields themselves for everyone else.
 */
export type RateLimitTarget =
  | { readonly field: string }
  | { readonly operationName: string }
  | { readonly operationType: OperationKind | 'any' };

/** An operation type, as graphql-js spells it. */
export type OperationKind = 'query' | 'mutation' | 'subscription';

/** Jail: refuse an identity for a while after repeated failures. */
export interface JailOptions {
  /** Failures (rejections by this rule, plus failures reported with `reportFailure`) that jail. */
  readonly after: number;
  /**
   * Window in which the failures must fall.
   * @default the rule's `window`
   */
  readonly within?: Duration;
  /** How long the identity stays jailed; every request on the rule is refused meanwhile. */
  readonly for: Duration;
}

/** A rate-limit rule written in code. */
export interface RateLimitRule {
  /**
   * Bucket name, part of every key and header. Rules with the same id share their buckets
   * (and must have the same policy).
   * @default the coordinate, `op:<name>` or `type:<type>`
   */
  readonly id?: string;
  /** What the rule limits. */
  readonly match: RateLimitTarget;
  /** Units per window (sliding window) or bucket capacity (token bucket). */
  readonly limit: number;
  /** Window length, or time for an empty bucket to refill: `"1m"`, `60_000`. */
  readonly window: Duration;
  /**
   * Whom the rule counts against (required). Several identities are several buckets, each of
   * which must allow: `['ip', 'arg:email']` limits a login per IP and per account.
   */
  readonly by: IdentitySpec | readonly IdentitySpec[];
  /** @default 'sliding-window' */
  readonly algorithm?: RateLimitAlgorithm;
  /** Jail after repeated failures. @default none */
  readonly jail?: JailOptions;
}

/**
 * A cost budget: points per window per identity, charged with the operation's estimated cost
 * (IBM cost directives, as `@bulwark/limits` computes it), as GitHub and Shopify do.
 */
export interface CostBudgetOptions {
  /** Points available per window (`maximumAvailable`). */
  readonly limit: number;
  /** Time for a spent budget to refill entirely: `restoreRate` is `limit / window`. */
  readonly window: Duration;
  /** Whom the budget belongs to (required). */
  readonly by: IdentitySpec | readonly IdentitySpec[];
  /** @default 'token-bucket' */
  readonly algorithm?: RateLimitAlgorithm;
}

/** Options of `createRateLimiter`. */
export interface RateLimiterOptions<TContext = unknown> {
  /** Where counters live: a `MemoryRateLimitStore` or `@bulwark/redis`'s `RedisRateLimitStore`. */
  store: RateLimitStore;
  /** Rules in code, added to those of the `@rateLimit` directive. @default [] */
  rules?: readonly RateLimitRule[];
  /**
   * Name of the schema directive to read rules from, or `false` to read none.
   * @default 'rateLimit'
   */
  directive?: string | false;
  /** A cost budget per identity. @default none */
  budget?: CostBudgetOptions;
  /** Reads the principal. @default principalFromContext (`context.auth.principal`) */
  getPrincipal?: PrincipalAccessor<TContext>;
  /**
   * Reads the client IP from the context. Fill it from the socket address (see
   * `createClientIpResolver`): a forwarded header only with an explicit trusted-proxy setting.
   * @default `context.clientIp` when a string, else `context.req.socket.remoteAddress`
   */
  getClientIp?: (context: TContext) => string | null | undefined;
  /**
   * Reads the API client id.
   * @default the principal's verified `client_id` or `azp` claim
   */
  getClientId?: (context: TContext, principal: Principal | null) => string | null | undefined;
  /**
   * Prefix length that identifies one IPv6 client (a client usually owns a /64 or /56).
   * @default 56
   */
  ipv6Subnet?: number;
  /**
   * Normalizes string argument values before keying (`arg:` identities).
   * @default NFKC, trim, lower case
   */
  normalizeArgument?: (value: string) => string;
  /** List size assumed by the cost model for lists without `@listSize`. @default 10 */
  defaultListSize?: number;
  /** The clock, in ms since the epoch (inject one in tests). @default Date.now */
  now?: () => number;
  /** Receives a `SecurityEvent` for every refusal, jail and store failure. */
  onEvent?: OnSecurityEvent;
}

/** A rule ready to use. */
export interface CompiledRule {
  readonly id: string;
  readonly target:
    | { readonly kind: 'field'; readonly coordinate: string }
    | { readonly kind: 'operationName'; readonly name: string }
    | { readonly kind: 'operationType'; readonly type: OperationKind | 'any' };
  readonly policy: RateLimitPolicy;
  readonly identities: readonly CompiledIdentity[];
  /** Where the rule comes from, for error messages: `rules[2]`, `@rateLimit on User.email`. */
  readonly origin: string;
}

/** A budget ready to use. */
export interface CompiledBudget {
  readonly policy: RateLimitPolicy;
  readonly identities: readonly CompiledIdentity[];
}

const RULE_KEYS = ['id', 'match', 'limit', 'window', 'by', 'algorithm', 'jail'];
const JAIL_KEYS = ['after', 'within', 'for'];
const BUDGET_KEYS = ['limit', 'window', 'by', 'algorithm'];
const ALGORITHMS: readonly RateLimitAlgorithm[] = ['sliding-window', 'token-bucket'];
const OPERATION_TYPES = ['query', 'mutation', 'subscription', 'any'] as const;
const COORDINATE = /^[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*$/;
/** The most strikes a jail may wait for: the store keeps one timestamp per strike. */
export const MAX_JAIL_AFTER = 1000;

function positiveDuration(value: unknown, option: string): number {
  const ms = parseDuration(value as Duration, option);
  if (ms < 1) throw new TypeError(`\`${option}\` must be at least 1 ms, got ${String(value)}.`);
  return ms;
}

function compileJail(jail: unknown, windowMs: number, option: string): RateLimitPolicy['jail'] {
  if (jail === undefined || jail === null) return undefined;
  assertObject(option, jail);
  assertKnownKeys(option, jail, JAIL_KEYS);
  assertPositiveInteger(`${option}.after`, jail['after']);
  const after = jail['after'];
  if (after > MAX_JAIL_AFTER) {
    throw new TypeError(`\`${option}.after\` must be at most ${MAX_JAIL_AFTER}, got ${after}.`);
  }
  const withinMs =
    jail['within'] === undefined ? windowMs : positiveDuration(jail['within'], `${option}.within`);
  if (jail['for'] === undefined) throw new TypeError(`\`${option}.for\` is required.`);
  const forMs = positiveDuration(jail['for'], `${option}.for`);
  return { after, withinMs, forMs };
}

/** Validates a policy's figures and builds it. */
export function compilePolicy(
  id: string,
  input: Record<string, unknown>,
  option: string,
  defaultAlgorithm: RateLimitAlgorithm,
): RateLimitPolicy {
  assertPositiveInteger(`${option}.limit`, input['limit']);
  if (input['window'] === undefined) throw new TypeError(`\`${option}.window\` is required.`);
  const windowMs = positiveDuration(input['window'], `${option}.window`);
  const algorithm = input['algorithm'] ?? defaultAlgorithm;
  assertOneOf(`${option}.algorithm`, algorithm, ALGORITHMS);
  const jail = compileJail(input['jail'], windowMs, `${option}.jail`);
  return jail
    ? { id, limit: input['limit'], windowMs, algorithm, jail }
    : { id, limit: input['limit'], windowMs, algorithm };
}

function compileTarget(match: unknown, option: string): CompiledRule['target'] {
  assertObject(option, match);
  const keys = Object.keys(match);
  if (keys.length !== 1) {
    throw new TypeError(
      `\`${option}\` must have exactly one of "field", "operationName", "operationType".`,
    );
  }
  if ('field' in match) {
    const field = match['field'];
    if (typeof field !== 'string' || !COORDINATE.test(field)) {
      throw new TypeError(
        `\`${option}.field\` must be a coordinate such as "Mutation.login", got ${JSON.stringify(field)}.`,
      );
    }
    return { kind: 'field', coordinate: field };
  }
  if ('operationName' in match) {
    assertNonEmptyString(`${option}.operationName`, match['operationName']);
    return { kind: 'operationName', name: match['operationName'] };
  }
  if ('operationType' in match) {
    assertOneOf(`${option}.operationType`, match['operationType'], OPERATION_TYPES);
    return { kind: 'operationType', type: match['operationType'] as OperationKind | 'any' };
  }
  throw new TypeError(
    `\`${option}\` must have exactly one of "field", "operationName", "operationType".`,
  );
}

function defaultId(target: CompiledRule['target']): string {
  if (target.kind === 'field') return target.coordinate;
  if (target.kind === 'operationName') return `op:${target.name}`;
  return `type:${target.type}`;
}

/** Validates and compiles one code rule. */
export function compileRule(rule: unknown, option: string): CompiledRule {
  assertObject(option, rule);
  assertKnownKeys(option, rule, RULE_KEYS);
  const target = compileTarget(rule['match'], `${option}.match`);
  let id = defaultId(target);
  if (rule['id'] !== undefined) {
    assertNonEmptyString(`${option}.id`, rule['id']);
    id = rule['id'];
  }
  if (/[|=]/.test(id)) throw new TypeError(`\`${option}.id\` must not contain "|" or "=".`);
  const policy = compilePolicy(id, rule, option, 'sliding-window');
  const identities = compileIdentities(rule['by'], `${option}.by`);
  if (target.kind !== 'field' && identities.some((i) => i.usesArguments)) {
    throw new TypeError(
      `\`${option}.by\` reads an argument, which only a field rule ({ field: "Type.field" }) has.`,
    );
  }
  return { id, target, policy, identities, origin: option };
}

/** Validates and compiles the budget. */
export function compileBudget(budget: unknown): CompiledBudget {
  assertObject('budget', budget);
  assertKnownKeys('budget', budget, BUDGET_KEYS);
  const policy = compilePolicy('$budget', budget, 'budget', 'token-bucket');
  const identities = compileIdentities(budget['by'], 'budget.by');
  if (identities.some((i) => i.usesArguments)) {
    throw new TypeError('`budget.by` cannot read an argument: a budget spans whole operations.');
  }
  return { policy, identities };
}

/** Throws unless two rules sharing an id share a policy. */
export function assertSamePolicy(a: CompiledRule, b: CompiledRule): void {
  const pa = a.policy;
  const pb = b.policy;
  const same =
    pa.limit === pb.limit &&
    pa.windowMs === pb.windowMs &&
    pa.algorithm === pb.algorithm &&
    pa.jail?.after === pb.jail?.after &&
    pa.jail?.withinMs === pb.jail?.withinMs &&
    pa.jail?.forMs === pb.jail?.forMs;
  if (!same) {
    throw new TypeError(
      `${a.origin} and ${b.origin} share the bucket "${a.id}" but not the same limit, window, algorithm and jail.`,
    );
  }
}

/** Checks the function-valued options. */
export function assertOptionalFunction(name: string, value: unknown): void {
  if (value !== undefined) assertFunction(name, value);
}
