import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import pino from 'pino';
import type { DestinationStream, Logger, LevelWithSilent } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { REDACTED } from '@bulwark/preset';

/**
 * The logger and the metrics registry the example gives the preset (`monitoring: { logger,
 * registry }`), and the metrics endpoint on its own port. The preset's adapters write the
 * lines and count the events.
 */

/** Paths pino censors whatever the code logs (a second line of defence behind sanitizing). */
export const REDACTED_PATHS = Object.freeze([
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'password',
  'accessToken',
  'refreshToken',
  '*.authorization',
  '*.password',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
]);

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** @default 'info' */
  level?: LevelWithSilent;
  /** Where JSON lines go. @default stdout */
  destination?: DestinationStream;
}

/** A pino logger writing one JSON line per entry, with secrets censored by path. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'bulwark-example' },
      redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/** A registry with the process's default metrics. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Serves `GET /metrics` from the registry on its own port (keep it off the public interface:
 * the default host is loopback). Anything else is 404.
 */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host = '127.0.0.1',
): Promise<Server> {
  const server = createHttpServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found.\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () => res.writeHead(503, { 'content-type': 'text/plain' }).end('Metrics unavailable.\n'),
    );
  });
  await listen(server, port, host);
  return server;
}

/** `server.listen` as a promise that rejects on `EADDRINUSE` and friends. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
