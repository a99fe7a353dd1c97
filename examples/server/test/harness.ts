import type { SecurityEvent } from '@bulwark/core';
import { createServer } from '@bulwark/example-server';
import type { RunningServer, ServerConfig } from '@bulwark/example-server';

/**
 * The attacker's view of the example server, for the end-to-end suites (test/e2e-*.test.ts):
 * the server runs in production mode on 127.0.0.1:0 with an injected clock, its JSON log lines
 * and security events captured, and is driven over real HTTP with `fetch`.
 */

/** A fixed start time: windows and token lifetimes are moved with `clock.now`, never slept. */
export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

/** Demo passwords of the target (the suites log in with them; they must never reach a log). */
export const PASSWORDS = {
  admin: 'admin-Correct-Horse-7',
  support: 'support-Battery-Staple-8',
  customer: 'customer-Tr0ub4dor-and-3',
} as const;

/** Who is who in the example data. */
export const ACCOUNTS = {
  ada: { id: 'u1', email: 'ada@example.com', role: 'admin' },
  grace: { id: 'u2', email: 'grace@example.com', role: 'customer' },
  alan: { id: 'u3', email: 'alan@example.com', role: 'customer' },
  barbara: { id: 'u4', email: 'barbara@example.com', role: 'customer' },
  sam: { id: 's1', email: 'support@example.com', role: 'support' },
} as const;

export type Who = keyof typeof ACCOUNTS;

/** A GraphQL error as sent. */
export interface WireError {
  message: string;
  locations?: { line: number; column: number }[];
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** A response as the attacker sees it. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: {
    data?: Record<string, unknown> | null;
    errors?: WireError[];
    extensions?: Record<string, unknown>;
  };
}

/** A running target. */
export interface Target {
  server: RunningServer;
  url: string;
  origin: string;
  clock: { now: number };
  /** Every log line written, parsed. */
  logs: Record<string, unknown>[];
  /** Every log line written, raw. */
  rawLogs: string[];
  events: SecurityEvent[];
  /** POSTs JSON (an object is serialized; a string is sent as is). */
  post(body: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** Sends anything to any path of the server (default `/graphql`). */
  send(init: RequestInit & { path?: string; search?: string }): Promise<Reply>;
  /** POSTs an operation with an optional bearer token. */
  gql(
    query: string,
    options?: {
      token?: string;
      variables?: Record<string, unknown>;
      headers?: Record<string, string>;
    },
  ): Promise<Reply>;
  /** Logs in and returns the tokens (fails the test if refused). */
  login(who: Who): Promise<{ accessToken: string; refreshToken: string }>;
  stop(): Promise<void>;
}

async function read(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: Reply['body'] = {};
  try {
    body = JSON.parse(text) as Reply['body'];
  } catch {
    body = {};
  }
  return { status: res.status, headers: res.headers, text, body };
}

export const LOGIN = /* GraphQL */ `
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      accessToken
      refreshToken
      expiresIn
    }
  }
`;

/** The password of an account of the example data. */
export function passwordOf(who: Who): string {
  return PASSWORDS[ACCOUNTS[who].role];
}

/** Starts the example server as a target. */
export async function startTarget(config: ServerConfig = {}): Promise<Target> {
  const clock = { now: T0 };
  const logs: Record<string, unknown>[] = [];
  const rawLogs: string[] = [];
  const events: SecurityEvent[] = [];
  const server = await createServer({
    port: 0,
    host: '127.0.0.1',
    production: true,
    demoPasswords: { ...PASSWORDS },
    now: () => clock.now,
    log: {
      level: 'info',
      destination: {
        write(line: string) {
          rawLogs.push(line);
          logs.push(JSON.parse(line) as Record<string, unknown>);
        },
      },
    },
    metrics: { port: 0 },
    onEvent: (e) => events.push(e),
    ...config,
  });
  const url = server.url;
  const origin = new URL(url).origin;
  const target: Target = {
    server,
    url,
    origin,
    clock,
    logs,
    rawLogs,
    events,
    async post(body, headers = {}) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return read(res);
    },
    async send({ path = '/graphql', search = '', ...init }) {
      return read(await fetch(`${origin}${path}${search}`, init));
    },
    async gql(query, { token, variables, headers = {} } = {}) {
      return target.post(
        { query, ...(variables ? { variables } : {}) },
        { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      );
    },
    async login(who) {
      const res = await target.gql(LOGIN, {
        variables: { email: ACCOUNTS[who].email, password: passwordOf(who) },
      });
      const login = res.body.data?.['login'] as
        { accessToken: string; refreshToken: string } | undefined;
      if (res.status !== 200 || !login) {
        throw new Error(`login as ${who} failed: ${res.status} ${res.text}`);
      }
      return login;
    },
    async stop() {
      await server.stop();
    },
  };
  return target;
}

/** The codes of a reply's errors (`validationErrorCode` when Apollo rewrote the code). */
export function codes(reply: Reply): unknown[] {
  return (reply.body.errors ?? []).map(
    (e) => e.extensions?.['validationErrorCode'] ?? e.extensions?.['code'],
  );
}
