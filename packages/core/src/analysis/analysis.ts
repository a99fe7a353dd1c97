import { Kind, valueFromASTUntyped } from 'graphql';
import type {
  DocumentNode,
  FragmentSpreadNode,
  GraphQLSchema,
  OperationDefinitionNode,
  OperationTypeNode,
} from 'graphql';
import { evaluateCost } from './cost.js';
import type { CostExpr, RawVariables } from './cost.js';
import { Container, DocumentWalker } from './walk.js';
import type { FragmentState, SetSummary, SlicingViolation } from './walk.js';

/** List size assumed for a list field with no `@listSize` and no slicing argument. */
export const DEFAULT_LIST_SIZE = 10;

/** Options of the analysis. */
export interface AnalysisOptions {
  /**
   * Size assumed for list fields that have no `@listSize` (or no slicing argument supplied and no
   * `assumedSize`).
   * @default 10
   */
  defaultListSize?: number;
}

/**
 * Everything the suite knows about one operation of a document, from the one walk.
 *
 * Counts are after fragment expansion: a fragment spread five times counts five times, and a
 * 2^N fan-out yields 2^N (as a float) without 2^N work. Lazy parts (coordinates, height) are
 * computed on first access and kept.
 */
export class OperationAnalysis {
  /** The operation node. */
  readonly node: OperationDefinitionNode;
  /** Operation name, `undefined` when anonymous. */
  readonly name: string | undefined;
  /** `query`, `mutation` or `subscription`. */
  readonly operationType: OperationTypeNode;
  /** Depth, every field counted: `{ a }` is 0, `{ a { b } }` is 1. */
  readonly depth: number;
  /**
   * graphql-depth-limit's depth: the same, with `__`-prefixed fields (`__schema`, `__type`)
   * and their subtrees counted 0.
   */
  readonly depthWithoutIntrospection: number;
  /** Most list fields nested on one path (`[[T]]` counts 2). */
  readonly listDepth: number;
  /** Field occurrences. */
  readonly fields: number;
  /** Aliased field occurrences (each occurrence counts). */
  readonly aliases: number;
  /** Aliases of `__typename`, included in `aliases`. */
  readonly typenameAliases: number;
  /** Directive occurrences (on the operation, fields, fragments and spreads). */
  readonly directives: number;
  /** Root field occurrences (aliases of one field count separately). */
  readonly rootFields: number;
  /** Occurrences of `__schema` and `__type`, wherever they appear. */
  readonly introspectionFields: number;
  /** Occurrences of `__typename`. */
  readonly typenameFields: number;
  /** The cost plan (see `cost`). A number when no variable affects it. */
  readonly costPlan: CostExpr;

  private readonly walker: DocumentWalker;
  private readonly document: DocumentNode;
  private readonly schema: GraphQLSchema | null;
  /** Plans of `resolveCount`, by coordinate set; created on first use (most operations never ask). */
  private measures: Map<string, CostExpr> | null = null;
  private readonly container: Container;
  private readonly variableDefaults: Readonly<Record<string, unknown>> | null;
  private reachable: (Container | FragmentState)[] | null = null;
  private coords: ReadonlyMap<string, number> | null = null;
  private args: ReadonlyMap<string, number> | null = null;
  private inputs: ReadonlyMap<string, number> | null = null;
  private heightValue = -1;
  /** @internal Set by the walk when the document holds this operation only. */
  singleOperation = false;

