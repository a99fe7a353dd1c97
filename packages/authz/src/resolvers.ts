import {
  defaultFieldResolver,
  defaultTypeResolver,
  getArgumentValues,
  getNullableType,
  isListType,
  isObjectType,
} from 'graphql';
import type {
  GraphQLFieldConfig,
  GraphQLFieldResolver,
  GraphQLInterfaceType,
  GraphQLObjectType,
  GraphQLOutputType,
  GraphQLResolveInfo,
  GraphQLSchema,
  GraphQLTypeResolver,
  GraphQLUnionType,
} from 'graphql';
import { ALLOW, checkObject, decide, DENY, runRequestPolicies } from './decide.js';
import type { Decision, PolicyErrorHandler, Residual } from './decide.js';
import { fieldDeniedError, notCheckedError, objectDeniedError } from './errors.js';
import type { AuthzMode, AuthzPolicy } from './options.js';
import type { CompiledRule, RuleTable } from './rules.js';
import { stateOf } from './state.js';
import type { RequestState } from './state.js';
import type { RebuildHooks } from './rebuild.js';

/** What the wrappers report. */
export interface WrapReporter {
  /** A field or object denied at resolution. */
  denied(state: RequestState, subject: string, reason: string, info: GraphQLResolveInfo): void;
  /** A policy that threw or rejected. */
  policyError(state: RequestState | undefined): PolicyErrorHandler;
}

/** What the wrappers need. */
export interface WrapOptions {
  readonly table: RuleTable;
  readonly mode: AuthzMode;
  readonly policies: ReadonlyMap<string, AuthzPolicy<unknown>>;
  readonly report: WrapReporter;
}

const isPromise = (v: unknown): v is Promise<unknown> =>
  v !== null &&
  (typeof v === 'object' || typeof v === 'function') &&
  typeof (v as { then?: unknown }).then === 'function';

function listDepth(type: GraphQLOutputType): number {
  let depth = 0;
  let t = getNullableType(type);
  while (isListType(t)) {
    depth++;
    t = getNullableType(t.ofType);
  }
  return depth;
}

/**
 * The resolver hooks of a wrapped schema. Only fields that need a check at resolution are
 * wrapped: root fields (the operation must have been checked), fields with an object policy,
 * in `filter` mode fields with any rule, and fields returning an object type with an object
 * policy. Every other field keeps its resolver, untouched.
 */
export function authzHooks(schema: GraphQLSchema, options: WrapOptions): RebuildHooks {
  const { table, mode } = options;
  const roots = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) =>
      t ? [t.name] : [],
    ),
  );
  return {
    field(type, name, config) {
      const rule = table.objectFields.get(`${type.name}.${name}`);
      const fieldRule = rule && (mode === 'filter' || rule.objectPolicies) ? rule : undefined;
      const named = getNullableType(config.type);
      let returned: GraphQLOutputType = named;
      while (isListType(returned)) returned = getNullableType(returned.ofType);
      const typeRule = isObjectType(returned) ? table.objectTypes.get(returned.name) : undefined;
      const isRoot = roots.has(type.name);
      if (!fieldRule && !typeRule && !isRoot) return undefined;
      return wrapField(type, name, config, {
        fieldRule,
        typeRule,
        depth: listDepth(config.type),
        subscription: type === schema.getSubscriptionType(),
        options,
      });
    },
    resolveType(type, resolveType) {
      const guarded = schema.getPossibleTypes(type).some((t) => table.objectTypes.has(t.name));
      return guarded ? guardTypeResolver(type, resolveType, options) : undefined;
    },
  };
}

interface FieldWrap {
  readonly fieldRule: CompiledRule | undefined;
  readonly typeRule: CompiledRule | undefined;
  readonly depth: number;
  readonly subscription: boolean;
  readonly options: WrapOptions;
}

function wrapField(
  type: GraphQLObjectType,
  name: string,
  config: GraphQLFieldConfig<unknown, unknown>,
  w: FieldWrap,
): GraphQLFieldConfig<unknown, unknown> {
  const coordinate = `${type.name}.${name}`;
  const { fieldRule, typeRule, depth, options } = w;
  const original = config.resolve ?? defaultFieldResolver;
  const next: GraphQLFieldResolver<unknown, unknown> = typeRule
    ? (source, args, context, info) =>
        checkValues(
          original(source, args, context, info),
          depth,
          typeRule,
          args,
          context,
          info,
          options,
        )
    : original;

  const resolve: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
    const state = stateOf(context, info.operation);
    // Fail closed: a wrapped schema executes only operations that were checked.
    if (state === undefined) throw notCheckedError();
    if (fieldRule === undefined) return next(source, args, context, info);
    const d = (state.decisions.get(fieldRule) as Decision | undefined) ?? DENY;
    if (d === ALLOW) return next(source, args, context, info);
    const deny = (reason: string) => {
      options.report.denied(state, coordinate, reason, info);
      return fieldDeniedError(coordinate, reason);
    };
    if (d === DENY) throw deny(`"${coordinate}" is denied for this principal.`);
    const ok = checkObject(
      d as Residual,
      { principal: state.principal, object: source, args, context, info },
      options.policies,
      options.report.policyError(state),
    );
    if (ok === true) return next(source, args, context, info);
    const reason = `An object policy of "${coordinate}" denied the parent object.`;
    if (ok === false) throw deny(reason);
    return ok.then((v) => {
      if (!v) throw deny(reason);
      return next(source, args, context, info);
    });
  };

  if (!w.subscription) return { ...config, resolve };
  // A subscription is checked when it starts, and each event resolves through `resolve`.
  const subscribe = config.subscribe ?? defaultFieldResolver;
  return {
    ...config,
    resolve,
    subscribe: (source, args, context, info) => {
      if (stateOf(context, info.operation) === undefined) throw notCheckedError();
      return subscribe(source, args, context, info);
    },
  };
}

