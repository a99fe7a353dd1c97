import { createRequire } from 'node:module';
import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
} from 'graphql';
import type {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLCompositeType,
  GraphQLField,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';

/** What a graphql-query-complexity estimator receives. */
export interface ComplexityEstimatorArgs {
  type: GraphQLCompositeType;
  field: GraphQLField<unknown, unknown>;
  node: FieldNode;
  args: Record<string, unknown>;
  childComplexity: number;
  context?: Record<string, unknown>;
}

/** A graphql-query-complexity estimator: a number, or nothing to let the next one decide. */
export type ComplexityEstimator = (options: ComplexityEstimatorArgs) => number | void;

interface GqcModule {
  simpleEstimator(options?: { defaultComplexity?: number }): ComplexityEstimator;
  fieldExtensionsEstimator(): ComplexityEstimator;
  directiveEstimator(options?: { name?: string }): ComplexityEstimator;
}

// graphql-query-complexity's ESM build imports `graphql/index.mjs`, a second graphql-js
// instance beside the CommonJS one that `import 'graphql'` resolves to under Node ("Cannot use
// GraphQLSchema from another module or realm"). Its CommonJS build shares ours.
const gqc = createRequire(import.meta.url)('graphql-query-complexity') as GqcModule;

/** graphql-query-complexity's `simpleEstimator`, loaded so that it shares our graphql-js. */
export const simpleEstimator: GqcModule['simpleEstimator'] = (options) =>
  gqc.simpleEstimator(options);
/** graphql-query-complexity's `fieldExtensionsEstimator` (reads `extensions.complexity`). */
export const fieldExtensionsEstimator: GqcModule['fieldExtensionsEstimator'] = () =>
  gqc.fieldExtensionsEstimator();
/** graphql-query-complexity's `directiveEstimator` (reads `@complexity(value, multipliers)`). */
export const directiveEstimator: GqcModule['directiveEstimator'] = (options) =>
  gqc.directiveEstimator(options);

/** Input of {@link estimateComplexity}. */
export interface EstimateComplexityInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  estimators: readonly ComplexityEstimator[];
  /** Raw variables; coerced against the operation's definitions. */
  variables?: Readonly<Record<string, unknown>> | null | undefined;
  /** Passed to estimators as `context`. */
  context?: Record<string, unknown>;
}

/**
 * The complexity of an operation with graphql-query-complexity's estimators and semantics
 * (`getComplexity`: per possible type, the maximum; `@skip`/`@include` honoured), but with
 * each fragment evaluated once per call, so a 2^N fragment fan-out costs O(N) instead of
 * graphql-query-complexity's O(2^N). Returns 0 when the variables do not coerce (execution
 * then fails before any resolver runs).
 */
export function estimateComplexity(input: EstimateComplexityInput): number {
  const { schema, document, operation, estimators } = input;
  const { coerced, errors } = getVariableValues(
    schema,
    operation.variableDefinitions ?? [],
    (input.variables ?? {}) as Record<string, unknown>,
  );
  if (errors) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION && !fragments.has(def.name.value))
      fragments.set(def.name.value, def);
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const memo = new Map<string, number | null>();

  const possibleNames = (t: GraphQLCompositeType): readonly string[] =>
    isAbstractType(t) ? schema.getPossibleTypes(t).map((x) => x.name) : [t.name];

  function setComplexity(set: SelectionSetNode, typeDef: GraphQLCompositeType): number {
    const fields = isObjectType(typeDef) || isInterfaceType(typeDef) ? typeDef.getFields() : {};
    const typeNames = possibleNames(typeDef);
    const perType = new Map<string, number>();
    const addTo = (value: number, names: readonly string[]) => {
      for (const n of names) perType.set(n, (perType.get(n) ?? 0) + value);
    };
    for (const sel of set.selections) {
      const include = getDirectiveValues(GraphQLIncludeDirective, sel, coerced);
      const skip = getDirectiveValues(GraphQLSkipDirective, sel, coerced);
      if ((include && include['if'] === false) || (skip && skip['if'] === true)) continue;
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        const field =
          name === '__schema'
            ? SchemaMetaFieldDef
            : name === '__type'
              ? TypeMetaFieldDef
              : name === '__typename'
                ? TypeNameMetaFieldDef
                : fields[name];
        if (!field) continue;
        const named = getNamedType(field.type);
        let args: Record<string, unknown>;
        try {
          args = getArgumentValues(field, sel, coerced);
        } catch {
          continue;
        }
        const childComplexity =
          sel.selectionSet && isCompositeType(named) ? setComplexity(sel.selectionSet, named) : 0;
        const estimatorArgs: ComplexityEstimatorArgs = {
          childComplexity,
          args,
          field: field as GraphQLField<unknown, unknown>,
          node: sel,
          type: typeDef,
          ...(input.context ? { context: input.context } : {}),
        };
        let score: number | undefined;
        for (const estimator of estimators) {
          const v = estimator(estimatorArgs);
          if (typeof v === 'number' && !Number.isNaN(v)) {
            score = v;
            break;
          }
        }
        if (score === undefined) {
          throw new Error(
            `No complexity could be calculated for field ${typeDef.name}.${field.name}: at least one estimator has to return a number.`,
          );
        }
        addTo(score, typeNames);
      } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const name = sel.name.value;
        const def = fragments.get(name);
        if (!def) continue;
        const t = schema.getType(def.typeCondition.name.value);
        if (!t || !isCompositeType(t)) continue;
        let value = memo.get(name);
        if (value === null) continue; // a cycle: graphql-js reports it
        if (value === undefined) {
          memo.set(name, null);
          value = setComplexity(def.selectionSet, t);
          memo.set(name, value);
        }
        addTo(value, possibleNames(t));
      } else {
        let t: GraphQLCompositeType = typeDef;
        if (sel.typeCondition) {
          const c = schema.getType(sel.typeCondition.name.value);
          if (!c || !isCompositeType(c)) continue;
          t = c;
        }
        addTo(setComplexity(sel.selectionSet, t), possibleNames(t));
      }
    }
    let max = 0;
    for (const v of perType.values()) if (v > max) max = v;
    return max;
  }

  return setComplexity(operation.selectionSet, root);
}
