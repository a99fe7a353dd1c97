import { ConfigError, configFromEnv } from './env.js';
import { createServer } from './server.js';
import type { RunningServer } from './server.js';

/** Where the command line writes, and how it ends (main.ts passes `console` and `process`). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  exit(code: number): void;
}

/** The one-sentence message for a start-up failure, or `undefined` for an unexpected one. */
export function startupMessage(error: unknown): string | undefined {
  if (error instanceof ConfigError || error instanceof TypeError) return error.message;
  const e = error as NodeJS.ErrnoException & { port?: number; address?: string };
  switch (e?.code) {
    case 'EADDRINUSE':
      return `port ${e.port ?? '?'} on ${e.address ?? '?'} is already in use. Stop the other process or set PORT (and METRICS_PORT) to free ports, e.g. PORT=4100 METRICS_PORT=9470.`;
    case 'EACCES':
      return `not allowed to listen on port ${e.port ?? '?'}: use a port above 1023.`;
    case 'EADDRNOTAVAIL':
      return `HOST ${e.address ?? '?'} is not an address of this machine.`;
    default:
      return undefined;
  }
}

/**
 * Starts the server from environment variables and prints where it listens; in development
 * only, the demo accounts and their passwords. A bad variable or a busy port ends the process
 * with one clear line and exit code 1, not a stack.
 */
export async function runCli(
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<RunningServer | undefined> {
  let server: RunningServer;
  try {
    server = await createServer(configFromEnv(env));
  } catch (error) {
    const message = startupMessage(error);
    if (message === undefined) throw error;
    io.err(`bulwark example server: ${message}`);
    io.exit(1);
    return undefined;
  }
  const { config } = server;
  io.out(`Bulwark example server ready at ${server.url}`);
  io.out(`  JWKS:    ${server.url.replace(/\/graphql$/, '/.well-known/jwks.json')}`);
  if (server.metricsUrl) io.out(`  metrics: ${server.metricsUrl}`);
  io.out(
    `  mode:    ${config.production ? 'production' : 'development'}, stores: ${config.redisUrl ? 'Redis' : 'memory'}`,
  );
  if (!config.production && server.demoAccounts.length > 0) {
    io.out('');
    io.out('Demo accounts (development only; random passwords unless DEMO_*_PASSWORD is set):');
    for (const a of server.demoAccounts) {
      io.out(`  ${a.role.padEnd(8)} ${a.email.padEnd(22)} ${a.password}`);
    }
    io.out('');
  }
  return server;
}
