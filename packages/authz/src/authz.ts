import { analyzeOperation, emitEvent, ForbiddenError } from '@bulwark/core';
import type { BulwarkError, Principal } from '@bulwark/core';
import { execute } from 'graphql';
import type {
  DocumentNode,
  ExecutionArgs,
  ExecutionResult,
  GraphQLResolveInfo,
  GraphQLSchema,
} from 'graphql';
import { checkOperation } from './check.js';
import type { OperationCheck } from './check.js';
import type { PolicyErrorHandler } from './decide.js';
import { operationDeniedError, tooDeepError } from './errors.js';
import { registeredAuthzMetadata, setAuthzMetadata } from './metadata.js';
import { resolveAuthzOptions } from './options.js';
import type { AuthzOptions, ResolvedAuthzOptions } from './options.js';
import { deniedPaths } from './paths.js';
import { rebuildSchema } from './rebuild.js';
import { authzHooks } from './resolvers.js';
import type { WrapReporter } from './resolvers.js';
import { buildRuleTable } from './rules.js';
import type { RuleTable } from './rules.js';
import { attachState } from './state.js';
import type { RequestState } from './state.js';

/** Arguments of {@link Authz.authorize}: what graphql-js `execute` receives. */
export interface AuthorizeArgs {
  /** A schema returned by {@link Authz.wrapSchema} of the same instance. */
  readonly schema: GraphQLSchema;
  /** A parsed and validated document. */
  readonly document: DocumentNode;
  readonly operationName?: string | null | undefined;
  /** The raw variables of the request. */
  readonly variableValues?: Readonly<Record<string, unknown>> | null | undefined;
  /**
   * The context object the operation will execute with: the decisions are attached to it, and
   * the principal is read from it.
   */
  readonly contextValue: object;
}

/** The answer of {@link Authz.authorize}. */
export type AuthorizeResult =
  | {
      readonly ok: true;
      /** In `filter` mode, the field coordinates that will resolve to `null` with an error. */
      readonly filtered: readonly string[];
    }
  | {
      readonly ok: false;
      /** 403 `FORBIDDEN`, listing the denied paths: return it as the only error. */
      readonly error: BulwarkError<'FORBIDDEN'>;
    };

/** Field-level authorization for one set of options; see {@link createAuthz}. */
export interface Authz {
  /** The validated options, defaults resolved. */
  readonly options: ResolvedAuthzOptions;
  /**
   * Checks the schema's rules and returns a copy of it whose resolvers enforce the runtime part
   * (object policies, `filter` mode, and the refusal of operations that were not checked). The
   * original schema is not modified. Throws an `AuthzSchemaError` when a rule names an
   * unregistered policy or is malformed; emits a `SENSITIVE_FIELD_WITHOUT_RULE` warning event
   * for sensitive-looking fields without a rule.
   */
  wrapSchema(schema: GraphQLSchema): GraphQLSchema;
  /**
   * The check before execution, for a schema from {@link wrapSchema}. On success the decisions
   * are attached to `contextValue` for the resolvers; execute with that same object.
   */
  authorize(args: AuthorizeArgs): Promise<AuthorizeResult>;
  /** {@link authorize}, then graphql-js `execute`; a rejection is the only error of the result. */
  execute(args: ExecutionArgs & { contextValue: object }): Promise<ExecutionResult>;
  /** The rule table of a schema from {@link wrapSchema}, `undefined` for any other schema. */
  ruleTable(schema: GraphQLSchema): RuleTable | undefined;
}

const WRAPPED = new WeakSet<GraphQLSchema>();

/**
 * Creates field-level authorization: `@authenticated`, `@requiresScopes`, `@policy` and
 * `@public` on types, fields, arguments and input fields, checked before execution against the
 * principal, with object policies (owner checks) finished at resolution.
 *
 * ```ts
 * const authz = createAuthz({ defaultPolicy: 'deny', policies: { owner } });
 * const server = new ApolloServer({ schema: authz.wrapSchema(schema), plugins: [authzPlugin(authz)] });
 * ```
 *
 * Security: a selection on an interface or a union is checked against every implementation
 * that may answer it; a wrapped schema refuses to execute an operation that was not checked
 * (plugin missing), so forgetting the plugin fails closed.
 */
