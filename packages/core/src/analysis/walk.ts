import { isInputObjectType, getNamedType, Kind } from 'graphql';
import type {
  ArgumentNode,
  DirectiveNode,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  FragmentSpreadNode,
  GraphQLCompositeType,
  GraphQLInputType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
  ValueNode,
} from 'graphql';
import { condCost, fieldCost, maxCost, sumCost } from './cost.js';
import type { CostExpr, SizeExpr, SliceRef } from './cost.js';
import { findNamed, literalInputWeight, schemaInfo } from './schema-info.js';
import type {
  CoordinateMark,
  FieldInfo,
  FieldTable,
  ListSizeInfo,
  SchemaInfo,
} from './schema-info.js';

/**
 * Nesting (fields and fragment hops) beyond which the walk stops descending. graphql-js's
 * recursive parser overflows the stack near 1,500 levels; a legitimate operation is far
 * below this. A truncated analysis is incomplete: limits reject it, and authorization and
 * rate limiting must refuse it too (see `OperationAnalysis.truncated`).
 */
export const MAX_WALK_DEPTH = 500;

/**
 * How many times a fragment may be walked again under a distinct `@listSize(sizedFields:)`
 * context, per document, before the cost of further ones counts as unbounded.
 */
const SIZED_REWALK_BUDGET = 256;

/** What one selection set contributes, relative to where it appears. */
export interface SetSummary {
  /** graphql-depth-limit depth: a leaf field is 0, a field with a selection set 1 + its children. */
  depth: number;
  /** The same, with `__schema` and `__type` subtrees counted 0 (graphql-depth-limit's own rule). */
  plainDepth: number;
  /** Most list-typed fields on one path below (list wrappers counted). */
  listDepth: number;
  /** Field occurrences after fragment expansion. */
  fields: number;
  /** Aliased field occurrences after fragment expansion. */
  aliases: number;
  /** Of which aliases of `__typename`. */
  typenameAliases: number;
  /** Directive occurrences after fragment expansion (on spreads too). */
  directives: number;
  /** Fields at this level (the root fields, for an operation), after fragment expansion. */
  topFields: number;
  /** `__schema` / `__type` occurrences (introspection), after fragment expansion. */
  introspection: number;
  /** `__typename` occurrences, after fragment expansion. */
  typenames: number;
  /** Cost of the set, relative to its parent type. */
  cost: CostExpr;
}

/** Walks begun so far: each takes the next number as its mark on the schema's fields. */
let walkStamps = 0;

const EMPTY_COUNTS: ReadonlyMap<string, number> = new Map();
const NO_VIOLATIONS: readonly SlicingViolation[] = Object.freeze([]);
const NO_SPREADS: readonly FragmentState[] = Object.freeze([]);

/**
 * Data local to one container (an operation body or a fragment body), not through spreads.
 * Maps other than the coordinates are created on first use: a document of 5,000 trivial
 * operations must not pay for 20,000 empty maps.
 */
export class Container {
  /** Field coordinates selected in this body, one entry per occurrence (counted on demand). */
  readonly coordinateList: string[] = [];
  private counts: Map<string, number> | null = null;
  private args: Map<string, number> | null = null;
  private inputs: Map<string, number> | null = null;
  private spreadStates: FragmentState[] | null = null;
  private violations: SlicingViolation[] | null = null;

  /** Field coordinates selected in this body → occurrences. */
  get coordinates(): ReadonlyMap<string, number> {
    if (this.counts === null) {
      const counts = new Map<string, number>();
      for (const c of this.coordinateList) counts.set(c, (counts.get(c) ?? 0) + 1);
      this.counts = counts;
    }
    return this.counts;
  }

  /** Argument coordinates supplied in this body → occurrences. */
  get arguments(): ReadonlyMap<string, number> {
    return this.args ?? EMPTY_COUNTS;
  }
  /** Input fields supplied in literals of this body → occurrences. */
  get inputFields(): ReadonlyMap<string, number> {
    return this.inputs ?? EMPTY_COUNTS;
  }
  /**
   * The fragments spread in this body, one entry per spread (a fragment spread twice is listed
   * twice). Cycle and unknown spreads excluded. States, not names: no lookup by name later.
   */
  get spreads(): readonly FragmentState[] {
    return this.spreadStates ?? NO_SPREADS;
  }
  /** `@listSize` fields of this body queried without exactly one slicing argument. */
  get slicingViolations(): readonly SlicingViolation[] {
    return this.violations ?? NO_VIOLATIONS;
  }

