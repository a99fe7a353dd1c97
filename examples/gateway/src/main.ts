// `pnpm start:gateway`: both subgraphs in their own processes on free ports, the gateway on
// PORT (default 4000), demo tokens printed for curl.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_USERS, createDevIssuer } from './dev-issuer.js';
import { startGateway, supergraphFromFile } from './gateway.js';
import { SUPERGRAPH_FILE } from './supergraph.js';
import type { SubgraphName } from './supergraph.js';

const port = Number(process.env['PORT'] ?? 4000);
const host = process.env['HOST'] ?? '127.0.0.1';
// Shared by the gateway and the subgraphs it starts; set GATEWAY_SECRET to run them apart.
const secret = process.env['GATEWAY_SECRET'] ?? randomBytes(32).toString('base64url');
// The supergraph file, watched: edit it (or recompose into it) and the gateway reloads.
const supergraphFile = process.env['SUPERGRAPH']
  ? resolve(process.env['SUPERGRAPH'])
  : SUPERGRAPH_FILE;
const children: ChildProcess[] = [];

function startChild(name: SubgraphName): Promise<string> {
  const child = fork(fileURLToPath(new URL('./subgraph-main.js', import.meta.url)), {
    env: { ...process.env, SUBGRAPH: name, GATEWAY_SECRET: secret, PORT: '0' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`Subgraph "${name}" exited with ${code}.`)));
  });
}

function stopChildren() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}

try {
  const [accounts, orders] = await Promise.all([startChild('accounts'), startChild('orders')]);
  const issuer = await createDevIssuer();
  const gateway = await startGateway({
    port,
    host,
    secret,
    subgraphUrls: { accounts, orders },
    supergraph: supergraphFromFile(supergraphFile, {
      onError: (error) => console.error('Supergraph update refused:', error),
    }),
    security: {
      jwt: issuer.jwt,
      onEvent: (event) => console.log(`[gateway] ${event.code}: ${event.reason}`),
    },
  });
  console.log(`Bulwark example gateway ready at ${gateway.url}`);
  console.log(`  accounts subgraph: ${accounts} (refuses requests not signed by the gateway)`);
  console.log(`  orders subgraph:   ${orders}`);
  console.log(`  supergraph:        ${supergraphFile} (watched)`);
  console.log('Demo tokens (valid 1 hour):');
  for (const [name, claims] of Object.entries(DEMO_USERS))
    console.log(`  export ${name.toUpperCase()}=${await issuer.issue(claims)}`);

  const shutdown = () => {
    stopChildren();
    gateway.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (error) {
  console.error(error);
  stopChildren();
  process.exit(1);
}