/** The decision of an object type's rule in this request, made on first use and kept. */
function typeDecision(
  state: RequestState,
  rule: CompiledRule,
  context: unknown,
  options: WrapOptions,
): Decision | Promise<Decision> {
  const known = state.decisions.get(rule);
  if (known !== undefined) return known;
  const pending = runRequestPolicies(
    rule.requestPolicies,
    options.policies,
    state.principal,
    context,
    state.requestPolicies,
    options.report.policyError(state),
  );
  if (pending) {
    const later = pending.then(() => {
      const d = decide(rule, state.principal, state.requestPolicies);
      state.decisions.set(rule, d);
      return d;
    });
    state.decisions.set(rule, later);
    return later;
  }
  const d = decide(rule, state.principal, state.requestPolicies);
  state.decisions.set(rule, d);
  return d;
}

/**
 * Checks the objects a field returned against their type's object rule: each item of a list
 * alone. A denied object becomes an error in its place (graphql-js then nulls it and reports the
 * error at its path), so its value never reaches the response.
 */
function checkValues(
  result: unknown,
  depth: number,
  rule: CompiledRule,
  args: Record<string, unknown>,
  context: unknown,
  info: GraphQLResolveInfo,
  options: WrapOptions,
): unknown {
  if (isPromise(result))
    return result.then((r) => checkValues(r, depth, rule, args, context, info, options));
  if (result === null || result === undefined || result instanceof Error) return result;
  if (depth > 0) {
    if (typeof result !== 'object' || !(Symbol.iterator in result)) return result;
    const out: unknown[] = [];
    for (const item of result as Iterable<unknown>)
      out.push(checkValues(item, depth - 1, rule, args, context, info, options));
    return out;
  }
  const state = stateOf(context, info.operation);
  if (state === undefined) return notCheckedError();
  return guardObject(state, rule, result, args, context, info, options, () => result);
}

/** Runs an object type's rule on one object: `allowed()` when it holds, an error otherwise. */
function guardObject<T>(
  state: RequestState,
  rule: CompiledRule,
  object: unknown,
  args: Record<string, unknown>,
  context: unknown,
  info: GraphQLResolveInfo,
  options: WrapOptions,
  allowed: () => T,
): T | Error | Promise<T | Error> {
  const apply = (d: Decision): T | Error | Promise<T | Error> => {
    const deny = (reason: string) => {
      options.report.denied(state, rule.coordinate, reason, info);
      return objectDeniedError(rule.coordinate, reason);
    };
    if (d === ALLOW) return allowed();
    if (d === DENY)
      return deny(`Objects of type "${rule.coordinate}" are denied for this principal.`);
    const ok = checkObject(
      d,
      { principal: state.principal, object, args, context, info },
      options.policies,
      options.report.policyError(state),
    );
    const reason = `An object policy of type "${rule.coordinate}" denied the object.`;
    if (ok === true) return allowed();
    if (ok === false) return deny(reason);
    return ok.then((v) => (v ? allowed() : deny(reason)));
  };
  const d = typeDecision(state, rule, context, options);
  return isPromise(d) ? d.then(apply) : apply(d);
}

/**
 * Wraps the type resolver of an interface or a union that may resolve to an object type with an
 * object policy: objects reached through it are checked as well, each list item alone.
 */
function guardTypeResolver(
  type: GraphQLInterfaceType | GraphQLUnionType,
  resolveType: GraphQLTypeResolver<unknown, unknown> | null | undefined,
  options: WrapOptions,
): GraphQLTypeResolver<unknown, unknown> {
  const original = resolveType ?? defaultTypeResolver;
  const guard = (
    typeName: string | undefined,
    value: unknown,
    context: unknown,
    info: GraphQLResolveInfo,
  ): string | undefined | Promise<string | undefined> => {
    const rule = typeName === undefined ? undefined : options.table.objectTypes.get(typeName);
    if (rule === undefined) return typeName;
    const state = stateOf(context, info.operation);
    if (state === undefined) throw notCheckedError();
    const r = guardObject(state, rule, value, argsOf(info), context, info, options, () => typeName);
    const settle = (x: string | undefined | Error) => {
      if (x instanceof Error) throw x;
      return x;
    };
    return isPromise(r) ? r.then(settle) : settle(r);
  };
  const wrapped: GraphQLTypeResolver<unknown, unknown> = (value, context, info, abstractType) => {
    const name = original(value, context, info, abstractType);
    if (isPromise(name)) return name.then((n) => guard(n, value, context, info));
    return guard(name, value, context, info);
  };
  Object.defineProperty(wrapped, 'name', { value: `authz${type.name}ResolveType` });
  return wrapped;
}

/** The arguments of the field being resolved, for object policies reached through a type resolver. */
function argsOf(info: GraphQLResolveInfo): Record<string, unknown> {
  const def = info.parentType.getFields()[info.fieldName];
  const node = info.fieldNodes[0];
  if (!def || !node) return {};
  try {
    return getArgumentValues(def, node, info.variableValues);
  } catch {
    return {};
  }
}
