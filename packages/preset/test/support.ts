import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import type { SecurityEvent } from '@bulwark/core';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Bulwark } from '../src/index.js';

/** A response as the tests see it. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** A preset-protected server on 127.0.0.1, port 0. */
export interface PresetServer {
  url: string;
  origin: string;
  post(body: unknown, headers?: Record<string, string>): Promise<Reply>;
  request(init: RequestInit & { search?: string; path?: string }): Promise<Reply>;
  stop(): Promise<void>;
}

async function read(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/**
 * Starts Apollo Server 5 on Express 5 exactly as the README tells users to: the wrapped schema,
 * `...security.apollo`, `...security.express` before `expressMiddleware`, the preset's context
 * function, the JSON 404 and the error handler last. The app does not disable `x-powered-by` itself.
 */
export async function startPresetServer(
  security: Bulwark,
  schema: GraphQLSchema,
  build?: (arg: { req: express.Request }) => object,
): Promise<PresetServer> {
  const app = express();
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer({ schema: security.wrapSchema(schema), ...security.apollo });
  await apollo.start();
  app.use(
    '/graphql',
    ...security.express,
    expressMiddleware(apollo, {
      context: build ? security.context(build) : security.context(),
    }),
  );
  app.get('/boom', () => {
    throw new Error('connect ECONNREFUSED 10.0.0.5:5432');
  });
  app.use(security.notFound);
  app.use(security.errorHandler);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const url = `${origin}/graphql`;
  return {
    url,
    origin,
    async post(body, headers = {}) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return read(res);
    },
    async request(init) {
      const res = await fetch((init.path ? origin + init.path : url) + (init.search ?? ''), init);
      return read(res);
    },
    async stop() {
      await apollo.stop();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** Collects events. */
export function recorder(): { events: SecurityEvent[]; onEvent: (e: SecurityEvent) => void } {
  const events: SecurityEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}
