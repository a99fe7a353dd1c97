import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import type { SecurityEvent } from '@bulwark/core';
import {
  DEMO_USERS,
  accountsTypeDefs,
  composeSupergraph,
  createDevIssuer,
  ordersTypeDefs,
  startStack,
  supergraphFromFile,
} from '@bulwark/example-gateway';
import type { RunningStack } from '@bulwark/example-gateway';
import { RULES_UNAVAILABLE_MESSAGE } from '@bulwark/gateway';
import { parse, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GraphQLBody } from './support/http.js';

// A supergraph update reaches the gateway's rules without a restart: the example's file-backed
// supergraph manager pushes the new SDL, and the bridge re-reads the rules from it.

const SECRET = 'reload-test-secret-of-at-least-thirty-two-bytes';
const dir = mkdtempSync(join(tmpdir(), 'bulwark-supergraph-'));
const file = join(dir, 'supergraph.graphql');

/** The example's supergraph with the orders subgraph's SDL edited. */
function composeWithOrders(edit: (sdl: string) => string): string {
  const result = composeServices([
    { name: 'accounts', typeDefs: accountsTypeDefs, url: 'http://127.0.0.1:4001/graphql' },
    {
      name: 'orders',
      typeDefs: parse(edit(print(ordersTypeDefs))),
      url: 'http://127.0.0.1:4002/graphql',
    },
  ]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

let stack: RunningStack;
let alice: string;
const events: SecurityEvent[] = [];

beforeAll(async () => {
  writeFileSync(file, composeSupergraph());
  const issuer = await createDevIssuer();
  alice = await issuer.issue(DEMO_USERS['alice']!);
  stack = await startStack({
    secret: SECRET,
    supergraph: supergraphFromFile(file, { intervalMs: 20 }),
    security: { jwt: issuer.jwt, onEvent: (e) => events.push(e) },
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function prices(token?: string) {
  const res = await fetch(stack.gateway.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: '{ products(first: 1) { name price } }' }),
  });
  return { status: res.status, body: (await res.json()) as GraphQLBody };
}

describe('a supergraph update', () => {
  it('brings a new rule into force at the gateway without a restart', async () => {
    expect((await prices()).status).toBe(200);
    writeFileSync(
      file,
      composeWithOrders((s) => s.replace('price: Float!', 'price: Float! @authenticated')),
    );
    await vi.waitFor(async () => expect((await prices()).status).toBe(403), { timeout: 5000 });
    const before = stack.orders.requests;
    const denied = await prices();
    expect(denied.body.errors?.[0]).toEqual({
      message: 'Access denied to "products.price".',
      extensions: { code: 'FORBIDDEN', deniedPaths: ['products.price'] },
    });
    // Enforced at the gateway: the orders subgraph, still on its old schema, was not called.
    expect(stack.orders.requests).toBe(before);
    expect((await prices(alice)).body.data).toEqual({
      products: [{ name: 'Keyboard', price: 49.5 }],
    });
  });

  it('fails closed on a supergraph whose rules it cannot use, until a good one arrives', async () => {
    writeFileSync(
      file,
      composeWithOrders((s) =>
        s.replace('price: Float!', 'price: Float! @policy(policies: [["vip"]])'),
      ),
    );
    await vi.waitFor(async () => expect((await prices(alice)).status).toBe(503), { timeout: 5000 });
    expect((await prices(alice)).body.errors).toEqual([
      { message: RULES_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } },
    ]);
    const warning = events.find((e) => e.code === 'SUPERGRAPH_METADATA_INVALID');
    expect(warning?.reason).toContain('"vip"');
    writeFileSync(file, composeSupergraph());
    await vi.waitFor(async () => expect((await prices()).status).toBe(200), { timeout: 5000 });
  });
});
