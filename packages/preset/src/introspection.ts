import type { CostMetadata } from '@bulwark/core';

const FREE_INTROSPECTION = new WeakSet<CostMetadata>();

/**
 * Cost metadata under which introspection costs nothing: the standard introspection query costs
 * about 15,000 under the default list size. Nesting inside introspection is bounded by
 * graphql-js's `MaxIntrospectionDepthRule`, which Apollo Server runs with the specified rules.
 */
export function withFreeIntrospection(base: CostMetadata): CostMetadata {
  if (FREE_INTROSPECTION.has(base)) return base;
  const free: CostMetadata = {
    fieldCost: (type, field) => base.fieldCost(type, field),
    typeCost: (type) => (type.startsWith('__') ? 0 : base.typeCost(type)),
    argumentCost: (type, field, arg) => base.argumentCost(type, field, arg),
    inputFieldCost: (type, field) => base.inputFieldCost(type, field),
    listSize: (type, field) => base.listSize(type, field),
  };
  FREE_INTROSPECTION.add(free);
  return free;
}
