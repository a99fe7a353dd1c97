import { createHash, createHmac } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { UnauthenticatedError, createPrincipal } from '@bulwark/core';
import type { Principal, SecurityEvent } from '@bulwark/core';
import {
  GATEWAY_SIGNATURE_MESSAGE,
  PRINCIPAL_HEADER,
  createPrincipalSigner,
  createPrincipalVerifier,
  requestBinding,
} from '@bulwark/gateway';
import type { PrincipalVerifierOptions, SubgraphRequest } from '@bulwark/gateway';
import { describe, expect, it } from 'vitest';

const SECRET = 'a-test-secret-that-is-long-enough-for-hmac-256';
const OTHER_SECRET = 'another-secret-that-is-also-long-enough-for-it';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const REQUEST = {
  query:
    'query Orders__orders__1($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { orders { id } } } }',
  operationName: 'Orders__orders__1',
  variables: { representations: [{ __typename: 'User', id: 'u1' }] },
} satisfies SubgraphRequest;

const ALICE = createPrincipal({
  subject: 'u1',
  scopes: ['orders:write'],
  roles: ['customer'],
  claims: { sub: 'u1', tenant: 'acme', email: 'alice@example.com', scope: 'orders:write' },
  tokenId: 'jti-1',
  issuedAt: 1_767_268_000,
  expiresAt: 1_767_271_600,
});

function clock(start = T0) {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v) };
}

function setup(options: Partial<PrincipalVerifierOptions> = {}, claims: string[] = []) {
  const c = clock();
  const events: SecurityEvent[] = [];
  const signer = createPrincipalSigner({ secret: SECRET, now: c.now, claims });
  const verifier = createPrincipalVerifier({
    secret: SECRET,
    subgraph: 'orders',
    now: c.now,
    onEvent: (e) => events.push(e),
    ...options,
  });
  const header = (
    principal: Principal | null = ALICE,
    subgraph = 'orders',
    request: SubgraphRequest = REQUEST,
  ) => signer.sign({ subgraph, request, principal });
  return { c, events, signer, verifier, header };
}

/** Asserts the one refusal every check gives, and returns the check the event names. */
function refusal(fn: () => unknown, events: SecurityEvent[]): string {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(UnauthenticatedError);
  const e = error as InstanceType<typeof UnauthenticatedError>;
  expect(e.message).toBe(GATEWAY_SIGNATURE_MESSAGE);
  expect(e.extensions).toEqual({
    code: 'UNAUTHENTICATED',
    http: { status: 401, headers: new Map() },
  });
  const event = events.at(-1)!;
  expect(event).toMatchObject({ source: 'gateway', outcome: 'rejected', code: 'UNAUTHENTICATED' });
  return (event.detail as { check: string }).check;
}

describe('options', () => {
  it('refuses a secret shorter than 256 bits, on both sides', () => {
    expect(() => createPrincipalSigner({ secret: 'x'.repeat(31) })).toThrow(
      new TypeError('`secret` must be at least 32 bytes (256 bits), got 31.'),
    );
    expect(() => createPrincipalVerifier({ secret: new Uint8Array(16), subgraph: 'a' })).toThrow(
      new TypeError('`secret` must be at least 32 bytes (256 bits), got 16.'),
    );
    expect(() => createPrincipalVerifier({ secret: [SECRET, 'short'], subgraph: 'a' })).toThrow(
      new TypeError('`secret[1]` must be at least 32 bytes (256 bits), got 5.'),
    );
    expect(() => createPrincipalVerifier({ secret: [], subgraph: 'a' })).toThrow(
      new TypeError('`secret` must not be an empty list.'),
    );
    expect(() => createPrincipalSigner({ secret: 42 as never })).toThrow(
      new TypeError('`secret` must be a string or a Uint8Array of at least 32 bytes, got number.'),
    );
    // A multi-byte secret is measured in bytes, not characters.
    expect(() => createPrincipalSigner({ secret: 'é'.repeat(16) })).not.toThrow();
  });

  it('refuses unknown options, a missing subgraph and unsafe durations', () => {
    expect(() => createPrincipalSigner({ secret: SECRET, tll: '30s' } as never)).toThrow(
      /unknown option "tll"/,
    );
    expect(() => createPrincipalVerifier({ secret: SECRET } as never)).toThrow(
      new TypeError('`subgraph` must be a non-empty string, got undefined.'),
    );
    expect(() => createPrincipalSigner({ secret: SECRET, ttl: '10m' })).toThrow(
      new TypeError('`ttl` must be between 1 second and 5 minutes, got 600000 ms.'),
    );
    expect(() => createPrincipalVerifier({ secret: SECRET, subgraph: 'a', maxTtl: 0 })).toThrow(
      new TypeError('`maxTtl` must be between 1 second and 5 minutes, got 0 ms.'),
    );
    expect(() =>
      createPrincipalVerifier({ secret: SECRET, subgraph: 'a', clockTolerance: '2m' }),
    ).toThrow(new TypeError('`clockTolerance` must be at most 1 minute, got 120000 ms.'));
    expect(() => createPrincipalSigner({ secret: SECRET, claims: [''] })).toThrow(
      new TypeError('`claims[0]` must be a non-empty string, got "".'),
    );
  });

  it('keeps the defaults when an option is given as undefined', () => {
    const { c } = setup();
    const signer = createPrincipalSigner({ secret: SECRET, ttl: undefined, now: c.now });
    const verifier = createPrincipalVerifier({
      secret: SECRET,
      subgraph: 'orders',
      now: c.now,
      clockTolerance: undefined,
    });
    const header = signer.sign({ subgraph: 'orders', request: REQUEST, principal: null });
    c.set(T0 + 30_000 + 5_000);
    expect(verifier.verify({ headers: { [PRINCIPAL_HEADER]: header }, body: REQUEST })).toBe(null);
  });
});