  addArgument(key: string): void {
    add((this.args ??= new Map()), key, 1);
  }
  inputFieldCounts(): Map<string, number> {
    return (this.inputs ??= new Map());
  }
  addSpread(state: FragmentState): void {
    (this.spreadStates ??= []).push(state);
  }
  addViolation(v: SlicingViolation): void {
    (this.violations ??= []).push(v);
  }
}

/** A `@listSize(requireOneSlicingArgument: true)` field queried without exactly one slicing argument. */
export interface SlicingViolation {
  readonly coordinate: string;
  readonly node: FieldNode;
  readonly slicingArguments: readonly string[];
  readonly supplied: number;
}

/** The `@listSize(sizedFields:)` of the field a set sits under, and the size it gives them. */
class SizedContext {
  private keyValue: string | null = null;
  constructor(
    readonly names: readonly string[],
    readonly size: SizeExpr,
  ) {}
  /**
   * What tells two contexts apart for a fragment's cost, built on first use: most connections
   * spread no fragment directly under their sized fields.
   */
  get key(): string {
    return (this.keyValue ??= `${this.names.join(',')}|${sizeSignature(this.size)}`);
  }
}

export interface FragmentState {
  readonly name: string;
  summary: SetSummary;
  container: Container;
  type: GraphQLCompositeType | null;
  /** Finishing order of the walk: a fragment finishes after every fragment it spreads. */
  order: number;
}

export const VISITING = Symbol('visiting');

/** A fragment definition and its walk: not yet walked (null), being walked, or done. */
export interface FragmentSlot {
  readonly def: FragmentDefinitionNode;
  state: FragmentState | typeof VISITING | null;
}

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function emptySummary(): SetSummary {
  return {
    depth: 0,
    plainDepth: 0,
    listDepth: 0,
    fields: 0,
    aliases: 0,
    typenameAliases: 0,
    directives: 0,
    topFields: 0,
    introspection: 0,
    typenames: 0,
    cost: 0,
  };
}

function resetSummary(s: SetSummary): SetSummary {
  s.depth = 0;
  s.plainDepth = 0;
  s.listDepth = 0;
  s.fields = 0;
  s.aliases = 0;
  s.typenameAliases = 0;
  s.directives = 0;
  s.topFields = 0;
  s.introspection = 0;
  s.typenames = 0;
  s.cost = 0;
  return s;
}

function sizeSignature(size: SizeExpr): string {
  if (typeof size === 'number') return String(size);
  return (
    size.slices
      .map((s) => ('lit' in s ? `#${s.lit}` : `$${s.variable}:${s.argumentDefault ?? ''}`))
      .join(',') + `|${size.fallback}`
  );
}

/**
 * The one walk over a document. Fragments are summarized once, by values relative to their
 * spread (depth below the spread, cost of their selection), so a fragment spread at different
 * depths is measured right each time and a 2^N fan-out costs O(N). Cycles and unknown
 * fragments, fields and types are tolerated: the walk may run beside graphql-js validation.
 */
export class DocumentWalker {
  readonly info: SchemaInfo | null;
  /** The document's fragments by name (the first definition of a name wins), and their walk. */
  readonly fragments = new Map<string, FragmentSlot>();
  private readonly sizedFragments = new Map<string, CostExpr>();
  /**
   * One summary per nesting level for the sets whose summary is read once by the caller and
   * dropped (a field's selection set, an inline fragment): a set is summarized after its
   * children, so the children's level is free again when it is used. Operations and fragments,
   * whose summaries are kept, get their own.
   */
  private readonly scratch: SetSummary[] = [];
  private sizedRewalks = 0;
  /** > 0 while a fragment is walked again for its cost only: no side effect is recorded then. */
  private rewalking = 0;
  readonly defaultListSize: number;
  truncated = false;
  /**
   * This walk's mark on the schema's fields (see `FieldInfo.mark`): a field whose mark is not
   * this one has not been met yet. Counting distinct fields this way spares hashing a string
   * per field occurrence; walks run one at a time, so marks cannot interleave.
   */
  private readonly stamp = ++walkStamps;
  /** Distinct schema fields met, outside cost-only re-walks (see `distinctFields`). */
  private knownDistinct = 0;
  /** Distinct coordinates met past the cache of unknown ones (see `CoordinateMark.mark`). */
  private unknownDistinct: Set<string> | null = null;
  private finished = 0;
  /**
   * Every slicing violation the walk met, outside cost-only re-walks: the operation's, in a
   * document with one operation (as for `distinct`).
   */
  readonly violations: SlicingViolation[] = [];
  cycles = 0;
  unknownFragments = 0;
  /** The first spread met that names no fragment of the document. */
  firstUnknownSpread: FragmentSpreadNode | null = null;

