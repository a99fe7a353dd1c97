import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUTH_UNAVAILABLE_MESSAGE, UNAUTHENTICATED_MESSAGE, createJwtAuth } from '@bulwark/jwt';
import type { JwtAuth } from '@bulwark/jwt';
import { startTestServer } from '../../../test/support/http.js';
import type { TestServer } from '../../../test/support/http.js';
import {
  AUDIENCE,
  ISSUER,
  NOW_MS,
  b64url,
  claims,
  makeKey,
  recorder,
  resolvers,
  sign,
  startKeyServer,
  typeDefs,
  unsigned,
} from './support.js';
import type { KeyServer, TestKey } from './support.js';

// jose's remote key set keeps time with Date.now(): only Date is faked, so sockets and
// timeouts stay real while the tests move the clock past cooldowns and cache ages.
const SECOND = 1000;

let k1: TestKey;
let k2: TestKey;
let stranger: TestKey;

beforeAll(async () => {
  [k1, k2, stranger] = await Promise.all([
    makeKey('RS256', 'k1'),
    makeKey('RS256', 'k2'),
    makeKey('RS256', 'stranger'),
  ]);
});

interface Setup {
  idp: KeyServer;
  jwt: JwtAuth;
  server: TestServer;
  events: ReturnType<typeof recorder>['events'];
  status(token: string): Promise<number>;
  close(): Promise<void>;
}

const opened: Setup[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
});

async function setup(
  keys: TestKey[],
  remote: { timeout?: string; cooldown?: string; cacheMaxAge?: string } = {},
): Promise<Setup> {
  const idp = await startKeyServer(keys.map((k) => k.jwk));
  const { events, onEvent } = recorder();
  const jwt = createJwtAuth({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256'],
    keys: { type: 'remote-jwks', url: idp.jwksUrl, ...remote },
    onEvent,
  });
  const server = await startTestServer({
    typeDefs,
    resolvers,
    context: jwt.context(),
    includeStacktraceInErrorResponses: false,
  });
  const created: Setup = {
    idp,
    jwt,
    server,
    events,
    async status(token) {
      return (await server.post({ query: '{ ping }' }, { authorization: `Bearer ${token}` }))
        .status;
    },
    async close() {
      await server.stop();
      await idp.close();
    },
  };
  opened.push(created);
  return created;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW_MS);
});

afterEach(() => {
  vi.useRealTimers();
});

/** Claims valid for an hour from the (moving) clock. */
function live() {
  const now = Math.floor(Date.now() / 1000);
  return claims({ iat: now - 60, exp: now + 3600 });
}

function advance(ms: number) {
  vi.setSystemTime(Date.now() + ms);
}

describe('kid flood', () => {
  let s: Setup;

  it('triggers at most one JWKS request per cooldown, counted at the JWKS server', async () => {
    s = await setup([k1]);
    expect(await s.status(await sign(k1))).toBe(200);
    expect(s.idp.requests).toHaveLength(1);

    const flood = async () => {
      // Key selection comes before the signature check: a random signature is enough.
      const tokens = Array.from({ length: 150 }, (_, i) =>
        unsigned(
          { alg: 'RS256', kid: `random-${i}-${Math.random()}` },
          claims(),
          b64url(`sig-${i}`),
        ),
      );
      const statuses = [];
      for (let i = 0; i < tokens.length; i += 50) {
        statuses.push(...(await Promise.all(tokens.slice(i, i + 50).map((t) => s.status(t)))));
      }
      return statuses;
    };

    // Within the cooldown after the first fetch: no request at all.
    expect(new Set(await flood())).toEqual(new Set([401]));
    expect(s.idp.requests).toHaveLength(1);

    // After the cooldown: one refetch for the whole flood, then silence again.
    advance(31 * SECOND);
    expect(new Set(await flood())).toEqual(new Set([401]));
    expect(s.idp.requests).toHaveLength(2);
    expect(await s.status(await sign(k1))).toBe(200);
    expect(s.idp.requests).toHaveLength(2);
  });
});

describe('key rotation without a restart', () => {
  let s: Setup;

  it('picks up an added key after the cooldown and drops a removed one after the cache age', async () => {
    s = await setup([k1]);
    const old = await sign(k1, live());
    expect(await s.status(old)).toBe(200);

    // The identity provider publishes k2 and starts signing with it.
    s.idp.jwks = { keys: [k1.jwk, k2.jwk] };
    const fresh = await sign(k2, live());
    expect(await s.status(fresh)).toBe(401); // within the cooldown of the first fetch
    advance(31 * SECOND);
    expect(await s.status(fresh)).toBe(200);
    expect(s.idp.requests).toHaveLength(2);
    expect(await s.status(old)).toBe(200);

    // k1 is retired. Once the key set is due for a refresh, tokens signed with k1 are refused,
    // including the one held in the verified-token cache.
    s.idp.jwks = { keys: [k2.jwk] };
    advance(10 * 60 * SECOND + SECOND);
    expect(await s.status(old)).toBe(401);
    expect(s.idp.requests).toHaveLength(3);
    expect(s.events.at(-1)?.detail).toMatchObject({ check: 'key', kid: 'k1' });
    expect(await s.status(fresh)).toBe(200);
    expect(await s.status(old)).toBe(401);
    expect(s.idp.requests).toHaveLength(3);
  });
});

