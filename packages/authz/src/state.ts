import type { Principal } from '@bulwark/core';
import type { OperationDefinitionNode } from 'graphql';
import type { Decision, RequestPolicyResults } from './decide.js';
import type { CompiledRule } from './rules.js';

/**
 * What the check before execution leaves for the resolvers of one operation: the principal it
 * decided for, and the decision of every rule the operation touches.
 */
export interface RequestState {
  /** The operation that was checked: resolvers of any other operation find no state. */
  readonly operation: OperationDefinitionNode;
  readonly principal: Principal | null;
  readonly operationName: string | undefined;
  /** Decisions made before execution, and object-type decisions made lazily. */
  readonly decisions: Map<CompiledRule, Decision | Promise<Decision>>;
  readonly requestPolicies: RequestPolicyResults;
  /** Another operation checked with the same context object (rare: a reused context). */
  next: RequestState | undefined;
}

/**
 * The state lives on the context object under a symbol key (not serialized, not enumerable by
 * `Object.keys`): a weak-map entry per request is work for the garbage collector on every
 * request. A frozen or sealed context falls back to the weak map.
 */
const STATE = Symbol('bulwark.authz.state');
const FALLBACK = new WeakMap<object, RequestState>();

function headOf(context: object): RequestState | undefined {
  return (context as { [STATE]?: RequestState })[STATE] ?? FALLBACK.get(context);
}

/** Records the state of a checked operation on its context object. */
export function attachState(context: object, state: RequestState): void {
  let head = headOf(context);
  // Drop an earlier state of the same operation: the latest check wins.
  while (head !== undefined && head.operation === state.operation) head = head.next;
  let prev = head;
  while (prev?.next !== undefined) {
    if (prev.next.operation === state.operation) prev.next = prev.next.next;
    else prev = prev.next;
  }
  state.next = head;
  if (Object.isExtensible(context)) (context as { [STATE]?: RequestState })[STATE] = state;
  else FALLBACK.set(context, state);
}

/** The state of `operation` checked with this context, `undefined` when it was not checked. */
export function stateOf(
  context: unknown,
  operation: OperationDefinitionNode,
): RequestState | undefined {
  if (context === null || (typeof context !== 'object' && typeof context !== 'function'))
    return undefined;
  let s = headOf(context);
  while (s !== undefined && s.operation !== operation) s = s.next;
  return s;
}