  /**
   * When set, the "cost" of a field is `measure(coordinate)` instead of its weight: with 1 for
   * some coordinates and 0 for the rest, the plan counts how many times those fields resolve
   * (occurrences × the list sizes above them).
   */
  readonly measure: ((coordinate: string) => number) | null;

  constructor(
    schema: GraphQLSchema | null,
    document: DocumentNode,
    defaultListSize: number,
    measure: ((coordinate: string) => number) | null = null,
  ) {
    this.info = schema ? schemaInfo(schema) : null;
    this.defaultListSize = defaultListSize;
    this.measure = measure;
    // Backwards, so that the first definition of a name is the one kept, one map write each.
    const defs = document.definitions;
    for (let i = defs.length - 1; i >= 0; i--) {
      const def = defs[i]!;
      if (def.kind === Kind.FRAGMENT_DEFINITION)
        this.fragments.set(def.name.value, { def, state: null });
    }
  }

  /**
   * How many distinct coordinates the walk met, outside cost-only re-walks. In a document with
   * one operation every walked fragment is reachable from it, so this is the operation's height.
   */
  get distinctFields(): number {
    return this.knownDistinct + (this.unknownDistinct?.size ?? 0);
  }

  /** Summarizes an operation's selection set, filling `container` with its local data. */
  walkOperation(operation: OperationDefinitionNode, container: Container): SetSummary {
    const root = this.rootType(operation);
    const summary = this.walkSet(operation.selectionSet, root, container, 1, null, emptySummary());
    summary.directives += operation.directives?.length ?? 0;
    for (const v of operation.variableDefinitions ?? [])
      summary.directives += v.directives?.length ?? 0;
    return summary;
  }

  rootType(operation: OperationDefinitionNode): GraphQLCompositeType | null {
    return this.info?.schema.getRootType(operation.operation) ?? null;
  }

  /** The state of a fragment, walking it on first use. */
  fragment(name: string, level: number): FragmentState | typeof VISITING | undefined {
    const slot = this.fragments.get(name);
    if (slot === undefined) return undefined;
    if (slot.state !== null) return slot.state;
    const def = slot.def;
    slot.state = VISITING;
    const type = this.namedComposite(def.typeCondition.name.value);
    const container = new Container();
    const summary = this.walkSet(def.selectionSet, type, container, level, null, emptySummary());
    summary.directives += def.directives?.length ?? 0;
    const state: FragmentState = { name, summary, container, type, order: this.finished++ };
    slot.state = state;
    return state;
  }

  private namedComposite(name: string): GraphQLCompositeType | null {
    return this.info?.compositeType(name) ?? null;
  }

  /** A reset summary of `level` for a set whose summary the caller reads once. */
  private scratchAt(level: number): SetSummary {
    const s = this.scratch[level];
    if (s === undefined) return (this.scratch[level] = emptySummary());
    return resetSummary(s);
  }

