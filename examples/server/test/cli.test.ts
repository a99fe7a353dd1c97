import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from '@bulwark/example-server';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const exits: number[] = [];
  return {
    out,
    err,
    exits,
    io: {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      exit: (c: number) => exits.push(c),
    },
  };
}

const base = { PORT: '0', METRICS_PORT: 'off', LOG_LEVEL: 'silent' };

describe('the start command', () => {
  it('prints where it listens and, in development, the demo accounts once', async () => {
    const c = io();
    const server = await runCli({ ...base, DEMO_ADMIN_PASSWORD: 'admin-password-123' }, c.io);
    try {
      expect(c.out[0]).toMatch(
        /^Bulwark example server ready at http:\/\/127\.0\.0\.1:\d+\/graphql$/,
      );
      expect(c.out).toContain('  mode:    development, stores: memory');
      expect(c.out.filter((l) => l.includes('ada@example.com'))).toEqual([
        '  ADMIN    ada@example.com        admin-password-123',
      ]);
      expect(c.out.filter((l) => l.includes('@example.com'))).toHaveLength(9);
    } finally {
      await server?.stop();
    }
  });

  it('never prints a password in production, and makes none up', async () => {
    const c = io();
    const server = await runCli(
      { ...base, NODE_ENV: 'production', DEMO_ADMIN_PASSWORD: 'admin-password-123' },
      c.io,
    );
    try {
      expect(c.out).toContain('  mode:    production, stores: memory');
      expect(c.out.join('\n')).not.toMatch(/password|@example\.com/);
      // Only the configured account can log in.
      expect(server!.demoAccounts.map((a) => a.id)).toEqual(['u1']);
    } finally {
      await server?.stop();
    }
  });

  it('ends with one clear line and exit code 1 when the port is taken', async () => {
    const blocker = createHttpServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const c = io();
    try {
      const server = await runCli({ ...base, PORT: String(port) }, c.io);
      expect(server).toBeUndefined();
      expect(c.exits).toEqual([1]);
      expect(c.err).toEqual([
        `bulwark example server: port ${port} on 127.0.0.1 is already in use. Stop the other process or set PORT (and METRICS_PORT) to free ports, e.g. PORT=4100 METRICS_PORT=9470.`,
      ]);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('ends with one clear line for a bad variable', async () => {
    const c = io();
    expect(await runCli({ PORT: 'abc' }, c.io)).toBeUndefined();
    expect(c.err).toEqual([
      'bulwark example server: PORT must be an integer from 0 to 65535, got "abc".',
    ]);
    expect(c.exits).toEqual([1]);
  });
});
