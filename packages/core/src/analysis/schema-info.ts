import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isInputObjectType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
} from 'graphql';
import type {
  ConstDirectiveNode,
  GraphQLArgument,
  GraphQLField,
  GraphQLInputField,
  GraphQLInputType,
  GraphQLNamedType,
  GraphQLOutputType,
  GraphQLSchema,
  GraphQLCompositeType,
  ValueNode,
} from 'graphql';

/** `@listSize` of the IBM GraphQL Cost Directive specification. */
export interface ListSizeInfo {
  readonly assumedSize: number | undefined;
  readonly slicingArguments: readonly string[];
  readonly sizedFields: readonly string[];
  readonly requireOneSlicingArgument: boolean;
}

/**
 * Where cost metadata comes from. The default reads `@cost` / `@listSize` from the schema's
 * SDL (AST nodes) and from code-first `extensions` (`{ cost: { weight } }`,
 * `{ listSize: {...} }`). A federated gateway registers one built from the supergraph SDL
 * (see {@link setCostMetadata}), because the API schema it sees carries no custom directives.
 */
export interface CostMetadata {
  /** `@cost` on a field definition. */
  fieldCost(typeName: string, fieldName: string): number | undefined;
  /** `@cost` on an object, scalar or enum type. */
  typeCost(typeName: string): number | undefined;
  /** `@cost` on an argument definition. */
  argumentCost(typeName: string, fieldName: string, argName: string): number | undefined;
  /** `@cost` on an input field definition. */
  inputFieldCost(inputTypeName: string, fieldName: string): number | undefined;
  /** `@listSize` on a field definition. */
  listSize(typeName: string, fieldName: string): ListSizeInfo | undefined;
}

/** What the walk needs of one field definition, computed once per schema. */
export interface FieldInfo {
  /** The field's name. */
  readonly name: string;
  readonly coordinate: string;
  readonly namedType: GraphQLNamedType;
  /** The named type when composite (the parent of the field's selection set). */
  readonly compositeType: GraphQLCompositeType | null;
  /** Number of list wrappers around the named type (`[[User]]` is 2). */
  readonly listWrappers: number;
  /** The field's own weight (may be negative: clamped per field). */
  readonly weight: number;
  readonly listSize: ListSizeInfo | undefined;
  /** Argument weights by argument name, `null` when none is weighted. */
  readonly argumentWeights: ReadonlyMap<string, number> | null;
  /** Argument definitions by name. */
  readonly args: ReadonlyMap<string, GraphQLArgument>;
  /** `Type.field(arg:)` by argument name, built once. */
  readonly argumentCoordinates: ReadonlyMap<string, string>;
  /** @internal The last walk that met this field (see `DocumentWalker`'s distinct count). */
  mark: number;
}

/**
 * A coordinate the walk met: a schema field's `FieldInfo`, or one of these for a coordinate the
 * schema does not define (`Type.__typename`, a typo), cached per type like the fields.
 */
export interface CoordinateMark {
  readonly coordinate: string;
  /**
   * @internal The last walk that met this coordinate; `-1` on one not cached (past the cache's
   * bound), which the walk counts by its string instead.
   */
  mark: number;
}

const METADATA = new WeakMap<GraphQLSchema, CostMetadata>();

/**
 * Registers where cost metadata for `schema` comes from (a gateway does this with metadata read
 * from the supergraph). Analyses of that schema made later use it.
 */
export function setCostMetadata(schema: GraphQLSchema, metadata: CostMetadata): void {
  METADATA.set(schema, metadata);
  INFO.delete(schema);
}