export function createAuthz<TContext = unknown>(options: AuthzOptions<TContext>): Authz {
  const o = resolveAuthzOptions(options as AuthzOptions<never>);
  const tables = new WeakMap<GraphQLSchema, RuleTable>();

  const subjectOf = (p: Principal | null) => p?.subject;
  const policyError =
    (operationName: string | undefined, subject: string | undefined): PolicyErrorHandler =>
    (policy, error) =>
      emitEvent(o.onEvent, {
        source: 'authz',
        outcome: 'warning',
        code: 'POLICY_ERROR',
        reason: `Policy "${policy}" threw or rejected; it denied.`,
        operationName,
        subject,
        detail: { policy, error: error instanceof Error ? error.message : String(error) },
      });
  const reporter: WrapReporter = {
    denied(state: RequestState, subject: string, reason: string, info: GraphQLResolveInfo) {
      emitEvent(o.onEvent, {
        source: 'authz',
        outcome: 'rejected',
        code: 'FORBIDDEN',
        reason,
        operationName: state.operationName,
        subject: subjectOf(state.principal),
        detail: { coordinate: subject, path: pathOf(info.path) },
      });
    },
    policyError: (state) =>
      policyError(state?.operationName, state ? subjectOf(state.principal) : undefined),
  };

  const wrapSchema = (schema: GraphQLSchema): GraphQLSchema => {
    if (tables.has(schema)) return schema;
    if (WRAPPED.has(schema))
      throw new TypeError('This schema is already wrapped by another authz instance.');
    const table = buildRuleTable(schema, o);
    if (table.sensitiveFields.length > 0) {
      emitEvent(o.onEvent, {
        source: 'authz',
        outcome: 'warning',
        code: 'SENSITIVE_FIELD_WITHOUT_RULE',
        reason: `Fields that look sensitive carry no authorization rule: ${table.sensitiveFields
          .map((f) => `"${f}"`)
          .join(', ')}.`,
        detail: { fields: table.sensitiveFields },
      });
    }
    const hooks = authzHooks(schema, {
      table,
      mode: o.mode,
      policies: o.policies,
      report: reporter,
    });
    const wrapped = rebuildSchema(schema, hooks);
    const metadata = registeredAuthzMetadata(schema);
    if (metadata) setAuthzMetadata(wrapped, metadata);
    tables.set(wrapped, table);
    WRAPPED.add(wrapped);
    return wrapped;
  };

  const reject = (
    error: BulwarkError<'FORBIDDEN'>,
    operationName: string | undefined,
    principal: Principal | null,
    detail: Record<string, unknown>,
  ): AuthorizeResult => {
    emitEvent(o.onEvent, {
      source: 'authz',
      outcome: 'rejected',
      code: 'FORBIDDEN',
      reason: error.reason ?? error.message,
      operationName,
      subject: subjectOf(principal),
      detail,
    });
    return { ok: false, error };
  };

  const authorize = async (args: AuthorizeArgs): Promise<AuthorizeResult> => {
    const { schema, document, contextValue } = args;
    const table = tables.get(schema);
    if (!table)
      throw new TypeError('`schema` must be a schema returned by wrapSchema of this authz.');
    if (contextValue === null || typeof contextValue !== 'object')
      throw new TypeError('`contextValue` must be an object: the decisions are attached to it.');
    const principal = o.getPrincipal(contextValue);
    const analysis = analyzeOperation(schema, document, args.operationName);
    if (!analysis) {
      const error = new ForbiddenError('The operation to authorize could not be determined.');
      return reject(error, args.operationName ?? undefined, principal, {});
    }
    const operationName = analysis.name;
    if (analysis.truncated) return reject(tooDeepError(), operationName, principal, {});

    const check = await checkOperation({
      schema,
      table,
      analysis,
      variables: args.variableValues,
      principal,
      context: contextValue,
      policies: o.policies,
      onPolicyError: policyError(operationName, subjectOf(principal)),
    });
    const rejectAll = o.mode === 'reject' || analysis.operationType !== 'query';
    const fieldsDenied = check.deniedFields.size > 0;
    const inputsDenied = check.deniedInputFields.size > 0;
    if (inputsDenied || check.deniedArguments.size > 0 || (rejectAll && fieldsDenied)) {
      // The check works on coordinates as selected; the walk narrows each selection to the
      // types that can really answer it (an interface fragment spread on a `User` cannot read
      // `Admin.email`), and finds the paths for the message.
      const found = deniedPaths(schema, document, analysis.node, check, table);
      const refuse =
        inputsDenied || found.exhausted || found.arguments > 0 || (rejectAll && found.fields > 0);
      if (refuse) {
        const reason = `Operation denied: ${describe(check)}.`;
        return reject(
          operationDeniedError(found.paths, found.total, reason),
          operationName,
          principal,
          { mode: o.mode, paths: found.paths, ...details(check) },
        );
      }
    }
    attachState(contextValue, {
      operation: analysis.node,
      principal,
      operationName,
      decisions: check.decisions,
      requestPolicies: check.requestPolicies,
      next: undefined,
    });
    // Denied rules out of reach stay in the decisions: their resolvers cannot run.
    if (!fieldsDenied || rejectAll) return { ok: true, filtered: [] };
    const filtered = [...check.deniedFieldRules];
    emitEvent(o.onEvent, {
      source: 'authz',
      outcome: 'rejected',
      code: 'FORBIDDEN',
      reason: `Fields filtered: ${describe(check)}.`,
      operationName,
      subject: subjectOf(principal),
      detail: { mode: o.mode, ...details(check) },
    });
    return { ok: true, filtered };
  };

  return {
    options: o,
    wrapSchema,
    authorize,
    async execute(args) {
      const r = await authorize({
        schema: args.schema,
        document: args.document,
        operationName: args.operationName,
        variableValues: args.variableValues,
        contextValue: args.contextValue,
      });
      if (!r.ok) return { errors: [r.error] };
      return execute(args);
    },
    ruleTable: (schema) => tables.get(schema),
  };
}

function details(check: OperationCheck): Record<string, unknown> {
  return {
    fields: [...check.deniedFieldRules],
    arguments: [...check.deniedArguments],
    inputFields: [...check.deniedInputFields],
  };
}

function describe(check: OperationCheck): string {
  const parts = [...check.deniedFieldRules, ...check.deniedArguments, ...check.deniedInputFields];
  return parts.map((p) => `"${p}"`).join(', ');
}

function pathOf(path: GraphQLResolveInfo['path'] | undefined): (string | number)[] {
  const out: (string | number)[] = [];
  for (let p = path; p; p = p.prev) out.push(p.key);
  return out.reverse();
}