  constructor(
    walker: DocumentWalker,
    document: DocumentNode,
    node: OperationDefinitionNode,
    container: Container,
    summary: SetSummary,
  ) {
    this.walker = walker;
    this.document = document;
    this.schema = walker.info?.schema ?? null;
    this.node = node;
    this.container = container;
    this.name = node.name?.value;
    this.operationType = node.operation;
    this.depth = summary.depth;
    this.depthWithoutIntrospection = summary.plainDepth;
    this.listDepth = summary.listDepth;
    this.fields = summary.fields;
    this.aliases = summary.aliases;
    this.typenameAliases = summary.typenameAliases;
    this.directives = summary.directives;
    this.rootFields = summary.topFields;
    this.introspectionFields = summary.introspection;
    this.typenameFields = summary.typenames;
    this.costPlan = summary.cost;
    let defaults: Record<string, unknown> | null = null;
    for (const v of node.variableDefinitions ?? []) {
      if (v.defaultValue)
        (defaults ??= {})[v.variable.name.value] = valueFromASTUntyped(v.defaultValue);
    }
    this.variableDefaults = defaults;
  }

  /**
   * True when the walk stopped descending (nesting or fragment chains beyond
   * `MAX_WALK_DEPTH`): counts, coordinates and cost are then incomplete, and anything that
   * relies on them must refuse the operation.
   */
  get truncated(): boolean {
    return this.walker.truncated;
  }

  /**
   * The estimated cost for these variables (raw, as received). Sizes from `first: $n` use the
   * variable, else the operation's default for it, else the argument's default in the schema,
   * else `assumedSize`, else the default list size. Linear in the plan; O(1) when no variable
   * matters.
   */
  cost(variables?: RawVariables): number {
    if (typeof this.costPlan === 'number') return this.costPlan;
    const vars = this.variableDefaults ? { ...this.variableDefaults, ...variables } : variables;
    return evaluateCost(this.costPlan, vars);
  }

  /**
   * How many times the fields at `coordinates` would resolve: each occurrence multiplied by the
   * list sizes above it (from `@listSize`, slicing arguments and variables, as for the cost).
   * `users(first: 100) { email }` resolves `User.email` 100 times. Coordinates are matched as
   * selected (`Account.email` for a selection on the interface).
   *
   * The first call for a set of coordinates walks the document once more with that measure;
   * the plan is kept, so later calls cost an evaluation.
   */
  resolveCount(coordinates: ReadonlySet<string>, variables?: RawVariables): number {
    const key = [...coordinates].sort().join('\n');
    let plan = this.measures?.get(key);
    if (plan === undefined) {
      const walker = new DocumentWalker(
        this.schema,
        this.document,
        this.walker.defaultListSize,
        (c) => (coordinates.has(c) ? 1 : 0),
      );
      plan = walker.walkOperation(this.node, new Container()).cost;
      (this.measures ??= new Map()).set(key, plan);
    }
    if (typeof plan === 'number') return plan;
    const vars = this.variableDefaults ? { ...this.variableDefaults, ...variables } : variables;
    return evaluateCost(plan, vars);
  }

  /** `@listSize(requireOneSlicingArgument: true)` fields queried without exactly one slicing argument. */
  get slicingViolations(): readonly SlicingViolation[] {
    // One operation: every fragment the walk met is reachable from it.
    if (this.singleOperation) return this.walker.violations;
    const states = this.reachableStates();
    if (states.length === 1) return this.container.slicingViolations;
    const out: SlicingViolation[] = [];
    for (const c of this.containers()) out.push(...c.slicingViolations);
    return out;
  }

  /** Field coordinates (`Type.field`, with the type the selection is made on) → occurrences. */
  get coordinates(): ReadonlyMap<string, number> {
    if (!this.coords) this.expand();
    return this.coords!;
  }

  /** Argument coordinates supplied (`Type.field(arg:)`) → occurrences. */
  get arguments(): ReadonlyMap<string, number> {
    if (!this.args) this.expand();
    return this.args!;
  }

  /** Input fields supplied in literal values (`InputType.field`) → occurrences. */
  get inputFields(): ReadonlyMap<string, number> {
    if (!this.inputs) this.expand();
    return this.inputs!;
  }

