import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Tests run against the TypeScript sources of every workspace package, so one module
// instance of each package is loaded (error classes compare by identity) and no build
// is needed to run a test.
// Node resolves `import 'graphql'` to graphql's CommonJS build (it has no exports map), and
// that is the copy Apollo Server and every other dependency load. Vite would pick the ESM
// build (the "module" field) for our sources: a second graphql-js ("Cannot use
// GraphQLSchema from another module or realm"). Pin ours to the one Node uses.
const graphqlEntry = createRequire(`${root}packages/core/package.json`).resolve('graphql');

const alias = [
  { find: /^graphql$/, replacement: graphqlEntry },
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
