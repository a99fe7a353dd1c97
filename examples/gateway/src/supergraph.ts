import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { authzCompositionConflicts } from '@bulwark/gateway';
import type { DocumentNode } from 'graphql';
import { accountsTypeDefs } from './accounts.js';
import { ordersTypeDefs } from './orders.js';

/** The subgraphs of the example. */
export type SubgraphName = 'accounts' | 'orders';

/** Every subgraph's type definitions, by name. */
export const SUBGRAPH_TYPE_DEFS: Readonly<Record<SubgraphName, DocumentNode>> = Object.freeze({
  accounts: accountsTypeDefs,
  orders: ordersTypeDefs,
});

/**
 * The URLs written into the committed supergraph. The gateway sends each subgraph's requests
 * to the URL it was started with instead (subgraphs listen on free ports).
 */
export const NOMINAL_URLS: Readonly<Record<SubgraphName, string>> = Object.freeze({
  accounts: 'http://127.0.0.1:4001/graphql',
  orders: 'http://127.0.0.1:4002/graphql',
});

/** The committed supergraph, `examples/gateway/supergraph.graphql` (from src/ and dist/ alike). */
export const SUPERGRAPH_FILE = fileURLToPath(new URL('../supergraph.graphql', import.meta.url));

/**
 * Composes the supergraph locally with `@apollo/composition` (no external service). Throws on a
 * composition error, and on a hint that a Bulwark rule was dropped (two subgraphs disagreeing on
 * one field's rule): the gateway would otherwise enforce only one of them.
 */
export function composeSupergraph(
  urls: Readonly<Record<SubgraphName, string>> = NOMINAL_URLS,
): string {
  const result = composeServices(
    (Object.keys(SUBGRAPH_TYPE_DEFS) as SubgraphName[]).map((name) => ({
      name,
      typeDefs: SUBGRAPH_TYPE_DEFS[name],
      url: urls[name],
    })),
  );
  if (result.errors)
    throw new Error(`Composition failed: ${result.errors.map((e) => e.message).join(' ')}`);
  const conflicts = authzCompositionConflicts(result.hints);
  if (conflicts.length > 0)
    throw new Error(`Composition dropped authorization rules: ${conflicts.join(' ')}`);
  return `${result.supergraphSdl}\n`;
}

/** Reads the committed supergraph. */
export function readSupergraph(file: string = SUPERGRAPH_FILE): string {
  return readFileSync(file, 'utf8');
}