  /**
   * Unique fields: the number of distinct field coordinates the operation selects, fragments
   * included (Apollo Router's `max_height` counts a field selected several times once).
   */
  get height(): number {
    if (this.coords) return this.coords.size;
    if (this.heightValue === -1 && this.singleOperation)
      this.heightValue = this.walker.distinctFields;
    if (this.heightValue === -1) {
      // Only the distinct keys matter here: no multiplicities, no argument maps.
      const states = this.reachableStates();
      if (states.length === 1) this.heightValue = this.container.coordinates.size;
      else {
        const keys = new Set<string>();
        const addKey = (_n: number, k: string) => keys.add(k);
        for (const st of states)
          (st instanceof Container ? st : st.container).coordinates.forEach(addKey);
        this.heightValue = keys.size;
      }
    }
    return this.heightValue;
  }

  /** Names of the fragments the operation reaches. */
  get fragmentNames(): readonly string[] {
    const names: string[] = [];
    for (const s of this.reachableStates()) if (!(s instanceof Container)) names.push(s.name);
    return names;
  }

  private reachableStates(): (Container | FragmentState)[] {
    if (this.reachable) return this.reachable;
    if (this.container.spreads.length === 0) return (this.reachable = [this.container]);
    const seen = new Set<FragmentState>();
    const queue: Container[] = [this.container];
    for (let i = 0; i < queue.length; i++) {
      for (const state of queue[i]!.spreads) {
        if (seen.has(state)) continue;
        seen.add(state);
        queue.push(state.container);
      }
    }
    // Parents before children: a fragment finishes after every fragment it spreads.
    const ordered: (Container | FragmentState)[] = [...seen].sort((a, b) => b.order - a.order);
    ordered.unshift(this.container);
    this.reachable = ordered;
    return ordered;
  }

  private *containers(): Iterable<Container> {
    for (const x of this.reachableStates()) yield x instanceof Container ? x : x.container;
  }

  private expand(): void {
    const states = this.reachableStates();
    if (states.length === 1) {
      // No fragment: the operation's own counts are the answer.
      this.coords = this.container.coordinates;
      this.args = this.container.arguments;
      this.inputs = this.container.inputFields;
      return;
    }
    const multiplicity = new Map<Container, number>([[this.container, 1]]);
    const coords = new Map<string, number>();
    const args = new Map<string, number>();
    const inputs = new Map<string, number>();
    for (const s of states) {
      const c = s instanceof Container ? s : s.container;
      const m = multiplicity.get(c) ?? 0;
      if (m === 0) continue;
      for (const child of c.spreads)
        multiplicity.set(child.container, (multiplicity.get(child.container) ?? 0) + m);
      // forEach, not for-of with destructuring: no entry array per key.
      c.coordinates.forEach((n, k) => coords.set(k, (coords.get(k) ?? 0) + m * n));
      c.arguments.forEach((n, k) => args.set(k, (args.get(k) ?? 0) + m * n));
      c.inputFields.forEach((n, k) => inputs.set(k, (inputs.get(k) ?? 0) + m * n));
    }
    this.coords = coords;
    this.args = args;
    this.inputs = inputs;
  }
}

/** The analysis of a whole document: one {@link OperationAnalysis} per operation. */
export class DocumentAnalysis {
  readonly operations: readonly OperationAnalysis[];
  /** Fragment spreads that name no fragment of the document. */
  readonly unknownFragments: number;
  /** The first of them the walk met (in an operation or a fragment it reaches), or `null`. */
  readonly firstUnknownSpread: FragmentSpreadNode | null;
  /** Spreads that close a fragment cycle (ignored by the walk). */
  readonly fragmentCycles: number;

  private marks: object[] | null = null;

  /**
   * Remembers that `key` (a consumer's own object, e.g. a plugin's resolved options) was
   * satisfied with this document, for as long as the document lives: a cheaper memo than a
   * weak set keyed by documents.
   */
  mark(key: object): void {
    (this.marks ??= []).push(key);
  }

  /** True when {@link mark} was called with `key`. */
  isMarked(key: object): boolean {
    return this.marks !== null && this.marks.includes(key);
  }

