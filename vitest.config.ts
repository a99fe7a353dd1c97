import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Tests run against the TypeScript sources of every workspace package, so one module
// instance of each package is loaded (error classes compare by identity) and no build
// is needed to run a test.
const alias = [
  { find: /^@bulwark\/example-server$/, replacement: `${root}examples/server/src/index.ts` },
  { find: /^@bulwark\/example-gateway$/, replacement: `${root}examples/gateway/src/index.ts` },
  { find: /^@bulwark\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
  { find: /^@bulwark\/([a-z-]+)\/([a-z-]+)$/, replacement: `${root}packages/$1/src/$2/index.ts` },
];

const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