  /** Summarizes `set` into `out` and returns it. */
  private walkSet(
    set: SelectionSetNode,
    parent: GraphQLCompositeType | null,
    container: Container,
    level: number,
    sized: SizedContext | null,
    out: SetSummary,
  ): SetSummary {
    if (level > MAX_WALK_DEPTH) {
      this.truncated = true;
      return out;
    }
    const info = this.info;
    // Cost: contributions common to every possible type, and per-type ones (fragments with a
    // narrower type condition). The set costs the maximum over possible types.
    // Numbers are summed on the spot; only plan nodes (variables) need a list.
    let commonConst = 0;
    let commonNodes: CostExpr[] | null = null;
    let perType: Map<string, CostExpr[]> | null = null;
    const abstract = parent !== null && info !== null && info.isAbstract(parent);
    // The parent's fields, fetched at the first field: many sets hold only spreads.
    let table: FieldTable | null = null;

    for (const sel of set.selections) {
      const directives = sel.directives;
      let dirCount = directives?.length ?? 0;
      const cond = dirCount > 0 ? conditionOf(directives!) : null;
      if (sel.kind === Kind.FIELD) {
        if (table === null && parent !== null && info !== null) table = info.fieldTable(parent);
        const c = applyCondition(
          cond,
          this.walkField(sel, parent, table, container, level, sized, out),
        );
        if (typeof c === 'number') commonConst += c;
        else (commonNodes ??= []).push(c);
      } else {
        let s: SetSummary;
        let typeCond: GraphQLCompositeType | null = parent;
        if (sel.kind === Kind.INLINE_FRAGMENT) {
          if (sel.typeCondition) typeCond = this.namedComposite(sel.typeCondition.name.value);
          s = this.walkSet(
            sel.selectionSet,
            typeCond,
            container,
            level + 1,
            sized,
            this.scratchAt(level + 1),
          );
        } else {
          const name = sel.name.value;
          const state = this.fragment(name, level + 1);
          if (state === undefined) {
            if (this.rewalking === 0) {
              this.unknownFragments++;
              this.firstUnknownSpread ??= sel;
            }
            out.directives += dirCount;
            continue;
          }
          if (state === VISITING) {
            if (this.rewalking === 0) this.cycles++;
            out.directives += dirCount;
            continue;
          }
          container.addSpread(state);
          typeCond = state.type;
          s = state.summary;
          if (sized !== null) s = { ...s, cost: this.sizedFragmentCost(state, level + 1, sized) };
        }
        out.fields += s.fields;
        out.aliases += s.aliases;
        out.typenameAliases += s.typenameAliases;
        out.introspection += s.introspection;
        out.typenames += s.typenames;
        out.topFields += s.topFields;
        dirCount += s.directives;
        if (s.depth > out.depth) out.depth = s.depth;
        if (s.plainDepth > out.plainDepth) out.plainDepth = s.plainDepth;
        if (s.listDepth > out.listDepth) out.listDepth = s.listDepth;
        const c = applyCondition(cond, s.cost);
        if (c !== 0) {
          if (
            !abstract ||
            typeCond === null ||
            typeCond === parent ||
            info === null ||
            covers(info.possibleTypeNames(typeCond), info.possibleTypeNames(parent!))
          ) {
            if (typeof c === 'number') commonConst += c;
            else (commonNodes ??= []).push(c);
          } else {
            perType ??= new Map();
            for (const n of info.possibleTypeNames(typeCond)) {
              const list = perType.get(n);
              if (list) list.push(c);
              else perType.set(n, [c]);
            }
          }
        }
      }
      out.directives += dirCount;
    }

    const base: CostExpr =
      commonNodes === null
        ? commonConst
        : sumCost(commonConst === 0 ? commonNodes : [commonConst, ...commonNodes]);
    if (perType === null) out.cost = base;
    else {
      const inParent = info!.possibleTypeSet(parent!);
      const options: CostExpr[] = [base];
      for (const [name, list] of perType) {
        options.push(inParent.has(name) ? sumCost([base, ...list]) : sumCost(list));
      }
      out.cost = maxCost(options);
    }
    return out;
  }

  /** A fragment spread under a field whose `@listSize(sizedFields:)` sizes its top-level fields. */
  private sizedFragmentCost(state: FragmentState, level: number, sized: SizedContext): CostExpr {
    const key = `${state.name}\u0000${sized.key}`;
    const known = this.sizedFragments.get(key);
    if (known !== undefined) return known;
    if (this.sizedRewalks >= SIZED_REWALK_BUDGET) return Infinity;
    this.sizedRewalks++;
    // Re-walk only for the cost; structure and local data were recorded on the first walk.
    const slot = this.fragments.get(state.name)!;
    slot.state = VISITING;
    this.rewalking++;
    const { cost } = this.walkSet(
      slot.def.selectionSet,
      state.type,
      new Container(),
      level,
      sized,
      this.scratchAt(level),
    );
    this.rewalking--;
    slot.state = state;
    this.sizedFragments.set(key, cost);
    return cost;
  }

