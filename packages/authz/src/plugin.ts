import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Authz } from './authz.js';

/**
 * The Apollo Server 5 plugin of an {@link Authz}: the check runs in `didResolveOperation`, before
 * any resolver, on every request (Apollo caches documents, not decisions). A rejected operation
 * answers 403 `FORBIDDEN` with the denied paths.
 *
 * Give Apollo the schema from `authz.wrapSchema(schema)`: the server refuses to start with any
 * other schema, because object policies and `filter` mode live in the wrapped resolvers.
 */
export function authzPlugin<TContext extends BaseContext = BaseContext>(
  authz: Authz,
): ApolloServerPlugin<TContext> {
  return {
    async serverWillStart({ schema }) {
      if (!authz.ruleTable(schema)) {
        throw new Error(
          'The authz plugin needs the schema returned by authz.wrapSchema(schema); Apollo Server was given another one.',
        );
      }
    },
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          // No operation to run (several operations and no name, or an unknown name): Apollo
          // answers 400 OPERATION_RESOLUTION_FAILURE and graphql-js runs nothing.
          if (!rc.operation) return;
          const result = await authz.authorize({
            schema: rc.schema,
            document: rc.document,
            operationName: rc.operationName,
            variableValues: rc.request.variables,
            contextValue: rc.contextValue,
          });
          if (!result.ok) throw result.error;
        },
      };
    },
  };
}
