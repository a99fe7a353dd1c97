// Shared benchmark plumbing: medians, child processes with a timeout, tables, results.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs `node script ...args` and parses the last stdout line as JSON. Resolves
 * `{ timeout: true }` when the child outlives `timeoutMs` (it is killed).
 */
export function runChild(script, args, { timeoutMs = 20_000, env = {}, nodeArgs = [] } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ timeout: true });
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({ error: `exit ${code}: ${line.slice(0, 200)}` });
      }
    });
  });
}

/** Formats microseconds. */
export const us = (v) =>
  v === undefined ? 'n/a' : v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`;
/** Prints a Markdown table. */
export function printTable(title, header, rows) {
  const lines = [
    `\n### ${title}\n`,
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
  ];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  console.log(lines.join('\n'));
  return lines.join('\n');
}

/** The machine the figures come from. */
export function machine() {
  return {
    node: process.version,
    cpus: cpus().length,
    model: cpus()[0]?.model,
    loadavg: loadavg(),
  };
}

/** Writes bench/results/<name>.json. */
export function writeResults(name, data) {
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}${name}.json`,
    JSON.stringify({ when: new Date().toISOString(), machine: machine(), ...data }, null, 2),
  );
}
