import { analyzeDocument, createSecurityError, emitEvent } from '@bulwark/core';
import type { OperationAnalysis, Principal } from '@bulwark/core';
import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContext,
  GraphQLRequestListener,
} from '@apollo/server';
import type { DocumentNode, GraphQLError, ParseOptions, ValidationRule } from 'graphql';
import { limitsRuleFromResolved } from './rule.js';
import { checkOperation, operationCost } from './check.js';
import type { Violation } from './check.js';
import { tokenMessage } from './messages.js';
import { resolveLimitsOptions } from './options.js';
import type { LimitsOptions, ResolvedLimitsOptions } from './options.js';
import { isTokenLimitSyntaxError } from './tokens.js';
import { variablesDepthRefusal } from './variables.js';

type RequestContext = GraphQLRequestContext<BaseContext>;

/**
 * The request-time half of the limits, as an Apollo Server 5 plugin:
 *
 * - `didResolveOperation`: the nesting of the variables (before graphql-js coerces them),
 *   per-principal maxima, `measure` mode, the cost when variables or
 *   estimators matter (every request, before any resolver), and the static limits for a
 *   document that did not go through the validation rule;
 * - `didEncounterErrors`: graphql-js's token-limit syntax error becomes `TOKEN_LIMIT_EXCEEDED`;
 * - `willSendResponse`: `extensions.cost` when `cost.exposeCost` is on.
 *
 * Use it with the validation rule and the parse options: {@link createLimits} gives all three.
 * Every rejection is a coded `GraphQLError` with HTTP 400 and a `rejected` event. (An Apollo
 * hook that runs before validation cannot reject: what it throws becomes a 500. The rule is
 * where the early refusal happens.)
 */
export function limitsPlugin(options: LimitsOptions = {}): ApolloServerPlugin<BaseContext> {
  return limitsPluginFromResolved(resolveLimitsOptions(options));
}

