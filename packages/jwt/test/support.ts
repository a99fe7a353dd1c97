import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { principalFromContext } from '@bulwark/core';
import type { SecurityEvent } from '@bulwark/core';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload, JWTHeaderParameters } from 'jose';

/** A signing key with its public JWK. */
export interface TestKey {
  alg: 'RS256' | 'ES256' | 'EdDSA' | 'PS256';
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

/** Generates a key pair whose public JWK carries `kid` (and `alg`). */
export async function makeKey(alg: TestKey['alg'], kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicKey, jwk };
}

export const ISSUER = 'https://idp.test/';
export const AUDIENCE = 'https://api.test';
/** The fixed clock of most tests: 2030-01-01T00:00:00Z. */
export const NOW_MS = Date.UTC(2030, 0, 1);
export const NOW = NOW_MS / 1000;

/** Standard claims of a valid token at {@link NOW}; override or drop (`undefined`) any. */
export function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    iat: NOW - 60,
    exp: NOW + 600,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    scope: 'read:posts write:posts',
    roles: ['editor'],
    ...overrides,
  };
  for (const [k, v] of Object.entries(base)) if (v === undefined) delete base[k];
  return base as JWTPayload;
}

/** Signs `payload` with `key`, with `kid` and `alg` in the header unless overridden. */
export async function sign(
  key: TestKey | { alg: string; privateKey: CryptoKey | Uint8Array; kid?: string },
  payload: JWTPayload = claims(),
  header: Partial<JWTHeaderParameters> = {},
  crit?: Record<string, boolean>,
): Promise<string> {
  const protectedHeader: JWTHeaderParameters = { alg: key.alg, ...header };
  if (key.kid !== undefined && !('kid' in header)) protectedHeader.kid = key.kid;
  for (const [k, v] of Object.entries(protectedHeader))
    if (v === undefined) delete protectedHeader[k];
  return new SignJWT(payload)
    .setProtectedHeader(protectedHeader)
    .sign(key.privateKey, crit ? { crit } : undefined);
}

export function b64url(value: string | Uint8Array): string {
  return Buffer.from(value).toString('base64url');
}

/** An unsigned token with the given header and payload (JSON-encoded unless a string). */
export function unsigned(header: unknown, payload: unknown, signature = ''): string {
  const enc = (v: unknown) => b64url(typeof v === 'string' ? v : JSON.stringify(v));
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

/** A recording HTTP server on 127.0.0.1:0: counts requests, serves a JWKS, can fail. */
export interface KeyServer {
  url: string;
  jwksUrl: string;
  /** Paths requested, in order. */
  requests: string[];
  jwks: { keys: JWK[] };
  /**
   * `'ok'`: 200 with the JWKS; `'error'`: 503; `'reset'`: the socket is destroyed; `'hang'`: no
   * answer; `'huge'`: 200 with 600 KB; `'redirect'`: 302 to `redirectTo`.
   */
  mode: 'ok' | 'error' | 'reset' | 'hang' | 'huge' | 'redirect';
  redirectTo: string;
  close(): Promise<void>;
}

export async function startKeyServer(keys: JWK[] = []): Promise<KeyServer> {
  const hanging: http.ServerResponse[] = [];
  const state: KeyServer = {
    url: '',
    jwksUrl: '',
    requests: [],
    jwks: { keys },
    mode: 'ok',
    redirectTo: '',
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    state.requests.push(req.url ?? '');
    if (state.mode === 'reset') {
      req.socket.destroy();
      return;
    }
    if (state.mode === 'hang') {
      hanging.push(res);
      return;
    }
    if (state.mode === 'huge') {
      const padding = 'x'.repeat(600 * 1024);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...state.jwks, padding }));
      return;
    }
    if (state.mode === 'redirect') {
      res.writeHead(302, { location: state.redirectTo }).end();
      return;
    }
    if (state.mode === 'error') {
      res.writeHead(503).end('down');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state.jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;
  state.jwksUrl = `${state.url}/.well-known/jwks.json`;
  return state;
}

/** A schema that shows the principal of the request. */
export const typeDefs = /* GraphQL */ `
  type Me {
    subject: String!
    scopes: [String!]!
    roles: [String!]!
    tokenId: String
  }
  type Query {
    me: Me
    ping: String!
  }
`;

export const resolvers = {
  Query: {
    me: (_: unknown, __: unknown, context: unknown) => principalFromContext(context),
    ping: () => 'pong',
  },
};

/** An `onEvent` that records. */
export function recorder(): { events: SecurityEvent[]; onEvent: (e: SecurityEvent) => void } {
  const events: SecurityEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}