  /**
   * Walks one field, adding its counts (and its subtree's) to `acc`, raising `acc.depth` and
   * `acc.listDepth` to the field's, and returning the field's cost. Accumulating into the
   * caller's summary spares an object per field.
   */
  private walkField(
    node: FieldNode,
    parent: GraphQLCompositeType | null,
    table: FieldTable | null,
    container: Container,
    level: number,
    sized: SizedContext | null,
    acc: SetSummary,
  ): CostExpr {
    const name = node.name.value;
    acc.fields += 1;
    acc.topFields += 1;
    if (node.alias) {
      acc.aliases += 1;
      if (name === '__typename') acc.typenameAliases += 1;
    }
    const info = this.info;
    let field: FieldInfo | null = null;
    let childType: GraphQLCompositeType | null = null;
    if (name.charCodeAt(0) === 95 /* _ */ && name.charCodeAt(1) === 95) {
      if (name === '__typename') acc.typenames += 1;
      else if (name === '__schema' || name === '__type') {
        acc.introspection += 1;
        childType = this.namedComposite(name === '__schema' ? '__Schema' : '__Type');
      }
    } else if (table !== null) {
      field = findNamed(table, name);
      childType = field?.compositeType ?? null;
    }

    const known: CoordinateMark | null =
      field ?? (parent === null || info === null ? null : info.coordinate(parent, name));
    const coordinate = known?.coordinate ?? null;
    if (known !== null) {
      container.coordinateList.push(known.coordinate);
      if (this.rewalking === 0 && this.measure === null && known.mark !== this.stamp) {
        if (known.mark === -1) (this.unknownDistinct ??= new Set()).add(known.coordinate);
        else {
          known.mark = this.stamp;
          this.knownDistinct++;
        }
      }
      if (node.arguments && node.arguments.length > 0)
        this.recordArguments(node.arguments, known.coordinate, field, container);
    }

    const measure = this.measure;
    let weight = measure
      ? coordinate !== null
        ? measure(coordinate)
        : 0
      : field
        ? field.weight
        : 0;
    let size: SizeExpr = 1;
    let childSized: SizedContext | null = null;
    if (field) {
      if (!measure && (field.argumentWeights !== null || node.arguments?.length)) {
        weight += this.argumentWeight(node, field);
      }
      if (sized !== null && sized.names.includes(name)) size = sized.size;
      else if (field.listSize) {
        const ls = field.listSize;
        const s = this.listSize(node, field, ls, container);
        if (ls.sizedFields.length > 0) {
          childSized = new SizedContext(ls.sizedFields, s);
          if (field.listWrappers > 0) size = s;
        } else size = s;
      } else if (field.listWrappers > 0) size = this.defaultListSize;
    }

    let childCost: CostExpr = 0;
    let depth = 0;
    let plainDepth = 0;
    let listDepth = field ? field.listWrappers : 0;
    if (node.selectionSet) {
      const s = this.walkSet(
        node.selectionSet,
        childType,
        container,
        level + 1,
        childSized,
        this.scratchAt(level + 1),
      );
      depth = 1 + s.depth;
      // `__`-prefixed fields count 0 for the plain depth, as in graphql-depth-limit.
      if (!(name.charCodeAt(0) === 95 && name.charCodeAt(1) === 95)) plainDepth = 1 + s.plainDepth;
      listDepth += s.listDepth;
      acc.fields += s.fields;
      acc.aliases += s.aliases;
      acc.typenameAliases += s.typenameAliases;
      acc.directives += s.directives;
      acc.introspection += s.introspection;
      acc.typenames += s.typenames;
      childCost = s.cost;
    }
    if (depth > acc.depth) acc.depth = depth;
    if (plainDepth > acc.plainDepth) acc.plainDepth = plainDepth;
    if (listDepth > acc.listDepth) acc.listDepth = listDepth;
    return fieldCost(weight, size, childCost);
  }

  private recordArguments(
    args: readonly ArgumentNode[],
    coordinate: string,
    field: FieldInfo | null,
    container: Container,
  ): void {
    for (const arg of args) {
      const name = arg.name.value;
      container.addArgument(field?.argumentCoordinates.get(name) ?? `${coordinate}(${name}:)`);
      const def = field?.args.get(name);
      if (def && (arg.value.kind === Kind.OBJECT || arg.value.kind === Kind.LIST)) {
        recordInputFields(def.type, arg.value, container.inputFieldCounts());
      }
    }
  }

  private argumentWeight(node: FieldNode, field: FieldInfo): number {
    let w = 0;
    const info = this.info!;
    for (const arg of node.arguments ?? []) {
      const aw = field.argumentWeights?.get(arg.name.value);
      if (aw !== undefined) w += aw;
      const def = field.args.get(arg.name.value);
      if (def && (arg.value.kind === Kind.OBJECT || arg.value.kind === Kind.LIST)) {
        w += literalInputWeight(info, def.type, arg.value);
      }
    }
    return w;
  }