describe('JWKS outage', () => {
  let s: Setup;

  it.each(['error', 'reset'] as const)(
    'keeps the cached keys working while the endpoint fails (%s)',
    async (mode) => {
      s = await setup([k1]);
      expect(await s.status(await sign(k1, live()))).toBe(200);
      expect(s.idp.requests).toHaveLength(1);

      s.idp.mode = mode;
      advance(11 * 60 * SECOND); // the keys are past their cache age: a refresh is due
      expect(await s.status(await sign(k1, live()))).toBe(200);
      expect(s.idp.requests).toHaveLength(2);
      expect(s.events.at(-1)).toMatchObject({
        source: 'jwt',
        outcome: 'warning',
        code: 'JWKS_FETCH_FAILED',
      });

      // Within the cooldown after the failure, requests do not hit the endpoint again.
      for (let i = 0; i < 20; i++) expect(await s.status(await sign(k1, live()))).toBe(200);
      expect(s.idp.requests).toHaveLength(2);

      // A kid we never saw cannot be checked while the endpoint is down: 503, not 401.
      const res = await s.server.post(
        { query: '{ ping }' },
        { authorization: `Bearer ${await sign(k2, live())}` },
      );
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        errors: [
          { message: AUTH_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } },
        ],
      });
      expect(s.idp.requests).toHaveLength(2);

      // One attempt per cooldown while it stays down; then it recovers.
      advance(31 * SECOND);
      expect(await s.status(await sign(k1, live()))).toBe(200);
      expect(s.idp.requests).toHaveLength(3);
      s.idp.mode = 'ok';
      s.idp.jwks = { keys: [k1.jwk, k2.jwk] };
      advance(31 * SECOND);
      expect(await s.status(await sign(k2, live()))).toBe(200);
      expect(s.idp.requests).toHaveLength(4);
    },
  );

  it('answers 503 when no key set was ever fetched, and retries after the cooldown', async () => {
    s = await setup([k1]);
    s.idp.mode = 'error';
    const res = await s.server.post(
      { query: '{ ping }' },
      { authorization: `Bearer ${await sign(k1, live())}` },
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(res.body).toEqual({
      errors: [{ message: AUTH_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } }],
    });
    expect(s.events.at(-1)).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      outcome: 'rejected',
      detail: { check: 'keys', kid: 'k1' },
    });
    expect(await s.status(await sign(k1, live()))).toBe(503);
    expect(s.idp.requests).toHaveLength(1);
    s.idp.mode = 'ok';
    advance(31 * SECOND);
    expect(await s.status(await sign(k1, live()))).toBe(200);
    expect(s.idp.requests).toHaveLength(2);
  });

  it('gives up on a hanging endpoint after `timeout`', async () => {
    s = await setup([k1], { timeout: '50ms' });
    s.idp.mode = 'hang';
    expect(await s.status(await sign(k1, live()))).toBe(503);
    expect(s.events.find((e) => e.code === 'JWKS_FETCH_FAILED')).toBeDefined();
  });

  it('refuses an oversized key set and does not follow redirects', async () => {
    s = await setup([k1]);
    const elsewhere = await startKeyServer([stranger.jwk]);
    try {
      s.idp.mode = 'huge';
      expect(await s.status(await sign(k1, live()))).toBe(503);
      expect(s.events.at(-2)?.detail?.error).toMatch(/larger than/);

      s.idp.mode = 'redirect';
      s.idp.redirectTo = elsewhere.jwksUrl;
      advance(31 * SECOND);
      expect(await s.status(await sign(stranger))).toBe(503);
      expect(s.idp.requests).toHaveLength(2);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('a 401 from the JWKS path looks like every other 401', () => {
  let s: Setup;

  it('answers an unknown kid with the common body', async () => {
    s = await setup([k1]);
    const res = await s.server.post(
      { query: '{ ping }' },
      { authorization: `Bearer ${await sign(stranger)}` },
    );
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      errors: [
        {
          message: UNAUTHENTICATED_MESSAGE,
          extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' },
        },
      ],
    });
  });
});
