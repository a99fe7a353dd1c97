import { composeSupergraph, readSupergraph } from '@bulwark/example-gateway';
import { readSupergraphMetadata } from '@bulwark/gateway';
import { describe, expect, it } from 'vitest';

describe('the committed supergraph', () => {
  it('is what composing the two subgraphs gives (run `node examples/gateway/dist/compose.js` after a change)', () => {
    expect(readSupergraph()).toBe(composeSupergraph());
  });

  it("carries both subgraphs' rules and list sizes where the gateway reads them", () => {
    const metadata = readSupergraphMetadata(readSupergraph());
    expect(metadata.authz.field('Query', 'users')).toEqual([{ requiresScopes: [['users:read']] }]);
    expect(metadata.authz.field('User', 'orders')).toEqual([{ policy: [['owner'], ['admin']] }]);
    expect(metadata.cost.listSize('User', 'orders')?.slicingArguments).toEqual(['first']);
    expect(metadata.cost.listSize('Order', 'items')?.assumedSize).toBe(5);
    expect(metadata.cost.fieldCost('Mutation', 'placeOrder')).toBe(10);
  });
});