  constructor(operations: readonly OperationAnalysis[], walker: DocumentWalker) {
    this.operations = operations;
    this.unknownFragments = walker.unknownFragments;
    this.firstUnknownSpread = walker.firstUnknownSpread;
    this.fragmentCycles = walker.cycles;
  }

  /**
   * The operation that would run for `operationName`, as graphql-js picks it: the named one,
   * or the only one when no name is given. `undefined` when there is none or it is ambiguous.
   */
  operation(operationName?: string | null): OperationAnalysis | undefined {
    if (operationName == null) return this.operations.length === 1 ? this.operations[0] : undefined;
    return this.operations.find((o) => o.name === operationName);
  }
}

/**
 * The analyses of one document: usually one (one schema, one list size), so a short chain
 * rather than nested maps.
 */
interface CacheEntry {
  readonly schema: GraphQLSchema | null;
  readonly listSize: number;
  readonly analysis: DocumentAnalysis;
  next: CacheEntry | undefined;
}

/**
 * Where a document's analyses live: on the document itself, under a private, non-enumerable
 * symbol, so they die with it. Not in a `WeakMap`: an analysis refers to its document, and V8
 * keeps a weak-map entry whose value reaches its key alive through every young-generation
 * collection, promoting each document to the old generation. With every document new (Apollo's
 * cache off, the path an attacker picks), that made `parse` itself about 4x slower in the same
 * process (measured: 313 µs a 13 KB document with the property, 1.8 ms with a weak map).
 */
const ANALYSES = Symbol('bulwark.analyses');
/** Frozen (non-extensible) documents only: they cannot carry the property. */
const FROZEN = new WeakMap<DocumentNode, CacheEntry>();

type Carrier = DocumentNode & { [ANALYSES]?: CacheEntry };

function cached(document: DocumentNode): CacheEntry | undefined {
  const own = (document as Carrier)[ANALYSES];
  if (own !== undefined || Object.isExtensible(document)) return own;
  return FROZEN.get(document);
}

function remember(document: DocumentNode, entry: CacheEntry): void {
  if (Object.prototype.hasOwnProperty.call(document, ANALYSES)) {
    (document as Carrier)[ANALYSES] = entry;
  } else if (Object.isExtensible(document)) {
    Object.defineProperty(document, ANALYSES, {
      value: entry,
      writable: true,
      enumerable: false,
      configurable: false,
    });
  } else FROZEN.set(document, entry);
}

/**
 * Analyzes a document once and remembers the result for this (document, schema, options):
 * Apollo Server caches parsed documents, so a repeated query costs a lookup.
 */
export function analyzeDocument(
  schema: GraphQLSchema | null,
  document: DocumentNode,
  options: AnalysisOptions = {},
): DocumentAnalysis {
  const listSize = options.defaultListSize ?? DEFAULT_LIST_SIZE;
  const first = cached(document);
  for (let e = first; e !== undefined; e = e.next) {
    if (e.schema === schema && e.listSize === listSize) return e.analysis;
  }
  const analysis = walkDocument(schema, document, listSize);
  remember(document, { schema, listSize, analysis, next: first });
  return analysis;
}

function walkDocument(
  schema: GraphQLSchema | null,
  document: DocumentNode,
  listSize: number,
): DocumentAnalysis {
  const walker = new DocumentWalker(schema, document, listSize);
  const operations: OperationAnalysis[] = [];
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const container = new Container();
    const summary = walker.walkOperation(def, container);
    operations.push(new OperationAnalysis(walker, document, def, container, summary));
  }
  if (operations.length === 1) operations[0]!.singleOperation = true;
  return new DocumentAnalysis(operations, walker);
}

/** The analysis of the operation that will run, `undefined` when graphql-js would pick none. */
export function analyzeOperation(
  schema: GraphQLSchema | null,
  document: DocumentNode,
  operationName?: string | null,
  options?: AnalysisOptions,
): OperationAnalysis | undefined {
  return analyzeDocument(schema, document, options).operation(operationName);
}
