import { ConfigError, configFromEnv } from './env.js';
import { createServer } from './server.js';
import type { RunningServer } from './server.js';

// The only module that prints: start-up banner, demo accounts (development only), and a clear
// message instead of a stack when the configuration or the port is wrong.

function fail(message: string): never {
  console.error(`bulwark example server: ${message}`);
  process.exit(1);
}

let server: RunningServer;
try {
  const config = configFromEnv();
  server = await createServer(config);
} catch (error) {
  if (error instanceof ConfigError || error instanceof TypeError) fail(error.message);
  const e = error as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e.code === 'EADDRINUSE') {
    fail(
      `port ${e.port ?? '?'} on ${e.address ?? '?'} is already in use. Stop the other process or set PORT (and METRICS_PORT) to free ports, e.g. PORT=4100 METRICS_PORT=9470.`,
    );
  }
  if (e.code === 'EACCES')
    fail(`not allowed to listen on port ${e.port ?? '?'}: use a port above 1023.`);
  if (e.code === 'EADDRNOTAVAIL')
    fail(`HOST ${e.address ?? '?'} is not an address of this machine.`);
  throw error;
}

const { config } = server;
console.log(`Bulwark example server ready at ${server.url}`);
console.log(`  JWKS:    ${server.url.replace(/\/graphql$/, '/.well-known/jwks.json')}`);
if (server.metricsUrl) console.log(`  metrics: ${server.metricsUrl}`);
console.log(
  `  mode:    ${config.production ? 'production' : 'development'}, stores: ${config.redisUrl ? 'Redis' : 'memory'}`,
);
if (!config.production && server.demoAccounts.length > 0) {
  console.log('\nDemo accounts (development only; new random passwords on every start):');
  for (const a of server.demoAccounts) {
    console.log(`  ${a.role.padEnd(8)} ${a.email.padEnd(22)} ${a.password}`);
  }
  console.log('');
}

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
