import type { Principal } from '@bulwark/core';
import type { AuthzPolicy, ObjectPolicyInput } from './options.js';
import type { CompiledRule } from './rules.js';

/** The rule holds for this request. */
export const ALLOW = 1;
/** The rule fails for this request. */
export const DENY = 0;

/**
 * What is left of a rule once the principal is known: object policies to run on each object.
 * Every entry must hold; an entry holds when every policy of one of its lists allows.
 */
export interface Residual {
  readonly all: readonly (readonly (readonly string[])[])[];
}

/** The decision of a rule for one request. */
export type Decision = typeof ALLOW | typeof DENY | Residual;

/** Reports a policy that threw or rejected (it then denies). */
export type PolicyErrorHandler = (policy: string, error: unknown) => void;

const isPromise = (v: unknown): v is Promise<unknown> =>
  v !== null && typeof (v as { then?: unknown }).then === 'function';

/** Request policy results of one request: a promise while an asynchronous policy runs. */
export type RequestPolicyResults = Map<string, boolean | Promise<boolean>>;

/**
 * Runs the request policies in `names` not yet in `results`, once each. Synchronous policies
 * stay synchronous; a promise is returned only while one of them is asynchronous, and it
 * settles once every named policy has answered.
 */
export function runRequestPolicies(
  names: Iterable<string>,
  policies: ReadonlyMap<string, AuthzPolicy<unknown>>,
  principal: Principal | null,
  context: unknown,
  results: RequestPolicyResults,
  onError: PolicyErrorHandler,
): void | Promise<void> {
  let pending: Promise<boolean>[] | null = null;
  for (const name of names) {
    const known = results.get(name);
    if (known !== undefined) {
      if (typeof known !== 'boolean') (pending ??= []).push(known);
      continue;
    }
    const policy = policies.get(name);
    if (!policy || policy.on !== 'request') {
      results.set(name, false);
      continue;
    }
    let r: unknown;
    try {
      r = policy.check({ principal, context });
    } catch (error) {
      onError(name, error);
      results.set(name, false);
      continue;
    }
    if (isPromise(r)) {
      const settled = r.then(
        (v) => v === true,
        (error: unknown) => {
          onError(name, error);
          return false;
        },
      );
      const stored = settled.then((v) => {
        results.set(name, v);
        return v;
      });
      results.set(name, stored);
      (pending ??= []).push(stored);
    } else results.set(name, r === true);
  }
  if (pending) return Promise.all(pending).then(() => undefined);
}

/**
 * Decides a rule for a principal, once its request policies are in `results`: allowed, denied,
 * or the object policies left to run at resolution.
 */
export function decide(
  rule: CompiledRule,
  principal: Principal | null,
  results: ReadonlyMap<string, boolean | Promise<boolean>>,
): Decision {
  let residual: (readonly (readonly string[])[])[] | null = null;
  for (const req of rule.requirements) {
    if (req.kind === 'authenticated') {
      if (principal === null) return DENY;
    } else if (req.kind === 'scopes') {
      if (principal === null) return DENY;
      const scopes = principal.scopes;
      if (!req.anyOf.some((conj) => conj.every((s) => scopes.includes(s)))) return DENY;
    } else {
      let satisfied = false;
      let pending: (readonly string[])[] | null = null;
      for (const conj of req.anyOf) {
        let ok = true;
        let objects: string[] | null = null;
        for (const p of conj) {
          if (p.on === 'object') (objects ??= []).push(p.name);
          // A policy still running counts as a denial: callers await the results first.
          else if (results.get(p.name) !== true) {
            ok = false;
            break;
          }
        }
        if (!ok) continue;
        if (objects === null) {
          satisfied = true;
          break;
        }
        (pending ??= []).push(objects);
      }
      if (satisfied) continue;
      if (pending === null) return DENY;
      (residual ??= []).push(pending);
    }
  }
  return residual === null ? ALLOW : { all: residual };
}

/**
 * Runs the object policies left by {@link decide} on one object. Returns a boolean when every
 * policy answered synchronously, a promise otherwise. A throw or a rejection denies.
 */
export function checkObject(
  residual: Residual,
  input: ObjectPolicyInput<unknown>,
  policies: ReadonlyMap<string, AuthzPolicy<unknown>>,
  onError: PolicyErrorHandler,
): boolean | Promise<boolean> {
  let pending: Promise<boolean>[] | null = null;
  for (const anyOf of residual.all) {
    const r = anyOfHolds(anyOf, input, policies, onError);
    if (r === false) return false;
    if (r !== true) (pending ??= []).push(r);
  }
  if (pending === null) return true;
  return Promise.all(pending).then((all) => all.every((x) => x));
}

function anyOfHolds(
  anyOf: readonly (readonly string[])[],
  input: ObjectPolicyInput<unknown>,
  policies: ReadonlyMap<string, AuthzPolicy<unknown>>,
  onError: PolicyErrorHandler,
): boolean | Promise<boolean> {
  let pending: Promise<boolean>[] | null = null;
  for (const conj of anyOf) {
    const r = allHold(conj, input, policies, onError);
    if (r === true) return true;
    if (r !== false) (pending ??= []).push(r);
  }
  if (pending === null) return false;
  return Promise.all(pending).then((all) => all.some((x) => x));
}

function allHold(
  conj: readonly string[],
  input: ObjectPolicyInput<unknown>,
  policies: ReadonlyMap<string, AuthzPolicy<unknown>>,
  onError: PolicyErrorHandler,
): boolean | Promise<boolean> {
  let pending: Promise<boolean>[] | null = null;
  for (const name of conj) {
    const policy = policies.get(name);
    if (!policy || policy.on !== 'object') return false;
    let r: unknown;
    try {
      r = policy.check(input);
    } catch (error) {
      onError(name, error);
      return false;
    }
    if (isPromise(r)) {
      (pending ??= []).push(
        r.then(
          (v) => v === true,
          (error: unknown) => {
            onError(name, error);
            return false;
          },
        ),
      );
    } else if (r !== true) return false;
  }
  if (pending === null) return true;
  return Promise.all(pending).then((all) => all.every((x) => x));
}