describe('a signed principal', () => {
  it('reaches the subgraph exactly as the gateway verified it, without the token or other claims', () => {
    const { verifier, header } = setup({}, ['tenant']);
    const principal = verifier.verify({ headers: { [PRINCIPAL_HEADER]: header() }, body: REQUEST });
    expect(principal).toEqual({
      subject: 'u1',
      scopes: ['orders:write'],
      roles: ['customer'],
      claims: { tenant: 'acme' },
      tokenId: 'jti-1',
      issuedAt: 1_767_268_000,
      expiresAt: 1_767_271_600,
    });
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it('forwards no claim by default, and an anonymous request as null', () => {
    const { verifier, header } = setup();
    const headers = (h: string) => ({ [PRINCIPAL_HEADER]: h });
    expect(verifier.verify({ headers: headers(header()), body: REQUEST })?.claims).toEqual({});
    expect(verifier.verify({ headers: headers(header(null)), body: REQUEST })).toBe(null);
  });

  it('carries no token and no clear-text claim in the header', () => {
    const { header } = setup();
    const value = header();
    expect(value).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const payload = JSON.parse(Buffer.from(value.split('.')[1]!, 'base64url').toString());
    expect(payload).toEqual({
      v: 1,
      sg: 'orders',
      bh: requestBinding(REQUEST),
      iat: T0,
      exp: T0 + 30_000,
      p: {
        sub: 'u1',
        scp: ['orders:write'],
        rol: ['customer'],
        jti: 'jti-1',
        tiat: 1_767_268_000,
        texp: 1_767_271_600,
      },
    });
  });

  it('reads Fetch headers and verifies with any secret of a rotation list', () => {
    const c = clock();
    const oldSigner = createPrincipalSigner({ secret: OTHER_SECRET, now: c.now });
    const verifier = createPrincipalVerifier({
      secret: [SECRET, OTHER_SECRET],
      subgraph: 'orders',
      now: c.now,
    });
    const value = oldSigner.sign({ subgraph: 'orders', request: REQUEST, principal: ALICE });
    const headers = new Headers({ [PRINCIPAL_HEADER]: value });
    expect(verifier.verify({ headers, body: REQUEST })?.subject).toBe('u1');
  });

  it('binds SHA-256 of [query, operationName, variables] as JSON, for any query, cached or not', () => {
    const expected = (r: SubgraphRequest) =>
      createHash('sha256')
        .update(JSON.stringify([r.query ?? null, r.operationName ?? null, r.variables ?? null]))
        .digest('base64url');
    const requests: SubgraphRequest[] = [
      REQUEST,
      { query: '{ a }' },
      { query: `{ ${'a '.repeat(10_000)}}`, variables: { x: 'y' } },
      // Past the cache's size: it is cleared and refilled.
      ...Array.from({ length: 1_100 }, (_, i) => ({ query: `{ f${i} }`, operationName: `Op${i}` })),
      REQUEST,
    ];
    for (const r of requests) expect(requestBinding(r)).toBe(expected(r));
  });

  it('binds the body through a JSON round trip (what the subgraph parses)', () => {
    const request = {
      query: '{ a }',
      variables: { '10': 1, '2': [0.1, -0, 1e21, 'é\u2028\ud83d'], b: { c: null, u: undefined } },
    };
    const parsed = JSON.parse(JSON.stringify(request)) as SubgraphRequest;
    expect(requestBinding(parsed)).toBe(requestBinding(request));
    expect(requestBinding({ query: '{ a }' })).toBe(
      requestBinding({ query: '{ a }', variables: null }),
    );
    expect(requestBinding({ query: '{ a }', variables: { x: 1n } })).toBeUndefined();
  });
});

describe('refusals: one 401, the check in the event only', () => {
  it('no header, an empty one, or two of them', () => {
    const { verifier, events, header } = setup();
    expect(refusal(() => verifier.verify({ headers: {}, body: REQUEST }), events)).toBe('missing');
    expect(
      refusal(
        () => verifier.verify({ headers: { [PRINCIPAL_HEADER]: '' }, body: REQUEST }),
        events,
      ),
    ).toBe('missing');
    expect(
      refusal(
        () =>
          verifier.verify({ headers: { [PRINCIPAL_HEADER]: [header(), header()] }, body: REQUEST }),
        events,
      ),
    ).toBe('malformed');
    // Node joins repeated unknown headers with ", ".
    expect(
      refusal(
        () =>
          verifier.verify({
            headers: { [PRINCIPAL_HEADER]: `${header()}, ${header()}` },
            body: REQUEST,
          }),
        events,
      ),
    ).toBe('malformed');
  });

  it('a malformed value, a bearer token, an oversized one', () => {
    const { verifier, events } = setup();
    for (const value of [
      'v1.abc',
      'Bearer eyJ.eyJ.sig',
      `v1.${'A'.repeat(9000)}.${'A'.repeat(43)}`,
    ])
      expect(
        refusal(
          () => verifier.verify({ headers: { [PRINCIPAL_HEADER]: value }, body: REQUEST }),
          events,
        ),
      ).toBe('malformed');
  });

  it('a signature spelled in a non-canonical base64url form', () => {
    const { verifier, events, header } = setup();
    const value = header();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // The last character carries 2 bits of the MAC and 4 spare bits: flip a spare one.
    const last = alphabet[alphabet.indexOf(value.at(-1)!) ^ 1]!;
    const respelled = value.slice(0, -1) + last;
    expect(Buffer.from(respelled.split('.')[2]!, 'base64url')).toEqual(
      Buffer.from(value.split('.')[2]!, 'base64url'),
    );
    expect(
      refusal(
        () => verifier.verify({ headers: { [PRINCIPAL_HEADER]: respelled }, body: REQUEST }),
        events,
      ),
    ).toBe('malformed');
  });

  it('a signature made with another secret', () => {
    const { verifier, events, c } = setup();
    const forged = createPrincipalSigner({ secret: OTHER_SECRET, now: c.now }).sign({
      subgraph: 'orders',
      request: REQUEST,
      principal: createPrincipal({ subject: 'u3', roles: ['admin'] }),
    });
    expect(
      refusal(
        () => verifier.verify({ headers: { [PRINCIPAL_HEADER]: forged }, body: REQUEST }),
        events,
      ),
    ).toBe('signature');
  });

  it('a tampered payload (roles raised) under the original signature', () => {
    const { verifier, events, header } = setup();
    const [v, payload, sig] = header().split('.') as [string, string, string];
    const raised = JSON.parse(Buffer.from(payload, 'base64url').toString());
    raised.p.rol = ['admin'];
    const tampered = `${v}.${Buffer.from(JSON.stringify(raised)).toString('base64url')}.${sig}`;
    expect(
      refusal(
        () => verifier.verify({ headers: { [PRINCIPAL_HEADER]: tampered }, body: REQUEST }),
        events,
      ),
    ).toBe('signature');
  });

  it('a signed payload of the wrong shape', () => {
    const { verifier, events } = setup();
    const signedPart = `v1.${Buffer.from(JSON.stringify({ v: 1, sg: 'orders', p: 'admin' })).toString('base64url')}`;
    const mac = createHmac('sha256', SECRET).update(signedPart).digest('base64url');
    expect(
      refusal(
        () =>
          verifier.verify({
            headers: { [PRINCIPAL_HEADER]: `${signedPart}.${mac}` },
            body: REQUEST,
          }),
        events,
      ),
    ).toBe('payload');
  });

  it('a header replayed to another subgraph', () => {
    const { verifier, events, header } = setup();
    const forAccounts = header(ALICE, 'accounts');
    expect(
      refusal(
        () => verifier.verify({ headers: { [PRINCIPAL_HEADER]: forAccounts }, body: REQUEST }),
        events,
      ),
    ).toBe('subgraph');
    expect(events.at(-1)).toMatchObject({
      subject: 'u1',
      reason: 'The signature is for subgraph "accounts", not "orders".',
      detail: { check: 'subgraph', subgraph: 'orders' },
    });
  });

  it('a header replayed with another query, variables or operation name, or without a body', () => {
    const { verifier, events, header } = setup();
    const value = header();
    const headers = { [PRINCIPAL_HEADER]: value };
    const variants: unknown[] = [
      { ...REQUEST, query: '{ users { email } }' },
      { ...REQUEST, variables: { representations: [{ __typename: 'User', id: 'u2' }] } },
      { ...REQUEST, operationName: 'Other' },
      undefined,
      [REQUEST],
      { ...REQUEST, query: undefined },
    ];
    for (const body of variants)
      expect(refusal(() => verifier.verify({ headers, body }), events)).toBe('binding');
    expect(verifier.verify({ headers, body: structuredClone(REQUEST) })?.subject).toBe('u1');
  });

  it('an expired signature, at the edge of the clock tolerance', () => {
    const { verifier, events, header, c } = setup();
    const headers = { [PRINCIPAL_HEADER]: header() };
    c.set(T0 + 30_000 + 5_000);
    expect(verifier.verify({ headers, body: REQUEST })?.subject).toBe('u1');
    c.set(T0 + 30_000 + 5_001);
    expect(refusal(() => verifier.verify({ headers, body: REQUEST }), events)).toBe('expired');
  });

  it('a signature from the future, and one valid for longer than maxTtl', () => {
    const { verifier, events, c } = setup();
    const future = createPrincipalSigner({ secret: SECRET, now: () => c.now() + 5_001 });
    const headers = {
      [PRINCIPAL_HEADER]: future.sign({ subgraph: 'orders', request: REQUEST, principal: null }),
    };
    expect(refusal(() => verifier.verify({ headers, body: REQUEST }), events)).toBe(
      'not-yet-valid',
    );
    const long = createPrincipalSigner({ secret: SECRET, ttl: '2m', now: c.now });
    const longHeaders = {
      [PRINCIPAL_HEADER]: long.sign({ subgraph: 'orders', request: REQUEST, principal: null }),
    };
    expect(refusal(() => verifier.verify({ headers: longHeaders, body: REQUEST }), events)).toBe(
      'ttl',
    );
  });

  it('never puts the header or the secret in an event', () => {
    const { verifier, events, header } = setup();
    const value = header(ALICE, 'accounts');
    expect(() =>
      verifier.verify({ headers: { [PRINCIPAL_HEADER]: value }, body: REQUEST }),
    ).toThrow();
    const text = JSON.stringify(events);
    expect(text).not.toContain(value.split('.')[1]);
    expect(text).not.toContain(SECRET);
  });
});

describe('under Apollo Server', () => {
  const typeDefs = 'type Query { me: String }';
  const resolvers = {
    Query: {
      me: (_: unknown, __: unknown, ctx: { auth: { principal: Principal | null } }) =>
        ctx.auth.principal?.subject ?? 'anonymous',
    },
  };

  it('context() puts the principal in `auth`, after the fields of `build`', async () => {
    const { verifier, header } = setup();
    const context = verifier.context(async () => ({ auth: 'forged', db: 'db' }));
    const value = await context({
      req: { headers: { [PRINCIPAL_HEADER]: header() }, body: REQUEST },
    });
    expect(value).toEqual({
      db: 'db',
      auth: { principal: expect.objectContaining({ subject: 'u1' }) },
    });
    await expect(context({ req: { headers: {}, body: REQUEST } })).rejects.toThrow(
      GATEWAY_SIGNATURE_MESSAGE,
    );
  });

  it('plugin() refuses an operation whose context the verifier did not build', async () => {
    const { verifier, header } = setup();
    const server = new ApolloServer({ typeDefs, resolvers, plugins: [verifier.plugin()] });
    await server.start();
    try {
      const forged = await server.executeOperation(
        { query: '{ me }' },
        { contextValue: { auth: { principal: ALICE } } },
      );
      expect(forged.http.status).toBe(401);
      expect(forged.body).toMatchObject({
        kind: 'single',
        singleResult: {
          errors: [{ message: GATEWAY_SIGNATURE_MESSAGE, extensions: { code: 'UNAUTHENTICATED' } }],
        },
      });
      const request = { query: '{ me }' };
      const contextValue = await verifier.context()({
        req: { headers: { [PRINCIPAL_HEADER]: header(ALICE, 'orders', request) }, body: request },
      });
      const ok = await server.executeOperation(request, { contextValue });
      expect(ok.body).toMatchObject({ kind: 'single', singleResult: { data: { me: 'u1' } } });
    } finally {
      await server.stop();
    }
  });
});
