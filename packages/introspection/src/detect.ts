import { getLocation, Kind, visit } from 'graphql';
import type { ASTNode, DocumentNode, FieldNode, GraphQLSchema } from 'graphql';
import { analyzeDocument } from '@bulwark/core';
import type { OperationAnalysis } from '@bulwark/core';

/** The introspection meta-fields a client may not select. `__typename` is not one of them. */
export const INTROSPECTION_FIELD_NAMES: readonly string[] = Object.freeze(['__schema', '__type']);

function isIntrospectionField(node: FieldNode): boolean {
  const name = node.name.value;
  return name === '__schema' || name === '__type';
}

// Only runs once the analysis has decided (or could not rule out, when truncated) that the
// document introspects: it finds the nodes for `locations`, it does not decide. graphql-js's
// `visit` is iterative, so a deep document cannot overflow the stack here.
function collectFields(roots: readonly ASTNode[]): FieldNode[] {
  const found: FieldNode[] = [];
  for (const root of roots) {
    visit(root, {
      Field(node) {
        if (isIntrospectionField(node)) found.push(node);
      },
    });
  }
  return found;
}

function needsLook(operation: OperationAnalysis): boolean {
  // A truncated analysis stopped descending: introspection below the cut was not counted.
  return operation.introspectionFields > 0 || operation.truncated;
}

/**
 * The `__schema` and `__type` fields selected anywhere in a document: in any operation,
 * under aliases, inside named and inline fragments, and under nested fields that return the
 * query type (`{ viewer { __schema { ... } } }` runs in graphql-js).
 *
 * The decision comes from the core document analysis (one cached walk shared with the other
 * checks); the returned nodes give the error its locations. Fragments that no operation uses
 * are not looked at (graphql-js's `NoUnusedFragmentsRule` refuses such documents).
 *
 * @returns the field nodes, empty when the document does not introspect.
 */
export function findIntrospectionFieldsInDocument(
  schema: GraphQLSchema | null,
  document: DocumentNode,
): FieldNode[] {
  const analysis = analyzeDocument(schema, document);
  if (!analysis.operations.some(needsLook)) return [];
  return collectFields([document]);
}

/**
 * The `__schema` and `__type` fields of the operation graphql-js would run for
 * `operationName` (the named one, or the only one when no name is given), through its
 * fragments. Other operations of the document do not count: they do not run.
 *
 * @returns the field nodes, empty when that operation does not introspect or when no
 * operation would run (execution then fails on its own).
 */
export function findIntrospectionFields(
  schema: GraphQLSchema | null,
  document: DocumentNode,
  operationName?: string | null,
): FieldNode[] {
  const operation = analyzeDocument(schema, document).operation(operationName);
  if (operation === undefined || !needsLook(operation)) return [];
  const roots: ASTNode[] = [operation.node];
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) roots.push(def);
  }
  return collectFields(roots);
}

/** The message a refused introspection carries: one sentence naming the field found. */
export function introspectionMessage(fields: readonly FieldNode[]): string {
  const name = fields[0]?.name.value ?? '__schema';
  return `Introspection is not allowed: the operation selects "${name}".`;
}

/** Where the fields are, for operators: `__schema at 1:3, __type at 4:5`. */
export function describeFields(fields: readonly FieldNode[]): string {
  return fields
    .map((f) => {
      if (!f.loc) return f.name.value;
      const { line, column } = getLocation(f.loc.source, f.loc.start);
      return `${f.name.value} at ${line}:${column}`;
    })
    .join(', ');
}
