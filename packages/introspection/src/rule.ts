import type { ValidationRule } from 'graphql';
import { emitEvent, IntrospectionDisabledError } from '@bulwark/core';
import {
  describeFields,
  findIntrospectionFieldsInDocument,
  introspectionMessage,
} from './detect.js';
import { resolveNoIntrospectionRuleOptions } from './options.js';
import type { NoIntrospectionRuleOptions } from './options.js';

/**
 * A graphql-js validation rule that refuses introspection for everyone: a document that
 * selects `__schema` or `__type` anywhere (any operation, aliases, fragments, nested fields
 * returning the query type) fails validation with `INTROSPECTION_DISABLED` and HTTP 400.
 * `__typename` stays allowed.
 *
 * Under Apollo Server, `extensions.code` becomes `GRAPHQL_VALIDATION_FAILED` and the code is
 * kept in `extensions.validationErrorCode`. The rule depends on the document only, so
 * Apollo's validation cache is sound; it reports with `context.reportError` and never throws.
 *
 * Security: this refuses the whole document, even an operation that is not the one named in
 * `operationName`. To let some principals introspect, use {@link introspectionPlugin} instead
 * (a validation rule never sees who asks). Pair it with suggestion stripping
 * ({@link withoutSuggestions}): with introspection off, "Did you mean" hints are how tools
 * such as clairvoyance recover the schema.
 *
 * @example new ApolloServer({ schema, validationRules: [createNoIntrospectionRule()] })
 */
export function createNoIntrospectionRule(options?: NoIntrospectionRuleOptions): ValidationRule {
  const { onEvent } = resolveNoIntrospectionRuleOptions(options);
  return (context) => ({
    Document(node) {
      const fields = findIntrospectionFieldsInDocument(context.getSchema(), node);
      if (fields.length === 0) return false;
      const where = describeFields(fields);
      context.reportError(
        new IntrospectionDisabledError(introspectionMessage(fields), {
          nodes: fields,
          status: 400,
          extensions: { validationErrorCode: 'INTROSPECTION_DISABLED' },
          reason: `Introspection is disabled for everyone; the document selects ${where}.`,
        }),
      );
      emitEvent(onEvent, {
        source: 'introspection',
        outcome: 'rejected',
        code: 'INTROSPECTION_DISABLED',
        reason: `Refused a document that introspects (${where}); introspection is disabled for everyone.`,
        detail: { fields: fields.map((f) => f.name.value), scope: 'everyone' },
      });
      // Nothing below the document matters to this rule.
      return false;
    },
  });
}
