import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import type { ApolloServerOptions, BaseContext, ContextFunction } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import type { ExpressContextFunctionArgument } from '@as-integrations/express5';
import express from 'express';
import type { RequestHandler } from 'express';

/** An Express middleware, for `before` / `afterBodyParser`. */
export type Middleware = RequestHandler;

/** A response as the tests see it. */
export interface TestResponse<T = GraphQLBody> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A GraphQL response body. */
export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: {
    message: string;
    path?: (string | number)[];
    locations?: { line: number; column: number }[];
    extensions?: Record<string, unknown>;
  }[];
  extensions?: Record<string, unknown>;
}

/** A running test server. */
export interface TestServer {
  url: string;
  server: ApolloServer<BaseContext>;
  /** POSTs a GraphQL request as JSON. */
  post<T = GraphQLBody>(body: unknown, headers?: Record<string, string>): Promise<TestResponse<T>>;
  /** Sends any request to the GraphQL endpoint (GET queries, odd content types). */
  request<T = GraphQLBody>(init: RequestInit & { search?: string }): Promise<TestResponse<T>>;
  stop(): Promise<void>;
}

/** Options of {@link startTestServer}: Apollo options plus the context function and middleware. */
export type TestServerOptions<TContext extends BaseContext> = ApolloServerOptions<TContext> & {
  context?: ContextFunction<[ExpressContextFunctionArgument], TContext>;
  /** Express middleware mounted before the JSON body parser (body limits, headers). */
  before?: RequestHandler[];
  /** Express middleware mounted after the JSON body parser, before Apollo (batch checks). */
  afterBodyParser?: RequestHandler[];
  /** Path of the GraphQL endpoint. @default '/graphql' */
  path?: string;
};

async function read<T>(res: Response): Promise<TestResponse<T>> {
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body: body as T, text };
}

/**
 * Starts Apollo Server 5 on Express 5 on 127.0.0.1, port 0. Stop it in `afterAll`.
 */
export async function startTestServer<TContext extends BaseContext = BaseContext>(
  options: TestServerOptions<TContext>,
): Promise<TestServer> {
  const {
    context,
    before = [],
    afterBodyParser = [],
    path = '/graphql',
    ...apolloOptions
  } = options;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const server = new ApolloServer<TContext>(apolloOptions as ApolloServerOptions<TContext>);
  await server.start();
  app.use(
    path,
    ...before,
    express.json({ limit: '2mb' }),
    ...afterBodyParser,
    expressMiddleware(server, {
      context: context ?? (async () => ({}) as TContext),
    }),
  );
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}${path}`;
  return {
    url,
    server: server as unknown as ApolloServer<BaseContext>,
    async post<T>(body: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return read<T>(res);
    },
    async request<T>(init: RequestInit & { search?: string }) {
      const res = await fetch(url + (init.search ?? ''), init);
      return read<T>(res);
    },
    async stop() {
      await server.stop();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
