import { AUTHZ_DIRECTIVE_NAMES } from '@bulwark/authz';

/** What {@link authzCompositionConflicts} reads of a composition hint (`@apollo/composition`). */
export interface CompositionHintLike {
  readonly definition: { readonly code: string };
  readonly message: string;
}

const DROPPED = 'INCONSISTENT_NON_REPEATABLE_DIRECTIVE_ARGUMENTS';

/**
 * The composition hints that say a Bulwark rule was dropped: when two subgraphs put the same
 * non-repeatable rule directive with different arguments on one field (`@requiresScopes` on a
 * shared `User.email`), composition keeps one subgraph's and only hints about the other, so
 * the gateway would enforce the weaker one. Fail the build on any of them:
 *
 * ```ts
 * const result = composeServices(subgraphs);
 * const conflicts = authzCompositionConflicts(result.hints ?? []);
 * if (conflicts.length > 0) throw new Error(conflicts.join('\n'));
 * ```
 *
 * `names` are the directive names the subgraphs import (renamed ones included).
 * @default the four names of `AUTHZ_DIRECTIVE_NAMES`
 */
export function authzCompositionConflicts(
  hints: readonly CompositionHintLike[],
  names: readonly string[] = Object.values(AUTHZ_DIRECTIVE_NAMES),
): string[] {
  const mentions = names.map((n) => new RegExp(`@${n.replace(/^@/, '')}\\b`));
  return hints
    .filter((h) => h.definition.code === DROPPED && mentions.some((m) => m.test(h.message)))
    .map((h) => h.message);
}
