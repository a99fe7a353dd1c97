/**
 * The cost plan: a small expression DAG built once per document by the walk. Everything that
 * does not depend on variables is folded to a number at build time; what remains (list sizes
 * from `first: $n`, `@include(if: $x)`) is evaluated per request in linear time, shared
 * fragment nodes being evaluated once per request.
 */

/** A slicing argument as written: a literal, or a variable with the defaults that apply. */
export type SliceRef =
  | { readonly lit: number }
  | {
      readonly variable: string;
      /** Default of the argument in the schema (`first: Int = 10`). */
      readonly argumentDefault: number | undefined;
    };

/** A list size that depends on variables. */
export interface SizeRef {
  readonly k: 'size';
  readonly slices: readonly SliceRef[];
  /** Used when no slicing argument has a value: `assumedSize`, else the default list size. */
  readonly fallback: number;
}

/** A list size: a number, or a reference to variables. */
export type SizeExpr = number | SizeRef;

interface Memo {
  /** Evaluation generation of the cached value. */
  g: number;
  v: number;
}

/** Σ terms + c. */
export interface SumNode extends Memo {
  readonly k: 'sum';
  readonly c: number;
  readonly terms: readonly CostNode[];
}

/** max(c, terms...). */
export interface MaxNode extends Memo {
  readonly k: 'max';
  readonly c: number;
  readonly terms: readonly CostNode[];
}

/** max(0, w + size × child): one field. */
export interface FieldCostNode extends Memo {
  readonly k: 'field';
  readonly w: number;
  readonly size: SizeExpr;
  readonly child: CostExpr;
}

/** `body` unless `@skip(if: $v)` / `@include(if: $v)` removes it. */
export interface CondNode extends Memo {
  readonly k: 'cond';
  readonly variable: string;
  /** true for `@skip`, false for `@include`. */
  readonly skip: boolean;
  readonly body: CostNode;
}

/** A node of the cost plan. */
export type CostNode = SumNode | MaxNode | FieldCostNode | CondNode;
/** A cost: folded to a number, or a node to evaluate with variables. */
export type CostExpr = number | CostNode;

/** Σ of expressions, folded. */
export function sumCost(terms: readonly CostExpr[]): CostExpr {
  let c = 0;
  let nodes: CostNode[] | null = null;
  for (const t of terms) {
    if (typeof t === 'number') c += t;
    else (nodes ??= []).push(t);
  }
  if (!nodes) return c;
  if (nodes.length === 1 && c === 0) return nodes[0]!;
  return { k: 'sum', c, terms: nodes, g: 0, v: 0 };
}

/** max of expressions (and 0 when empty), folded. */
export function maxCost(terms: readonly CostExpr[]): CostExpr {
  let c = 0;
  let nodes: CostNode[] | null = null;
  for (const t of terms) {
    if (typeof t === 'number') c = Math.max(c, t);
    else (nodes ??= []).push(t);
  }
  if (!nodes) return c;
  if (nodes.length === 1 && c === 0) return nodes[0]!;
  return { k: 'max', c, terms: nodes, g: 0, v: 0 };
}

/** The cost of one field, folded when size and child are known. */
export function fieldCost(w: number, size: SizeExpr, child: CostExpr): CostExpr {
  if (typeof size === 'number' && typeof child === 'number') return clampField(w + size * child);
  return { k: 'field', w, size, child, g: 0, v: 0 };
}

/** `body` under a variable condition. */
export function condCost(variable: string, skip: boolean, body: CostExpr): CostExpr {
  if (typeof body === 'number' && body === 0) return 0;
  const node: CostNode =
    typeof body === 'number' ? { k: 'sum', c: body, terms: [], g: 0, v: 0 } : body;
  return { k: 'cond', variable, skip, body: node, g: 0, v: 0 };
}

function clampField(v: number): number {
  // A field never costs less than nothing: a negative weight or `first: -5` cannot cancel a
  // sibling. NaN (0 × Infinity) counts as unbounded.
  if (Number.isNaN(v)) return Infinity;
  return v < 0 ? 0 : v;
}

/**
 * Variables as received (raw JSON), before coercion, merged over the operation's own variable
 * defaults (see `OperationAnalysis.cost`).
 */
export type RawVariables = Readonly<Record<string, unknown>> | null | undefined;

function sizeValue(raw: unknown): number | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw < 0 ? 0 : raw;
  return undefined;
}

/** Evaluates a list size against the request's variables. */
export function evaluateSize(size: SizeExpr, variables: RawVariables): number {
  if (typeof size === 'number') return size;
  let best: number | undefined;
  for (const s of size.slices) {
    let v: number | undefined;
    if ('lit' in s) v = s.lit;
    else {
      const has = variables != null && Object.prototype.hasOwnProperty.call(variables, s.variable);
      const raw = has ? variables[s.variable] : undefined;
      // An explicit null means "no value": the argument's default does not apply then
      // (GraphQL coercion), so fall through to the fallback size.
      v = has ? sizeValue(raw) : s.argumentDefault;
    }
    if (v !== undefined) best = best === undefined ? v : Math.max(best, v);
  }
  return best ?? size.fallback;
}

let generation = 0;

/**
 * Evaluates a cost plan with the request's variables. Linear in the size of the plan: shared
 * (fragment) nodes are evaluated once per call.
 */
export function evaluateCost(expr: CostExpr, variables: RawVariables): number {
  if (typeof expr === 'number') return expr;
  generation = (generation + 1) | 0 || 1;
  return evalNode(expr, variables, generation);
}

function evalExpr(expr: CostExpr, variables: RawVariables, g: number): number {
  return typeof expr === 'number' ? expr : evalNode(expr, variables, g);
}

function evalNode(node: CostNode, variables: RawVariables, g: number): number {
  if (node.g === g) return node.v;
  let v: number;
  switch (node.k) {
    case 'sum': {
      v = node.c;
      for (const t of node.terms) v += evalNode(t, variables, g);
      break;
    }
    case 'max': {
      v = node.c;
      for (const t of node.terms) v = Math.max(v, evalNode(t, variables, g));
      break;
    }
    case 'field': {
      v = clampField(
        node.w + evaluateSize(node.size, variables) * evalExpr(node.child, variables, g),
      );
      break;
    }
    case 'cond': {
      const has =
        variables != null && Object.prototype.hasOwnProperty.call(variables, node.variable);
      const raw = has ? variables[node.variable] : undefined;
      // Unknown or invalid values count as "included": the estimate stays an upper bound.
      const flag = typeof raw === 'boolean' ? raw : !node.skip;
      const included = node.skip ? !flag : flag;
      v = included ? evalNode(node.body, variables, g) : 0;
      break;
    }
  }
  (node as Memo).g = g;
  (node as Memo).v = v;
  return v;
}

/** True when the plan depends on variables. */
export function isVariableCost(expr: CostExpr): boolean {
  return typeof expr !== 'number';
}
