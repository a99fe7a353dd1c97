import { GraphQLError, Kind } from 'graphql';
import type { DocumentNode, ValidationRule } from 'graphql';
import { analyzeDocument, emitEvent, validationError } from '@bulwark/core';
import type { Principal, RawVariables } from '@bulwark/core';
import { documentLengthMessage } from './messages.js';
import { checkOperation } from './check.js';
import { OPERATION_LIMITS, resolveLimitsOptions } from './options.js';
import { variablesDepthRefusal } from './variables.js';
import type { LimitsOptions, OperationLimitName, ResolvedLimitsOptions } from './options.js';

/**
 * What a plain graphql-js user knows of the request when validating per request: with it the
 * rule checks every limit (per-principal maxima, cost with variables); without it only the
 * limits that depend on (schema, document) alone.
 */
export interface LimitsRequest {
  variables?: RawVariables;
  principal?: Principal | null;
  /** Passed to graphql-query-complexity estimators. */
  context?: Record<string, unknown>;
}

/**
 * Returned from the rule's `Document` visitor when the document is refused: graphql-js then
 * walks this empty document instead of the refused one, so the other validation rules (about
 * 10x the parse time on a large document, and worse on hostile ones) do not run on a document
 * that fails anyway. The caller's document is not touched: `validate` discards visitor edits.
 */
const REFUSED: DocumentNode = Object.freeze({
  kind: Kind.DOCUMENT,
  definitions: Object.freeze([]),
}) as DocumentNode;

/** The rule of already resolved options (the plugin and the preset share one resolution). */
export function limitsRuleFromResolved(
  options: ResolvedLimitsOptions,
  request?: LimitsRequest,
): ValidationRule {
  return (context) => ({
    Document(document) {
      const length = document.loc?.source.body.length;
      if (
        options.maxDocumentLength !== false &&
        length !== undefined &&
        length > options.maxDocumentLength
      ) {
        const message = documentLengthMessage(
          length,
          options.maxDocumentLength,
          options.exposeLimits,
        );
        emitEvent(options.onEvent, {
          source: 'limits',
          outcome: 'rejected',
          code: 'DOCUMENT_SIZE_LIMIT_EXCEEDED',
          reason: message,
          subject: request?.principal?.subject,
          detail: { limit: 'maxDocumentLength', value: length, max: options.maxDocumentLength },
        });
        context.reportError(validationError('DOCUMENT_SIZE_LIMIT_EXCEEDED', message));
        return REFUSED;
      }
      if (request?.variables) {
        const message = variablesDepthRefusal(request.variables, options, () => ({
          subject: request.principal?.subject,
        }));
        if (message !== undefined) {
          context.reportError(validationError('VARIABLES_DEPTH_LIMIT_EXCEEDED', message));
          return REFUSED;
        }
      }
      const schema = context.getSchema();
      let refused = false;
      const analysis = analyzeDocument(schema, document, {
        defaultListSize: options.defaultListSize,
      });
      for (const op of analysis.operations) {
        const violations = checkOperation(op, options, {
          schema,
          document,
          phase: request ? 'all' : 'static',
          principal: request?.principal,
          variables: request?.variables,
          ...(request?.context ? { context: request.context } : {}),
        });
        for (const v of violations) {
          emitEvent(options.onEvent, {
            source: 'limits',
            outcome: v.mode === 'measure' ? 'flagged' : 'rejected',
            code: v.code,
            reason: v.message,
            operationName: op.name,
            subject: request?.principal?.subject,
            detail: { limit: v.limit, value: v.value, max: v.max },
          });
          if (v.mode === 'enforce') {
            context.reportError(validationError(v.code, v.message, v.node));
            refused = true;
          }
        }
      }
      if (refused) return REFUSED;
      // A spread of a fragment the document lacks makes it invalid whatever else it holds.
      // graphql-js would report each one (100 errors for 200 such spreads, each then formatted
      // by Apollo Server: past the 50 ms budget of packages/limits/test/hostile.test.ts on this
      // machine); one error, in graphql-js's words, refuses it for the price of the walk.
      const unknown = analysis.firstUnknownSpread;
      if (unknown) {
        context.reportError(
          new GraphQLError(`Unknown fragment "${unknown.name.value}".`, { nodes: unknown }),
        );
        return REFUSED;
      }
      // Accepted: the analysis walked the document already, so skip graphql-js's traversal for
      // this rule only.
      return false;
    },
  });
}

/**
 * A graphql-js validation rule enforcing the limits. Reports (never throws) one error per
 * exceeded limit, in graphql-js style, with `extensions.code` and
 * `extensions.validationErrorCode` (Apollo Server rewrites `code` of validation errors to
 * `GRAPHQL_VALIDATION_FAILED`).
 *
 * Without `request`, only limits that depend on (schema, document) alone are checked (the
 * rule is then safe to cache with the document, as Apollo does). Pass `request` (variables,
 * principal) when you validate per request to check the rest.
 */
export function createLimitsRule(
  options: LimitsOptions = {},
  request?: LimitsRequest,
): ValidationRule {
  return limitsRuleFromResolved(resolveLimitsOptions(options), request);
}

type SingleLimitOptions = Omit<LimitsOptions, OperationLimitName>;

function single(name: OperationLimitName) {
  return (
    max: number,
    options: SingleLimitOptions = {},
    request?: LimitsRequest,
  ): ValidationRule => {
    const off = Object.fromEntries(OPERATION_LIMITS.map((n) => [n, false])) as Record<
      OperationLimitName,
      false
    >;
    return createLimitsRule({ ...options, ...off, [name]: max }, request);
  };
}

/** Only the depth limit, as a validation rule. */
export const depthLimitRule = single('maxDepth');
/** Only the height (unique fields) limit, as a validation rule. */
export const heightLimitRule = single('maxHeight');
/** Only the alias limit, as a validation rule. */
export const aliasLimitRule = single('maxAliases');
/** Only the root field limit, as a validation rule. */
export const rootFieldLimitRule = single('maxRootFields');
/** Only the directive limit, as a validation rule. */
export const directiveLimitRule = single('maxDirectives');
/** Only the list nesting limit, as a validation rule. */
export const listDepthLimitRule = single('maxListDepth');
/** Only the field count limit, as a validation rule. */
export const fieldLimitRule = single('maxFields');
/** Only the cost limit, as a validation rule (pass `request.variables` for costs that depend on them). */
export const costLimitRule = single('maxCost');
