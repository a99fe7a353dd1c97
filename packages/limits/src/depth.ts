import { Kind } from 'graphql';
import type {
  DocumentNode,
  FragmentDefinitionNode,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import { MAX_WALK_DEPTH } from '@bulwark/core';
import type { IgnoreRule } from './options.js';

function ignored(name: string, rules: readonly IgnoreRule[]): boolean {
  for (const rule of rules) {
    if (
      typeof rule === 'string'
        ? rule === name
        : rule instanceof RegExp
          ? rule.test(name)
          : rule(name)
    )
      return true;
  }
  return false;
}

const CACHE = new WeakMap<
  DocumentNode,
  WeakMap<readonly IgnoreRule[], Map<OperationDefinitionNode, number>>
>();

/**
 * Depth with graphql-depth-limit's `ignore` rules: an ignored field (and its subtree) counts 0.
 * Used only when `ignore` is configured (the shared analysis has no per-configuration state).
 * Fragments are memoized by relative depth; cycles and unknown fragments count 0; nesting
 * beyond `MAX_WALK_DEPTH` returns `Infinity`. Cached per (document, rules).
 */
export function depthWithIgnore(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rules: readonly IgnoreRule[],
): number {
  let byRules = CACHE.get(document);
  if (!byRules) CACHE.set(document, (byRules = new WeakMap()));
  let byOperation = byRules.get(rules);
  if (!byOperation) byRules.set(rules, (byOperation = new Map()));
  const known = byOperation.get(operation);
  if (known !== undefined) return known;

  const defs = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION && !defs.has(d.name.value)) defs.set(d.name.value, d);
  const memo = new Map<string, number | null>();

  const walk = (set: SelectionSetNode, level: number): number => {
    if (level > MAX_WALK_DEPTH) return Infinity;
    let max = 0;
    for (const sel of set.selections) {
      let d = 0;
      if (sel.kind === Kind.FIELD) {
        if (!sel.selectionSet || ignored(sel.name.value, rules)) continue;
        d = 1 + walk(sel.selectionSet, level + 1);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        d = walk(sel.selectionSet, level + 1);
      } else {
        const name = sel.name.value;
        const m = memo.get(name);
        if (m === null) continue;
        if (m !== undefined) d = m;
        else {
          const def = defs.get(name);
          if (!def) continue;
          memo.set(name, null);
          d = walk(def.selectionSet, level + 1);
          memo.set(name, d);
        }
      }
      if (d > max) max = d;
    }
    return max;
  };
  const depth = walk(operation.selectionSet, 1);
  byOperation.set(operation, depth);
  return depth;
}
