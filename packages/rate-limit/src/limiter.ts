import {
  analyzeDocument,
  assertKnownKeys,
  assertObject,
  assertPositiveInteger,
  BulwarkError,
  createSecurityError,
  emitEvent,
  principalFromContext,
  ServiceUnavailableError,
} from '@bulwark/core';
import type {
  ConsumeRequest,
  ConsumeResult,
  OperationAnalysis,
  Principal,
  RateLimitPolicy,
  RateLimitStore,
} from '@bulwark/core';
import type {
  DocumentNode,
  GraphQLResolveInfo,
  GraphQLSchema,
  OperationDefinitionNode,
} from 'graphql';
import { argumentValue, findOccurrences, withVariableDefaults } from './arguments.js';
import type { FieldOccurrence } from './arguments.js';
import { ipIdentity } from './client-ip.js';
import {
  argumentComponent,
  defaultNormalizeArgument,
  followPath,
  keyComponent,
  NO_VALUE,
} from './identity.js';
import type { CompiledIdentity, IdentityPart } from './identity.js';
import { assertOptionalFunction, compileBudget, compileRule } from './options.js';
import type { CompiledBudget, CompiledRule, RateLimiterOptions } from './options.js';
import { emptyDecision, rateLimitedError } from './response.js';
import type { RateLimitDecision, RateLimitEntry } from './response.js';
import { buildRuleTable, operationRuleMatches } from './rules.js';
import type { FieldRule, RuleTable } from './rules.js';

/** What the limiter needs to know of one operation. */
export interface RateLimitRequest<TContext = unknown> {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  /** The operation to run, when several are in the document. */
  readonly operationName?: string | null | undefined;
  /** The operation node, when already resolved (Apollo's `requestContext.operation`). */
  readonly operation?: OperationDefinitionNode | null | undefined;
  /** Raw variables as received. */
  readonly variables?: Readonly<Record<string, unknown>> | null | undefined;
  readonly context: TContext;
}

/** A rate limiter: rules, budget and store, checked before execution. */
export interface RateLimiter<TContext = unknown> {
  /** The store decisions go to. */
  readonly store: RateLimitStore;
  /**
   * Builds (once) and checks the rule table of a schema: throws a `TypeError` for a rule on a
   * coordinate the schema lacks or an invalid `@rateLimit`. The Apollo plugin calls it at
   * startup so that a bad rule stops the server instead of leaving a field unlimited.
   */
  compile(schema: GraphQLSchema): void;
  /**
   * Counts one operation against every rule it touches and the budget, in one store call,
   * before execution. Resolves to the decision when allowed; rejects with `RATE_LIMITED`
   * (429), `SERVICE_UNAVAILABLE` (503, the store failed closed) or `DEPTH_LIMIT_EXCEEDED`
   * (400, an operation too deep to count).
   */
  check(request: RateLimitRequest<TContext>): Promise<RateLimitDecision>;
  /**
   * Reports a failed attempt from a resolver (a wrong password), so that failures fill the
   * jail of every jailed rule on this field (and on its operation) even under the limit:
   * `await limiter.reportFailure(context, info)`. The identities are those of the rule,
   * arguments read from this field occurrence. Never throws: a store failure is reported as
   * an event.
   */
  reportFailure(context: TContext, info: GraphQLResolveInfo): Promise<void>;
}

const KNOWN = [
  'store',
  'rules',
  'directive',
  'budget',
  'getPrincipal',
  'getClientIp',
  'getClientId',
  'ipv6Subnet',
  'normalizeArgument',
  'defaultListSize',
  'now',
  'onEvent',
];

/** Largest unit count sent to a store: a 2^N fan-out must not overflow to a float the store mangles. */
const MAX_UNITS = Number.MAX_SAFE_INTEGER;

function units(n: number): number {
  if (!(n > 0)) return 0;
  return Number.isFinite(n) ? Math.min(MAX_UNITS, Math.ceil(n)) : MAX_UNITS;
}