  /** The list size of a field with `@listSize`, from its slicing arguments. */
  private listSize(
    node: FieldNode,
    field: FieldInfo,
    ls: ListSizeInfo,
    container: Container,
  ): SizeExpr {
    const fallback = ls.assumedSize ?? this.defaultListSize;
    if (ls.slicingArguments.length === 0) return fallback;
    // Literal sizes (and defaults of absent arguments) fold into their maximum on the spot; only
    // variables need a plan, evaluated per request (`evaluateSize` takes the maximum too).
    let literal = -1;
    let variables: SliceRef[] | null = null;
    let supplied = 0;
    let anyDefault = false;
    const args = node.arguments;
    for (const argName of ls.slicingArguments) {
      const def = field.args.get(argName);
      const argumentDefault =
        typeof def?.defaultValue === 'number' ? Math.max(0, def.defaultValue) : undefined;
      if (argumentDefault !== undefined) anyDefault = true;
      let arg: ArgumentNode | undefined;
      if (args !== undefined) {
        for (let i = 0; i < args.length; i++) {
          if (args[i]!.name.value === argName) {
            arg = args[i];
            break;
          }
        }
      }
      if (arg === undefined) {
        if (argumentDefault !== undefined && argumentDefault > literal) literal = argumentDefault;
        continue;
      }
      supplied++;
      const v = arg.value;
      if (v.kind === Kind.INT || v.kind === Kind.FLOAT) {
        const n = Math.max(0, Number(v.value));
        if (n > literal) literal = n;
      } else if (v.kind === Kind.VARIABLE) {
        (variables ??= []).push({ variable: v.name.value, argumentDefault });
      }
      // Anything else (null, a string) is invalid or empty: validation or coercion reports it.
    }
    if (ls.requireOneSlicingArgument && (supplied > 1 || (supplied === 0 && !anyDefault))) {
      const violation: SlicingViolation = {
        coordinate: field.coordinate,
        node,
        slicingArguments: ls.slicingArguments,
        supplied,
      };
      container.addViolation(violation);
      if (this.rewalking === 0) this.violations.push(violation);
    }
    if (variables === null) return literal < 0 ? fallback : literal;
    if (literal >= 0) variables.push({ lit: literal });
    return { k: 'size', slices: variables, fallback };
  }
}

function covers(names: readonly string[], required: readonly string[]): boolean {
  if (names.length < required.length) return false;
  for (const r of required) if (!names.includes(r)) return false;
  return true;
}

interface Condition {
  readonly variable: string;
  readonly skip: boolean;
}

const EXCLUDED: Condition = { variable: '', skip: true };

/** `@skip` / `@include` of a selection: null (always), EXCLUDED (never) or a variable condition. */
function conditionOf(directives: readonly DirectiveNode[]): Condition | null {
  let result: Condition | null = null;
  for (const d of directives) {
    const name = d.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const arg = d.arguments?.find((a) => a.name.value === 'if');
    if (!arg) continue;
    const skip = name === 'skip';
    if (arg.value.kind === Kind.BOOLEAN) {
      if (arg.value.value === skip) return EXCLUDED;
    } else if (arg.value.kind === Kind.VARIABLE) {
      // With two variable conditions, keep the first: the estimate stays an upper bound.
      result ??= { variable: arg.value.name.value, skip };
    }
  }
  return result;
}

function applyCondition(cond: Condition | null, cost: CostExpr): CostExpr {
  if (cond === null) return cost;
  if (cond === EXCLUDED) return 0;
  return condCost(cond.variable, cond.skip, cost);
}

/** Records the input fields a literal value supplies (`UpdateUserInput.role`), recursively. */
function recordInputFields(
  type: GraphQLInputType,
  value: ValueNode,
  out: Map<string, number>,
): void {
  const named = getNamedType(type);
  if (!isInputObjectType(named)) return;
  if (value.kind === Kind.LIST) {
    for (const v of value.values) recordInputFields(type, v, out);
    return;
  }
  if (value.kind !== Kind.OBJECT) return;
  const fields = named.getFields();
  for (const f of value.fields) {
    add(out, `${named.name}.${f.name.value}`, 1);
    const def = fields[f.name.value];
    if (def) recordInputFields(def.type, f.value, out);
  }
}