function numberArg(directive: ConstDirectiveNode, name: string): number | undefined {
  const arg = directive.arguments?.find((a) => a.name.value === name);
  if (!arg) return undefined;
  const v = arg.value;
  if (v.kind === Kind.INT || v.kind === Kind.FLOAT) return Number(v.value);
  // The IBM draft types `weight` as a String ("2.0"); Apollo's spec as an Int.
  if (v.kind === Kind.STRING) {
    const n = Number(v.value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function stringListArg(directive: ConstDirectiveNode, name: string): string[] {
  const arg = directive.arguments?.find((a) => a.name.value === name);
  if (!arg) return [];
  const v = arg.value;
  if (v.kind === Kind.LIST)
    return v.values.flatMap((x) => (x.kind === Kind.STRING ? [x.value] : []));
  if (v.kind === Kind.STRING) return [v.value];
  return [];
}

function boolArg(directive: ConstDirectiveNode, name: string): boolean | undefined {
  const arg = directive.arguments?.find((a) => a.name.value === name);
  return arg && arg.value.kind === Kind.BOOLEAN ? arg.value.value : undefined;
}

interface HasDirectives {
  astNode?: { directives?: readonly ConstDirectiveNode[] | undefined } | null | undefined;
  extensionASTNodes?: readonly { directives?: readonly ConstDirectiveNode[] | undefined }[];
  extensions?: Readonly<Record<string, unknown>> | null | undefined;
}

/** Finds a directive by name on a schema element (SDL AST, then extension AST nodes). */
export function findDirective(
  element: HasDirectives,
  name: string,
): ConstDirectiveNode | undefined {
  const own = element.astNode?.directives?.find((d) => d.name.value === name);
  if (own) return own;
  for (const ext of element.extensionASTNodes ?? []) {
    const d = ext.directives?.find((x) => x.name.value === name);
    if (d) return d;
  }
  return undefined;
}

function costOf(element: HasDirectives): number | undefined {
  const ext = element.extensions?.['cost'];
  if (typeof ext === 'number') return ext;
  if (ext && typeof ext === 'object' && typeof (ext as { weight?: unknown }).weight === 'number') {
    return (ext as { weight: number }).weight;
  }
  const d = findDirective(element, 'cost');
  return d ? numberArg(d, 'weight') : undefined;
}

function listSizeOf(element: HasDirectives): ListSizeInfo | undefined {
  const ext = element.extensions?.['listSize'] as Partial<ListSizeInfo> | undefined;
  if (ext && typeof ext === 'object') {
    return {
      assumedSize: ext.assumedSize,
      slicingArguments: ext.slicingArguments ?? [],
      sizedFields: ext.sizedFields ?? [],
      requireOneSlicingArgument: ext.requireOneSlicingArgument ?? true,
    };
  }
  const d = findDirective(element, 'listSize');
  if (!d) return undefined;
  return {
    assumedSize: numberArg(d, 'assumedSize'),
    slicingArguments: stringListArg(d, 'slicingArguments'),
    sizedFields: stringListArg(d, 'sizedFields'),
    requireOneSlicingArgument: boolArg(d, 'requireOneSlicingArgument') ?? true,
  };
}

/** Cost metadata read from a schema's SDL directives and code-first extensions. */
export function schemaCostMetadata(schema: GraphQLSchema): CostMetadata {
  const fieldOf = (t: string, f: string): GraphQLField<unknown, unknown> | undefined => {
    const type = schema.getType(t);
    return type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[f] : undefined;
  };
  return {
    fieldCost: (t, f) => {
      const field = fieldOf(t, f);
      return field ? costOf(field) : undefined;
    },
    typeCost: (t) => {
      const type = schema.getType(t);
      return type ? costOf(type) : undefined;
    },
    argumentCost: (t, f, a) => {
      const arg = fieldOf(t, f)?.args.find((x) => x.name === a);
      return arg ? costOf(arg) : undefined;
    },
    inputFieldCost: (t, f) => {
      const type = schema.getType(t);
      const field: GraphQLInputField | undefined = isInputObjectType(type)
        ? type.getFields()[f]
        : undefined;
      return field ? costOf(field) : undefined;
    },
    listSize: (t, f) => {
      const field = fieldOf(t, f);
      return field ? listSizeOf(field) : undefined;
    },
  };
}

/**
 * Named things (a type's fields, the schema's types) in buckets by name length: a name in a new
 * document is a string the parser has just cut out, and comparing it with the one or two names
 * of its length is about twice as fast as hashing it for a map lookup. Built from the schema
 * only (a bounded set); a name the schema does not define is not remembered, so clients cannot
 * grow a table.
 */
export type NameTable<T extends { readonly name: string }> = readonly (readonly T[] | undefined)[];

/** A type's fields (see `SchemaInfo.fieldTable`). */
export type FieldTable = NameTable<FieldInfo>;

function nameTable<T extends { readonly name: string }>(items: Iterable<T>): NameTable<T> {
  const table: T[][] = [];
  for (const item of items) (table[item.name.length] ??= []).push(item);
  return table;
}

/** The entry of `table` named `name`, `null` when there is none. */
export function findNamed<T extends { readonly name: string }>(
  table: NameTable<T>,
  name: string,
): T | null {
  const bucket = table[name.length];
  if (bucket !== undefined) {
    for (let i = 0; i < bucket.length; i++) {
      const item = bucket[i]!;
      if (item.name === name) return item;
    }
  }
  return null;
}

/** Per-schema facts the walk needs, computed lazily and cached. */
export class SchemaInfo {
  readonly schema: GraphQLSchema;
  readonly metadata: CostMetadata;
  /** Each type's fields (see `NameTable`). */
  private readonly fieldTables = new Map<GraphQLCompositeType, FieldTable>();
  private readonly possible = new Map<GraphQLCompositeType, readonly string[]>();
  private readonly possibleSets = new Map<GraphQLCompositeType, ReadonlySet<string>>();
  /** The schema's composite types (see `NameTable`), built on first use. */
  private compositeTable: NameTable<GraphQLCompositeType> | null = null;
  private readonly coordinates = new Map<GraphQLCompositeType, Map<string, CoordinateMark>>();
  private readonly typenames = new Map<GraphQLCompositeType, CoordinateMark>();
  private readonly abstract = new Map<GraphQLCompositeType, boolean>();
  private readonly typeWeights = new Map<string, number>();
  private readonly inputWeights = new Map<string, number | null>();

  constructor(schema: GraphQLSchema, metadata: CostMetadata) {
    this.schema = schema;
    this.metadata = metadata;
  }

  /** The field `name` of `parent`, `null` when unknown. */
  field(parent: GraphQLCompositeType, name: string): FieldInfo | null {
    return findNamed(this.fieldTable(parent), name);
  }

  /**
   * `parent`'s fields, for `findNamed`: a walk fetches the table once per
   * selection set rather than once per field.
   */
  fieldTable(parent: GraphQLCompositeType): FieldTable {
    let table = this.fieldTables.get(parent);
    if (table === undefined) {
      table = this.buildFieldTable(parent);
      this.fieldTables.set(parent, table);
    }
    return table;
  }

  private buildFieldTable(parent: GraphQLCompositeType): FieldTable {
    if (!(isObjectType(parent) || isInterfaceType(parent))) return [];
    return nameTable(Object.values(parent.getFields()).map((def) => this.buildField(parent, def)));
  }

  /**
   * The composite type named `name` (a type condition), `null` when the schema has none. Looked
   * up as the fields are: a type condition is a string the parser has just cut out.
   */
  compositeType(name: string): GraphQLCompositeType | null {
    this.compositeTable ??= nameTable(
      Object.values(this.schema.getTypeMap()).filter((t) => isCompositeType(t)),
    );
    return findNamed(this.compositeTable, name);
  }

  /**
   * `Type.field` for a field the schema does not define (meta fields, typos), cached.
   * `__typename`, the most common of them, is cached by type alone, so that it is not hashed
   * afresh in every document.
   */
  coordinate(parent: GraphQLCompositeType, name: string): CoordinateMark {
    if (name === '__typename') {
      let c = this.typenames.get(parent);
      if (c === undefined) {
        c = { coordinate: `${parent.name}.__typename`, mark: 0 };
        this.typenames.set(parent, c);
      }
      return c;
    }
    let byName = this.coordinates.get(parent);
    if (!byName) {
      byName = new Map();
      this.coordinates.set(parent, byName);
    }
    let c = byName.get(name);
    if (c === undefined) {
      // Unknown names come from the client: keep the cache bounded.
      const cached = byName.size < 1000;
      c = { coordinate: `${parent.name}.${name}`, mark: cached ? 0 : -1 };
      if (cached) byName.set(name, c);
    }
    return c;
  }

  /** True for interfaces and unions (cached: graphql-js's checks are `instanceof` chains). */
  isAbstract(type: GraphQLCompositeType): boolean {
    let a = this.abstract.get(type);
    if (a === undefined) {
      a = isAbstractType(type);
      this.abstract.set(type, a);
    }
    return a;
  }

  /** Names of the object types a selection on `type` may resolve to. */
  possibleTypeNames(type: GraphQLCompositeType): readonly string[] {
    let names = this.possible.get(type);
    if (!names) {
      names = isAbstractType(type)
        ? this.schema.getPossibleTypes(type).map((t) => t.name)
        : [type.name];
      this.possible.set(type, names);
    }
    return names;
  }

  /** `possibleTypeNames` as a set, cached. */
  possibleTypeSet(type: GraphQLCompositeType): ReadonlySet<string> {
    let set = this.possibleSets.get(type);
    if (!set) {
      set = new Set(this.possibleTypeNames(type));
      this.possibleSets.set(type, set);
    }
    return set;
  }

  /** The weight of an input field when supplied in a literal, 0 when unweighted. */
  inputFieldWeight(inputType: string, field: string): number {
    const key = `${inputType}.${field}`;
    let w = this.inputWeights.get(key);
    if (w === undefined) {
      w = this.metadata.inputFieldCost(inputType, field) ?? null;
      this.inputWeights.set(key, w);
    }
    return w ?? 0;
  }

  /** The weight of a field of this named return type, per the IBM defaults. */
  typeWeight(type: GraphQLNamedType): number {
    let w = this.typeWeights.get(type.name);
    if (w === undefined) {
      if (isAbstractType(type)) {
        // Abstract types take the maximum over their possible types.
        let max = -Infinity;
        for (const t of this.schema.getPossibleTypes(type))
          max = Math.max(max, this.metadata.typeCost(t.name) ?? 1);
        w = max === -Infinity ? 1 : max;
      } else {
        w = this.metadata.typeCost(type.name) ?? (isCompositeType(type) ? 1 : 0);
      }
      this.typeWeights.set(type.name, w);
    }
    return w;
  }

  private buildField(parent: GraphQLCompositeType, def: GraphQLField<unknown, unknown>): FieldInfo {
    const name = def.name;
    let listWrappers = 0;
    let t: GraphQLOutputType = def.type;
    for (;;) {
      t = getNullableType(t);
      if (isListType(t)) {
        listWrappers++;
        t = t.ofType;
      } else break;
    }
    const namedType = getNamedType(def.type);
    const weight = this.metadata.fieldCost(parent.name, name) ?? this.typeWeight(namedType);
    let argumentWeights: Map<string, number> | null = null;
    const args = new Map<string, GraphQLArgument>();
    const argumentCoordinates = new Map<string, string>();
    for (const arg of def.args) {
      args.set(arg.name, arg);
      argumentCoordinates.set(arg.name, `${parent.name}.${name}(${arg.name}:)`);
      const w = this.metadata.argumentCost(parent.name, name, arg.name);
      if (w !== undefined) (argumentWeights ??= new Map()).set(arg.name, w);
    }
    return {
      name,
      coordinate: `${parent.name}.${name}`,
      namedType,
      compositeType: isCompositeType(namedType) ? namedType : null,
      listWrappers,
      weight,
      listSize: this.metadata.listSize(parent.name, name),
      argumentWeights,
      args,
      argumentCoordinates,
      mark: 0,
    };
  }
}

/**
 * The cost metadata registered for `schema` with {@link setCostMetadata}, if any (a schema
 * transform that returns a new schema can carry it over).
 */
export function getCostMetadata(schema: GraphQLSchema): CostMetadata | undefined {
  return METADATA.get(schema);
}

const INFO = new WeakMap<GraphQLSchema, SchemaInfo>();

/** The cached {@link SchemaInfo} of a schema. */
export function schemaInfo(schema: GraphQLSchema): SchemaInfo {
  let info = INFO.get(schema);
  if (!info) {
    info = new SchemaInfo(schema, METADATA.get(schema) ?? schemaCostMetadata(schema));
    INFO.set(schema, info);
  }
  return info;
}

/** The weight of the input fields a literal value supplies, recursively. */
export function literalInputWeight(
  info: SchemaInfo,
  type: GraphQLInputType,
  value: ValueNode,
): number {
  const named = getNamedType(type);
  if (!isInputObjectType(named)) return 0;
  if (value.kind === Kind.LIST) {
    let sum = 0;
    for (const v of value.values) sum += literalInputWeight(info, type, v);
    return sum;
  }
  if (value.kind !== Kind.OBJECT) return 0;
  const fields = named.getFields();
  let sum = 0;
  for (const f of value.fields) {
    const def = fields[f.name.value];
    if (!def) continue;
    sum += info.inputFieldWeight(named.name, f.name.value);
    sum += literalInputWeight(info, def.type, f.value);
  }
  return sum;
}
