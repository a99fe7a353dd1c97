import { GraphQLError } from 'graphql';
import type { ValidationRule } from 'graphql';

/**
 * Refuses an operation whose type the schema has no root type for (`subscription { … }` on a
 * schema without `Subscription`). graphql-js 16 validates such a document and only fails when
 * executing it ("Schema is not configured to execute subscription operation."), an error with
 * no code that Apollo Server answers with 200 and `INTERNAL_SERVER_ERROR`: a client's mistake
 * reported as the server's. graphql-js 17 has this rule (`KnownOperationTypesRule`); this is
 * the same check for 16, so the client gets a 400 `GRAPHQL_VALIDATION_FAILED`.
 */
export const knownOperationTypesRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (!context.getSchema().getRootType(node.operation)) {
      context.reportError(
        new GraphQLError(`The ${node.operation} operation is not supported by the schema.`, {
          nodes: node,
        }),
      );
    }
    return false;
  },
});
