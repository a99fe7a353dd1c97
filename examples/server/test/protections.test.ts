import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from '@bulwark/example-server';
import type { RunningServer } from '@bulwark/example-server';

// The benchmarks load the server with protections switched off for comparison runs: each
// switch must really turn its protection off, and nothing else.

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function post(query: string, headers: Record<string, string> = {}) {
  const res = await fetch(server!.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { data?: unknown; errors?: unknown[] },
  };
}

const base = { port: 0, log: false as const, production: true };

describe('protections', () => {
  it("'bare' turns every protection off: plain Apollo Server", async () => {
    server = await createServer({ ...base, protections: 'bare' });
    const email = await post('{ user(id: "u3") { email } }');
    expect(email.status).toBe(200);
    expect(email.body.data).toEqual({ user: { email: 'alan@example.com' } });
    expect((await post('{ __schema { queryType { name } } }')).status).toBe(200);
    const deep = `{ categories { ${'parent { '.repeat(15)}id${' }'.repeat(15)} } }`;
    expect((await post(deep)).status).toBe(200);
    expect((await post('{ __typename }')).headers.get('content-security-policy')).toBeNull();
    expect((await post('{ __typename }', { authorization: 'Bearer x.y.z' })).status).toBe(200);
    // What plain Apollo Server keeps by default: CSRF prevention (a simple GET is refused).
    const get = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/CSRF/);
  });

  it('switches one protection off and keeps the others', async () => {
    server = await createServer({ ...base, protections: { authz: false } });
    expect((await post('{ user(id: "u3") { email } }')).status).toBe(200);
    expect((await post('{ __schema { queryType { name } } }')).status).toBe(403);
    expect((await post('{ __typename }', { authorization: 'Bearer x.y.z' })).status).toBe(401);
  });

  it('passes documentStore to Apollo Server', async () => {
    const keys: string[] = [];
    const store = new Map<string, unknown>();
    server = await createServer({
      ...base,
      documentStore: {
        get: async (key: string) => store.get(key) as never,
        set: async (key: string, value: unknown) => {
          keys.push(key);
          store.set(key, value);
        },
        delete: async (key: string) => {
          store.delete(key);
        },
      },
    });
    expect((await post('{ categories { id } }')).status).toBe(200);
    expect(keys).toHaveLength(1);
  });
});
