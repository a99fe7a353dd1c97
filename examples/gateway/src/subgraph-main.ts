// One subgraph in its own process, started by main.ts: `SUBGRAPH=accounts GATEWAY_SECRET=...
// node dist/subgraph-main.js`. It reports its URL to the parent over IPC.
import { startSubgraph } from './subgraph.js';
import type { SubgraphName } from './supergraph.js';

const name = process.env['SUBGRAPH'];
const secret = process.env['GATEWAY_SECRET'];
if ((name !== 'accounts' && name !== 'orders') || !secret) {
  process.stderr.write('SUBGRAPH (accounts | orders) and GATEWAY_SECRET are required.\n');
  process.exit(2);
}
const subgraph = await startSubgraph({
  name: name as SubgraphName,
  secret,
  port: Number(process.env['PORT'] ?? 0),
  onEvent: (event) => process.stderr.write(`[${name}] ${event.code}: ${event.reason}\n`),
});
process.send?.({ url: subgraph.url });
const stop = () => {
  subgraph.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.on('disconnect', stop);
