import { Kind } from 'graphql';
import type { ValidationRule } from 'graphql';
import { analyzeDocument, validationError } from '@bulwark/core';
import { depthWithIgnore } from './depth.js';
import type { IgnoreRule } from './options.js';

/** graphql-depth-limit's options. */
export interface DepthLimitCompatOptions {
  /** Fields whose subtree does not count: names, RegExps or predicates. */
  ignore?: IgnoreRule | readonly IgnoreRule[];
}

const INTROSPECTION: IgnoreRule = /^__/;

/**
 * A drop-in replacement for graphql-depth-limit's default export, with its signature:
 * `depthLimit(maxDepth, options, callback)`. Change the import and keep the call:
 *
 * ```ts
 * import { depthLimit } from '@bulwark/limits'; // was: import depthLimit from 'graphql-depth-limit'
 * validationRules: [depthLimit(10, { ignore: [/_trusted$/] }, (depths) => log(depths))]
 * ```
 *
 * Same measure (a field with a selection set adds 1; `__`-prefixed fields and ignored fields
 * count 0), same `callback(queryDepths)` with the depth of each operation by name (`''` when
 * anonymous). Unlike graphql-depth-limit, fragments are measured once each, relative to their
 * spread, so fragment fan-out and cycles cost linear time; the error carries
 * `extensions.code: 'DEPTH_LIMIT_EXCEEDED'`.
 */
export function depthLimit(
  maxDepth: number,
  options: DepthLimitCompatOptions = {},
  callback: (queryDepths: Record<string, number>) => void = () => {},
): ValidationRule {
  if (!Number.isInteger(maxDepth) || maxDepth < 0) {
    throw new TypeError(`\`maxDepth\` must be a non-negative integer, got ${String(maxDepth)}.`);
  }
  const user =
    options.ignore === undefined
      ? []
      : Array.isArray(options.ignore)
        ? options.ignore
        : [options.ignore];
  const rules: readonly IgnoreRule[] = [INTROSPECTION, ...(user as IgnoreRule[])];
  return (context) => ({
    Document(document) {
      const depths: Record<string, number> = {};
      // Without rules of the caller's, the shared analysis has the measure already.
      const analysis = user.length === 0 ? analyzeDocument(context.getSchema(), document) : null;
      const byNode = new Map(analysis?.operations.map((o) => [o.node, o]));
      for (const def of document.definitions) {
        if (def.kind !== Kind.OPERATION_DEFINITION) continue;
        const op = byNode.get(def);
        const depth = op
          ? op.truncated
            ? Infinity
            : op.depthWithoutIntrospection
          : depthWithIgnore(document, def, rules);
        const name = def.name?.value ?? '';
        depths[name] = depth;
        if (depth > maxDepth) {
          const message = Number.isFinite(depth)
            ? `Query depth ${depth} exceeds the maximum of ${maxDepth}.`
            : `Query depth exceeds the maximum of ${maxDepth}.`;
          context.reportError(validationError('DEPTH_LIMIT_EXCEEDED', message, def));
        }
      }
      callback(depths);
      return false;
    },
  });
}