/** The plugin of already resolved options (the preset shares one resolution with the rule). */
export function limitsPluginFromResolved(
  o: ResolvedLimitsOptions,
): ApolloServerPlugin<BaseContext> {
  const costLimit = o.limits.find((l) => l.name === 'maxCost')!;
  const requestPhase =
    o.limits.some((l) => !l.isStatic && l.max !== false) ||
    (costLimit.max !== false && costLimit.isStatic);
  const analysisOptions = { defaultListSize: o.defaultListSize };

  function principalOf(rc: RequestContext): Principal | null {
    try {
      return o.getPrincipal(rc.contextValue);
    } catch {
      return null;
    }
  }

  function report(v: Violation, rc: RequestContext, operationName: string | undefined): void {
    emitEvent(o.onEvent, {
      source: 'limits',
      outcome: v.mode === 'measure' ? 'flagged' : 'rejected',
      code: v.code,
      reason: v.message,
      operationName: operationName ?? rc.request.operationName ?? undefined,
      subject: principalOf(rc)?.subject,
      detail: { limit: v.limit, value: v.value, max: v.max },
    });
  }

  function fail(v: Violation): never {
    throw createSecurityError(v.code, v.message, {
      nodes: v.node,
      extensions: { validationErrorCode: v.code },
    });
  }

  /** Before graphql-js coerces the variables (recursively): see `findDeepVariable`. */
  function checkVariables(rc: RequestContext): void {
    if (!rc.request.variables) return;
    const message = variablesDepthRefusal(rc.request.variables, o, () => ({
      operationName: rc.operationName ?? rc.request.operationName ?? undefined,
      subject: principalOf(rc)?.subject,
    }));
    if (message !== undefined) throw createSecurityError('VARIABLES_DEPTH_LIMIT_EXCEEDED', message);
  }

  function checkStatic(rc: RequestContext, document: DocumentNode): void {
    const analysis = analyzeDocument(rc.schema, document, analysisOptions);
    if (analysis.isMarked(o)) return;
    for (const op of analysis.operations) {
      const violations = checkOperation(op, o, { schema: rc.schema, document, phase: 'static' });
      const first = violations[0];
      if (first) {
        report(first, rc, op.name);
        fail(first);
      }
    }
    analysis.mark(o);
  }

  function operationOf(rc: RequestContext, document: DocumentNode): OperationAnalysis | undefined {
    const analysis = analyzeDocument(rc.schema, document, analysisOptions);
    return (
      analysis.operations.find((a) => a.node === rc.operation) ??
      analysis.operation(rc.request.operationName)
    );
  }

  return {
    async requestDidStart() {
      let cost: number | undefined;
      const listener: GraphQLRequestListener<BaseContext> = {
        async didResolveOperation(rc) {
          const document = rc.document;
          checkVariables(rc);
          // Without the validation rule (or with `dangerouslyDisableValidation`), the static
          // limits are checked here, after graphql-js's validation: still before any resolver.
          checkStatic(rc, document);
          if (!requestPhase && !o.exposeCost) return;
          const op = operationOf(rc, document);
          if (!op) return;
          const principal = principalOf(rc);
          const ctx = {
            schema: rc.schema,
            document,
            phase: 'request' as const,
            principal,
            variables: rc.request.variables,
            context: rc.contextValue as Record<string, unknown>,
          };
          if (requestPhase) {
            for (const v of checkOperation(op, o, ctx)) {
              report(v, rc, op.name);
              if (v.mode === 'enforce') fail(v);
            }
          }
          if (o.exposeCost) cost = operationCost(op, o, ctx);
        },

        async didEncounterErrors(rc) {
          if (o.maxTokens === false) return;
          for (const error of rc.errors) {
            // Typed GraphQLError, but graphql-js returns whatever variable coercion threw (a
            // RangeError on deeply nested variables) as is: no `extensions` on those.
            if (
              (error as Partial<GraphQLError>).extensions?.['code'] === 'GRAPHQL_PARSE_FAILED' &&
              isTokenLimitSyntaxError(error)
            ) {
              const message = tokenMessage(o.maxTokens, o.exposeLimits);
              // Apollo builds the response from these error objects right after this hook.
              error.message = message;
              (error.extensions as Record<string, unknown>)['code'] = 'TOKEN_LIMIT_EXCEEDED';
              emitEvent(o.onEvent, {
                source: 'limits',
                outcome: 'rejected',
                code: 'TOKEN_LIMIT_EXCEEDED',
                reason: message,
                operationName: rc.request.operationName ?? undefined,
                subject: principalOf(rc)?.subject,
                detail: { limit: 'maxTokens', max: o.maxTokens },
              });
            }
          }
        },
      };
      if (o.exposeCost) {
        listener.willSendResponse = async (rc) => {
          if (cost === undefined || rc.response.body.kind !== 'single') return;
          const result = rc.response.body.singleResult;
          const extensions = (result.extensions ??= {});
          const previous = (extensions['cost'] ?? {}) as Record<string, unknown>;
          const max =
            typeof costLimit.max === 'function' ? costLimit.max(principalOf(rc)) : costLimit.max;
          extensions['cost'] = {
            ...previous,
            requestedQueryCost: cost,
            ...(max !== false ? { maximumQueryCost: max } : {}),
          };
        };
      }
      return listener;
    },
  };
}

/** What {@link createLimits} returns: spread the parts into `new ApolloServer({...})`. */
export interface Limits {
  /** The validation rule: static limits, refused before graphql-js's other rules walk. */
  readonly validationRules: readonly ValidationRule[];
  /** The plugin: request-time limits, token error mapping, cost extension. */
  readonly plugins: readonly ApolloServerPlugin<BaseContext>[];
  /** `{ maxTokens }` for graphql-js's parser. */
  readonly parseOptions: ParseOptions;
  /** The resolved options. */
  readonly options: ResolvedLimitsOptions;
}

/**
 * Everything the limits need under Apollo Server, from one options object:
 *
 * ```ts
 * const limits = createLimits({ maxDepth: 8, maxCost: 5000 });
 * new ApolloServer({
 *   schema,
 *   validationRules: [...limits.validationRules],
 *   plugins: [...limits.plugins],
 *   parseOptions: limits.parseOptions,
 * });
 * ```
 */
export function createLimits(options: LimitsOptions = {}): Limits {
  const resolved = resolveLimitsOptions(options);
  return {
    validationRules: [limitsRuleFromResolved(resolved)],
    plugins: [limitsPluginFromResolved(resolved)],
    parseOptions: resolved.maxTokens === false ? {} : { maxTokens: resolved.maxTokens },
    options: resolved,
  };
}
