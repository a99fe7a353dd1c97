import { createServer } from './server.js';

const port = Number(process.env['PORT'] ?? 4000);
const host = process.env['HOST'] ?? '127.0.0.1';
const production = process.env['NODE_ENV'] === 'production';

const server = await createServer({ port, host, production });
console.log(`Bulwark example server ready at ${server.url}`);

const shutdown = () => {
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
