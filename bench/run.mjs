// Runs the benchmarks one after the other, each in its own process.
//   pnpm bench              every bench/*.bench.mjs
//   pnpm bench limits jwt   only those whose name starts with one of the words
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
if (scripts.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}`);
  process.exit(1);
}
let failed = 0;
for (const s of scripts) {
  console.log(`\n## ${s}\n`);
  const r = spawnSync(process.execPath, [`${here}${s}`], { stdio: 'inherit', cwd: here });
  if (r.status !== 0) {
    failed++;
    console.error(`${s} exited with ${r.status}`);
  }
}
process.exit(failed ? 1 : 0);