function defaultClientIp(context: unknown): string | undefined {
  if (context === null || typeof context !== 'object') return undefined;
  const c = context as { clientIp?: unknown; req?: { socket?: { remoteAddress?: unknown } } };
  if (typeof c.clientIp === 'string') return c.clientIp;
  const address = c.req?.socket?.remoteAddress;
  return typeof address === 'string' ? address : undefined;
}

function defaultClientId(_context: unknown, principal: Principal | null): string | undefined {
  const id = principal?.claims['client_id'] ?? principal?.claims['azp'];
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/** A request's identity values, each resolved at most once. */
class Identities {
  private ipValue: string | undefined;
  private principalValue: string | undefined;
  constructor(
    private readonly limiter: Limiter,
    readonly context: unknown,
    readonly principal: Principal | null,
  ) {}

  get rawIp(): string | undefined {
    const ip = this.limiter.getClientIp(this.context);
    return typeof ip === 'string' && ip.length > 0 ? ip : undefined;
  }

  ip(): string {
    if (this.ipValue === undefined) this.ipValue = this.limiter.ipKey(this.rawIp);
    return this.ipValue;
  }

  part(part: IdentityPart): string {
    switch (part.kind) {
      case 'principal':
        this.principalValue ??= this.principal
          ? `s:${keyComponent(this.principal.subject)}`
          : `ip:${this.ip()}`;
        return this.principalValue;
      case 'ip':
        return this.ip();
      case 'global':
        return '*';
      case 'client': {
        const id = this.limiter.getClientId(this.context, this.principal);
        return typeof id === 'string' && id.length > 0
          ? `c:${keyComponent(id)}`
          : `ip:${this.ip()}`;
      }
      case 'custom': {
        const v = part.resolve({
          context: this.context,
          principal: this.principal,
          clientIp: this.rawIp,
        });
        return typeof v === 'string' && v.length > 0 ? `v:${keyComponent(v)}` : `ip:${this.ip()}`;
      }
      case 'arg':
        return NO_VALUE;
    }
  }
}

interface Charge {
  readonly policy: RateLimitPolicy;
  readonly identity: string;
  readonly key: string;
  cost: number;
  strikes: number;
}

class Limiter implements RateLimiter<unknown> {
  readonly store: RateLimitStore;
  private readonly rules: readonly CompiledRule[];
  private readonly directive: string | false;
  private readonly budget: CompiledBudget | null;
  private readonly getPrincipal: (context: unknown) => Principal | null;
  readonly getClientIp: (context: unknown) => string | null | undefined;
  readonly getClientId: (
    context: unknown,
    principal: Principal | null,
  ) => string | null | undefined;
  private readonly ipv6Subnet: number;
  private readonly normalize: (value: string) => string;
  private readonly listSize: number;
  private readonly now: () => number;
  private readonly onEvent: RateLimiterOptions['onEvent'];
  private readonly tables = new WeakMap<GraphQLSchema, RuleTable | TypeError>();
  private warnedNoIp = false;
  private readonly ipKeys = new Map<string, string>();

  constructor(options: RateLimiterOptions) {
    assertObject('createRateLimiter options', options);
    assertKnownKeys('createRateLimiter options', options, KNOWN);
    const store = options.store as Partial<RateLimitStore> | undefined;
    if (!store || typeof store.consume !== 'function') {
      throw new TypeError('`store` is required: a RateLimitStore such as MemoryRateLimitStore.');
    }
    this.store = options.store;
    const rules = options.rules ?? [];
    if (!Array.isArray(rules)) throw new TypeError('`rules` must be an array.');
    this.rules = rules.map((r, i) => compileRule(r, `rules[${i}]`));
    const directive = options.directive ?? 'rateLimit';
    if (directive !== false && (typeof directive !== 'string' || directive.length === 0)) {
      throw new TypeError('`directive` must be a directive name or false.');
    }
    this.directive = directive;
    this.budget = options.budget === undefined ? null : compileBudget(options.budget);
    for (const name of [
      'getPrincipal',
      'getClientIp',
      'getClientId',
      'normalizeArgument',
      'now',
      'onEvent',
    ] as const) {
      assertOptionalFunction(name, options[name]);
    }
    this.getPrincipal =
      (options.getPrincipal as (c: unknown) => Principal | null) ?? principalFromContext;
    this.getClientIp = options.getClientIp ?? defaultClientIp;
    this.getClientId = options.getClientId ?? defaultClientId;
    const subnet = options.ipv6Subnet ?? 56;
    assertPositiveInteger('ipv6Subnet', subnet);
    if (subnet > 128) throw new TypeError(`\`ipv6Subnet\` must be at most 128, got ${subnet}.`);
    this.ipv6Subnet = subnet;
    this.normalize = options.normalizeArgument ?? defaultNormalizeArgument;
    const listSize = options.defaultListSize ?? 10;
    assertPositiveInteger('defaultListSize', listSize);
    this.listSize = listSize;
    this.now = options.now ?? Date.now;
    this.onEvent = options.onEvent;
  }

  compile(schema: GraphQLSchema): void {
    const table = this.table(schema);
    if (table instanceof TypeError) throw table;
  }

  private table(schema: GraphQLSchema): RuleTable | TypeError {
    let table = this.tables.get(schema);
    if (table === undefined) {
      try {
        table = buildRuleTable(schema, this.rules, this.directive);
      } catch (error) {
        table = error instanceof TypeError ? error : new TypeError(String(error));
      }
      this.tables.set(schema, table);
    }
    return table;
  }

  ipKey(raw: string | undefined): string {
    if (raw !== undefined) {
      let key = this.ipKeys.get(raw);
      if (key === undefined) {
        const ip = ipIdentity(raw, this.ipv6Subnet);
        key = keyComponent(ip ?? raw);
        // A small memo: most traffic comes from few addresses at a time; never unbounded.
        if (this.ipKeys.size >= 4096) this.ipKeys.clear();
        this.ipKeys.set(raw, key);
      }
      return key;
    }
    if (!this.warnedNoIp) {
      this.warnedNoIp = true;
      emitEvent(this.onEvent, {
        source: 'rate-limit',
        outcome: 'warning',
        code: 'RATE_LIMIT_CLIENT_IP_MISSING',
        reason:
          'No client IP in the context: anonymous requests share one bucket. Set `getClientIp` or put `clientIp` in the context.',
      });
    }
    return 'unknown';
  }

  async check(request: RateLimitRequest<unknown>): Promise<RateLimitDecision> {
    try {
      return await this.decide(request);
    } catch (error) {
      if (error instanceof BulwarkError) throw error;
      // A throwing accessor or identity callback: refuse (fail closed), never a 500.
      this.event(
        'rejected',
        'SERVICE_UNAVAILABLE',
        'The rate limiter failed; failing closed.',
        request,
        {
          error: error instanceof Error ? error.message : String(error),
        },
      );
      throw new ServiceUnavailableError('The service is temporarily unavailable.', {
        reason: 'The rate limiter failed.',
        cause: error,
      });
    }
  }

  private async decide(request: RateLimitRequest<unknown>): Promise<RateLimitDecision> {
    const now = this.now();
    const table = this.table(request.schema);
    if (table instanceof TypeError) {
      this.event(
        'rejected',
        'SERVICE_UNAVAILABLE',
        `Rate-limit rules do not fit the schema: ${table.message}`,
        request,
      );
      throw new ServiceUnavailableError('The service is temporarily unavailable.', {
        reason: table.message,
      });
    }
    if (table.empty && !this.budget) return emptyDecision(now);
    const analysis = this.analysis(request);
    if (!analysis) return emptyDecision(now);
    if (analysis.truncated) {
      this.event(
        'rejected',
        'DEPTH_LIMIT_EXCEEDED',
        'The operation is too deep to count; refused.',
        request,
      );
      throw createSecurityError(
        'DEPTH_LIMIT_EXCEEDED',
        'The operation is nested too deeply to be rate limited.',
      );
    }
    const identities = new Identities(this, request.context, this.getPrincipal(request.context));
    const variables = withVariableDefaults(analysis.node, request.variables);
    const charges = new Map<string, Charge>();
    const add = (policy: RateLimitPolicy, identity: string, value: string, cost: number): void => {
      const key = `${policy.id}|${identity}=${value}`;
      const known = charges.get(key);
      if (known) known.cost = units(known.cost + cost);
      else charges.set(key, { policy, identity, key, cost, strikes: 0 });
    };

    for (const rule of table.operationRules) {
      if (!operationRuleMatches(rule, analysis.name, analysis.operationType)) continue;
      for (const identity of rule.identities) {
        add(rule.policy, identity.name, this.value(identity, identities, null, variables), 1);
      }
    }
    for (const fieldRule of this.touchedRules(table, analysis)) {
      const count = units(
        analysis.resolveCount(fieldRule.coordinates, request.variables ?? undefined),
      );
      if (count === 0) continue;
      const { rule } = fieldRule;
      let occurrences: FieldOccurrence[] | null = null;
      for (const identity of rule.identities) {
        if (!identity.usesArguments) {
          add(rule.policy, identity.name, this.value(identity, identities, null, variables), count);
          continue;
        }
        occurrences ??= findOccurrences(
          request.schema,
          request.document,
          analysis.node,
          fieldRule.coordinates,
          variables,
        );
        for (const [value, cost] of this.argumentShares(
          identity,
          identities,
          occurrences,
          variables,
          count,
        )) {
          add(rule.policy, identity.name, value, cost);
        }
      }
    }
    let budgetCost = 0;
    if (this.budget) {
      budgetCost = units(analysis.cost(request.variables ?? undefined));
      for (const identity of this.budget.identities) {
        add(
          this.budget.policy,
          identity.name,
          this.value(identity, identities, null, variables),
          budgetCost,
        );
      }
    }
    if (charges.size === 0) return emptyDecision(now);
    const list = [...charges.values()];
    const results = await this.consume(list, now, request);
    const entries: RateLimitEntry[] = list.map((c, i) => ({
      policy: c.policy,
      identity: c.identity,
      key: c.key,
      cost: c.cost,
      result: results[i]!,
    }));
    const allowed = entries.every((e) => e.result.allowed);
    const decision: RateLimitDecision = {
      allowed,
      entries,
      now,
      ...(this.budget ? { budget: this.budgetStatus(entries, budgetCost) } : {}),
    };
    if (!allowed) {
      this.reportRefusal(decision, request, identities.principal);
      throw rateLimitedError(decision);
    }
    return decision;
  }

  private analysis(request: RateLimitRequest<unknown>): OperationAnalysis | undefined {
    const doc = analyzeDocument(request.schema, request.document, {
      defaultListSize: this.listSize,
    });
    if (request.operation) return doc.operations.find((o) => o.node === request.operation);
    return doc.operation(request.operationName);
  }

  private touchedRules(table: RuleTable, analysis: OperationAnalysis): Set<FieldRule> {
    const touched = new Set<FieldRule>();
    if (table.byCoordinate.size === 0) return touched;
    for (const coordinate of analysis.coordinates.keys()) {
      const rules = table.byCoordinate.get(coordinate);
      if (rules) for (const r of rules) touched.add(r);
    }
    return touched;
  }

  /** The key value of an identity without argument parts (or with them, from one occurrence). */
  private value(
    identity: CompiledIdentity,
    identities: Identities,
    occurrence: Pick<FieldOccurrence, 'node' | 'definition'> | null,
    variables: Readonly<Record<string, unknown>>,
  ): string {
    const one = (part: IdentityPart): string => {
      if (part.kind !== 'arg') return identities.part(part);
      if (!occurrence) return NO_VALUE;
      const raw = argumentValue(occurrence.node, occurrence.definition, part.argument, variables);
      return argumentComponent(followPath(raw, part.path), this.normalize);
    };
    const parts = identity.parts;
    return parts.length === 1 ? one(parts[0]!) : parts.map(one).join('+');
  }

  /**
   * Splits `count` (occurrences × list sizes) over the argument values of the occurrences, in
   * proportion to how often each value occurs (exact for fields outside lists, such as a
   * root `login`), rounding up.
   */
  private argumentShares(
    identity: CompiledIdentity,
    identities: Identities,
    occurrences: readonly FieldOccurrence[],
    variables: Readonly<Record<string, unknown>>,
    count: number,
  ): Map<string, number> {
    const byValue = new Map<string, number>();
    let total = 0;
    for (const occ of occurrences) {
      const v = this.value(identity, identities, occ, variables);
      byValue.set(v, (byValue.get(v) ?? 0) + occ.count);
      total += occ.count;
    }
    const shares = new Map<string, number>();
    if (total === 0) {
      shares.set(this.value(identity, identities, null, variables), count);
      return shares;
    }
    for (const [v, n] of byValue) shares.set(v, units((count * n) / total));
    return shares;
  }

  private async consume(
    charges: readonly Charge[],
    now: number,
    request: Pick<RateLimitRequest<unknown>, 'context'> & {
      operationName?: string | null | undefined;
    },
  ): Promise<readonly ConsumeResult[]> {
    const requests: ConsumeRequest[] = charges.map((c) =>
      c.strikes > 0
        ? { key: c.key, cost: c.cost, policy: c.policy, strikes: c.strikes }
        : { key: c.key, cost: c.cost, policy: c.policy },
    );
    let results: readonly ConsumeResult[];
    try {
      results = await this.store.consume(requests, now);
    } catch (error) {
      if (error instanceof BulwarkError) throw error;
      this.event(
        'rejected',
        'SERVICE_UNAVAILABLE',
        'The rate-limit store failed; failing closed.',
        request,
        {
          error: error instanceof Error ? error.message : String(error),
        },
      );
      throw new ServiceUnavailableError('The service is temporarily unavailable.', {
        reason: 'The rate-limit store failed.',
        cause: error,
      });
    }
    if (!Array.isArray(results) || results.length !== requests.length) {
      this.event(
        'rejected',
        'SERVICE_UNAVAILABLE',
        'The rate-limit store answered with the wrong number of results; failing closed.',
        request,
      );
      throw new ServiceUnavailableError('The service is temporarily unavailable.', {
        reason: 'The rate-limit store answered with the wrong number of results.',
      });
    }
    return results;
  }

  private budgetStatus(
    entries: readonly RateLimitEntry[],
    cost: number,
  ): NonNullable<RateLimitDecision['budget']> {
    const policy = this.budget!.policy;
    let available = policy.limit;
    for (const e of entries) {
      if (e.policy === policy && !e.result.degraded)
        available = Math.min(available, e.result.remaining);
    }
    return {
      requestedQueryCost: cost,
      throttleStatus: {
        maximumAvailable: policy.limit,
        currentlyAvailable: Math.max(0, Math.floor(available)),
        restoreRate: policy.limit / (policy.windowMs / 1000),
      },
    };
  }

  private reportRefusal(
    decision: RateLimitDecision,
    request: RateLimitRequest<unknown>,
    principal: Principal | null,
  ): void {
    const refused = decision.entries.filter((e) => !e.result.allowed);
    for (const e of refused) {
      const jail = e.policy.jail;
      if (jail && e.result.jailedUntil === decision.now + jail.forMs) {
        this.event(
          'flagged',
          'RATE_LIMIT_JAILED',
          `Identity "${e.identity}" jailed on "${e.policy.id}" until ${new Date(e.result.jailedUntil).toISOString()}.`,
          request,
          {
            policy: e.policy.id,
            identity: e.identity,
            key: e.key,
            jailedUntil: e.result.jailedUntil,
          },
          principal,
        );
      }
    }
    this.event(
      'rejected',
      'RATE_LIMITED',
      `Rate limit "${refused[0]!.policy.id}" refused identity "${refused[0]!.identity}".`,
      request,
      {
        refused: refused.map((e) => ({
          policy: e.policy.id,
          identity: e.identity,
          key: e.key,
          cost: e.cost,
          limit: e.policy.limit,
          remaining: e.result.remaining,
          retryAfterMs: e.result.retryAfterMs,
          jailedUntil: e.result.jailedUntil,
        })),
      },
      principal,
    );
  }

  async reportFailure(context: unknown, info: GraphQLResolveInfo): Promise<void> {
    const table = this.table(info.schema);
    if (table instanceof TypeError) return;
    const now = this.now();
    const principal = this.getPrincipal(context);
    const identities = new Identities(this, context, principal);
    const coordinate = `${info.parentType.name}.${info.fieldName}`;
    const occurrence = {
      node: info.fieldNodes[0]!,
      definition: info.parentType.getFields()[info.fieldName],
    };
    const variables = info.variableValues;
    const charges = new Map<string, Charge>();
    const strike = (rule: CompiledRule, withOccurrence: boolean): void => {
      if (!rule.policy.jail) return;
      for (const identity of rule.identities) {
        const value = this.value(
          identity,
          identities,
          withOccurrence ? occurrence : null,
          variables,
        );
        const key = `${rule.policy.id}|${identity.name}=${value}`;
        if (!charges.has(key)) {
          charges.set(key, {
            policy: rule.policy,
            identity: identity.name,
            key,
            cost: 0,
            strikes: 1,
          });
        }
      }
    };
    for (const r of table.byCoordinate.get(coordinate) ?? []) strike(r.rule, true);
    for (const rule of table.operationRules) {
      if (operationRuleMatches(rule, info.operation.name?.value, info.operation.operation))
        strike(rule, false);
    }
    if (charges.size === 0) return;
    const list = [...charges.values()];
    const request = { context, operationName: info.operation.name?.value };
    try {
      const results = await this.consume(list, now, request);
      results.forEach((result, i) => {
        const c = list[i]!;
        if (
          result.jailedUntil !== undefined &&
          c.policy.jail &&
          result.jailedUntil === now + c.policy.jail.forMs
        ) {
          this.event(
            'flagged',
            'RATE_LIMIT_JAILED',
            `Identity "${c.identity}" jailed on "${c.policy.id}" until ${new Date(result.jailedUntil).toISOString()} after reported failures.`,
            request,
            {
              policy: c.policy.id,
              identity: c.identity,
              key: c.key,
              jailedUntil: result.jailedUntil,
            },
            principal,
          );
        }
      });
    } catch {
      // The store failure was reported as an event; a failed report must not fail the login.
    }
  }

  private event(
    outcome: 'rejected' | 'flagged' | 'warning',
    code: string,
    reason: string,
    request: Pick<RateLimitRequest<unknown>, 'context'> & {
      operationName?: string | null | undefined;
      operation?: OperationDefinitionNode | null | undefined;
    },
    detail?: Record<string, unknown>,
    principal?: Principal | null,
  ): void {
    const p = principal === undefined ? this.getPrincipal(request.context) : principal;
    emitEvent(this.onEvent, {
      source: 'rate-limit',
      outcome,
      code,
      reason,
      operationName: request.operation?.name?.value ?? request.operationName ?? undefined,
      subject: p?.subject,
      ...(detail ? { detail } : {}),
    });
  }
}

/**
 * Creates a rate limiter: rules from code and from the `@rateLimit` directive, an optional
 * cost budget, and a store. Use it with `rateLimitPlugin(limiter)` in Apollo Server, or call
 * `limiter.check(...)` before `execute` with plain graphql-js.
 *
 * Every occurrence of a limited field counts (aliases, fragments, each entry of an HTTP
 * batch), multiplied by the list sizes above it; all keys of one operation are decided in one
 * atomic store call, all or nothing.
 *
 * Security: a rule needs an identity (`by`); the default accessors read the principal and
 * the socket address, never an unverified header. Pair rate limits with `@bulwark/limits`
 * (depth, cost): a limit counts how often, not how much.
 */
export function createRateLimiter<TContext = unknown>(
  options: RateLimiterOptions<TContext>,
): RateLimiter<TContext> {
  return new Limiter(options as RateLimiterOptions) as RateLimiter<TContext>;
}
