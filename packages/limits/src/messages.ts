import { MAX_WALK_DEPTH } from '@bulwark/core';
import type { ErrorCode } from '@bulwark/core';
import type { OperationLimitName } from './options.js';

/** The error code of each document-level limit. */
export const LIMIT_CODES: Readonly<Record<OperationLimitName, ErrorCode>> = {
  maxDepth: 'DEPTH_LIMIT_EXCEEDED',
  maxHeight: 'HEIGHT_LIMIT_EXCEEDED',
  maxAliases: 'ALIAS_LIMIT_EXCEEDED',
  maxRootFields: 'ROOT_FIELD_LIMIT_EXCEEDED',
  maxDirectives: 'DIRECTIVE_LIMIT_EXCEEDED',
  maxListDepth: 'LIST_DEPTH_LIMIT_EXCEEDED',
  maxFields: 'FIELD_LIMIT_EXCEEDED',
  maxCost: 'COST_LIMIT_EXCEEDED',
};

const LABELS: Readonly<Record<OperationLimitName, string>> = {
  maxDepth: 'Query depth',
  maxHeight: 'Query height',
  maxAliases: 'Alias count',
  maxRootFields: 'Root field count',
  maxDirectives: 'Directive count',
  maxListDepth: 'List nesting depth',
  maxFields: 'Field count',
  maxCost: 'Query cost',
};

/** A number for a message: integers as they are, fractions to two decimals (rounded up). */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  return String(Math.ceil(n * 100) / 100);
}

/** `Query depth 12 exceeds the maximum of 10.` or, hiding limits, `Query depth exceeds the maximum allowed.` */
export function limitMessage(
  name: OperationLimitName,
  value: number,
  max: number,
  expose: boolean,
): string {
  return expose
    ? `${LABELS[name]} ${formatNumber(value)} exceeds the maximum of ${formatNumber(max)}.`
    : `${LABELS[name]} exceeds the maximum allowed.`;
}

/** The message for an operation nested beyond what the walk analyses. */
export function truncatedMessage(maxDepth: number | false, expose: boolean): string {
  if (!expose) return 'Query depth exceeds the maximum allowed.';
  return maxDepth === false
    ? `Query nesting exceeds the maximum of ${MAX_WALK_DEPTH} levels.`
    : `Query depth exceeds the maximum of ${formatNumber(maxDepth)}.`;
}

/** `Field "Query.products" requires exactly one of the slicing arguments "first", "last".` */
export function slicingMessage(coordinate: string, args: readonly string[]): string {
  const list = args.map((a) => `"${a}"`).join(', ');
  return args.length === 1
    ? `Field "${coordinate}" requires the slicing argument ${list}.`
    : `Field "${coordinate}" requires exactly one of the slicing arguments ${list}.`;
}

/** `Document token count exceeds the maximum of 10000.` */
export function tokenMessage(max: number, expose: boolean): string {
  return expose
    ? `Document token count exceeds the maximum of ${max}.`
    : 'Document token count exceeds the maximum allowed.';
}

/** `Document length 200000 exceeds the maximum of 100000 characters.` */
export function documentLengthMessage(length: number, max: number, expose: boolean): string {
  return expose
    ? `Document length ${length} exceeds the maximum of ${max} characters.`
    : 'Document length exceeds the maximum allowed.';
}

/** `Batch size 50 exceeds the maximum of 10.` */
export function batchMessage(size: number, max: number, expose: boolean): string {
  return expose
    ? `Batch size ${size} exceeds the maximum of ${max}.`
    : 'Batch size exceeds the maximum allowed.';
}
