import { runCli } from './cli.js';

// The only module that touches the console and the process.
const server = await runCli(process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  exit: (code) => process.exit(code),
});

let stopping = false;
const shutdown = () => {
  if (stopping || !server) return;
  stopping = true;
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
