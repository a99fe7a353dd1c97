// Writes the composed supergraph: `node examples/gateway/dist/compose.js [file]`.
// Without an argument it rewrites the committed examples/gateway/supergraph.graphql (a test
// checks that the committed file is what composition gives); write experiments to
// examples/gateway/supergraph.local.graphql, which git ignores.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SUPERGRAPH_FILE, composeSupergraph } from './supergraph.js';

const file = process.argv[2] ? resolve(process.argv[2]) : SUPERGRAPH_FILE;
writeFileSync(file, composeSupergraph());
process.stdout.write(`Supergraph written to ${file}\n`);
