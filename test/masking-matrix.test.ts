import type { ApolloServerPlugin } from '@apollo/server';
import { createPrincipal, ForbiddenError } from '@bulwark/core';
import type { SecurityEvent } from '@bulwark/core';
import { createMasking } from '@bulwark/masking';
import { GraphQLError, GraphQLScalarType } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer } from './support/http.js';
import type { TestResponse, TestServer } from './support/http.js';

// Every error source × masking on / off (debug), over real HTTP: exactly what the client sees,
// and the event that carries the detail under the same errorId.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MASKED = 'An unexpected error occurred.';
const THIS_FILE = 'masking-matrix.test.ts';

const typeDefs = `#graphql
  enum Role { ADMIN USER }
  scalar Date
  type Query {
    ok: String
    boom: String
    rejects: String
    nonError: String
    badInput: String
    forbidden: String
    appCode: String
    byRole(role: Role): String
    when(at: Date): String
  }
`;

const Date = new GraphQLScalarType({
  name: 'Date',
  // A scalar that fails with a plain Error: graphql-js copies its message into the client error.
  parseValue(value) {
    throw new Error(
      `pg: invalid input syntax for type date: ${String(value)} (/srv/app/scalars.js:12)`,
    );
  },
  parseLiteral() {
    throw new Error('pg: invalid input syntax for type date (/srv/app/scalars.js:12)');
  },
});

const resolvers = {
  Date,
  Query: {
    ok: () => 'fine',
    boom: () => {
      throw new Error('connect ECONNREFUSED 10.0.0.5:5432 (/srv/app/db.js:40)');
    },
    rejects: async () => {
      await Promise.resolve();
      throw new TypeError("Cannot read properties of undefined (reading 'passwordHash')");
    },
    nonError: () => {
      throw 'raw string from a legacy library: token=abc123';
    },
    badInput: () => {
      throw new GraphQLError('Email is already taken.', {
        extensions: { code: 'BAD_USER_INPUT', field: 'email' },
        originalError: new Error(
          'duplicate key value violates unique constraint "users_email_key"',
        ),
      });
    },
    forbidden: () => {
      throw new ForbiddenError('Access denied.', { reason: 'missing scope orders:read' });
    },
    appCode: () => {
      throw new GraphQLError('Order 42 not found in shard eu-3.', {
        extensions: { code: 'NOT_FOUND' },
      });
    },
    byRole: () => 'x',
    when: () => 'x',
  },
};

type Headers = Record<string, string | string[] | undefined>;

const context = async ({ req }: { req: { headers: Headers } }) => {
  if (req.headers['x-break-context']) {
    throw new Error('session store unreachable at redis://10.0.0.9:6379 (/srv/app/session.js:7)');
  }
  return { auth: { principal: createPrincipal({ subject: 'user-7' }) } };
};

const breakingPlugin: ApolloServerPlugin = {
  async requestDidStart({ request }) {
    if (!request.http?.headers.get('x-break-plugin')) return;
    return {
      async didResolveOperation() {
        throw new Error('rate-limit store: READONLY You cannot write against a read only replica.');
      },
    };
  },
};

const deepQuery = (n: number) => '{' + 'a{'.repeat(n) + 'b' + '}'.repeat(n) + '}';

/** What a row expects of one mode. `errorId` rows must produce exactly one event. */
interface Expectation {
  status: number;
  body: unknown;
  /** The original error the event must carry (name and message), when masked. */
  event?: { name: string; message: string | RegExp; stackHas?: string };
}

interface Row {
  source: string;
  send: (server: TestServer) => Promise<TestResponse>;
  on: Expectation;
  debug: Expectation;
}

const withId = (code: string) => ({ code, errorId: expect.stringMatching(UUID) });

/** A row whose error is safe: the same in both modes but for Apollo's stack under debug. */
function safeRow(source: string, send: Row['send'], on: Expectation): Row {
  return { source, send, on, debug: withApolloStack(on) };
}

/** Under debug, safe errors pass untouched: Apollo's own stack (includeStacktraceInErrorResponses) stays. */
function withApolloStack(expectation: Expectation): Expectation {
  const body = expectation.body as { errors: { extensions: Record<string, unknown> }[] };
  return {
    ...expectation,
    body: {
      ...body,
      errors: body.errors.map((e) => ({
        ...e,
        extensions: { ...e.extensions, stacktrace: expect.any(Array) },
      })),
    },
  };
}

const ROWS: Row[] = [
  {
    source: 'resolver throw',
    send: (s) => s.post({ query: 'query Q { ok boom }', operationName: 'Q' }),
    on: {
      status: 200,
      body: {
        data: { ok: 'fine', boom: null },
        errors: [
          {
            message: MASKED,
            locations: [{ line: 1, column: 14 }],
            path: ['boom'],
            extensions: withId('INTERNAL_SERVER_ERROR'),
          },
        ],
      },
      event: {
        name: 'Error',
        message: 'connect ECONNREFUSED 10.0.0.5:5432 (/srv/app/db.js:40)',
        stackHas: THIS_FILE,
      },
    },
    debug: {
      status: 200,
      body: {
        data: { ok: 'fine', boom: null },
        errors: [
          {
            message: 'connect ECONNREFUSED 10.0.0.5:5432 (/srv/app/db.js:40)',
            locations: [{ line: 1, column: 14 }],
            path: ['boom'],
            extensions: {
              ...withId('INTERNAL_SERVER_ERROR'),
              stacktrace: expect.arrayContaining([expect.stringContaining(THIS_FILE)]),
            },
          },
        ],
      },
      event: { name: 'Error', message: 'connect ECONNREFUSED 10.0.0.5:5432 (/srv/app/db.js:40)' },
    },
  },
  {
    source: 'async rejection',
    send: (s) => s.post({ query: '{ rejects }' }),
    on: {
      status: 200,
      body: {
        data: { rejects: null },
        errors: [
          {
            message: MASKED,
            locations: [{ line: 1, column: 3 }],
            path: ['rejects'],
            extensions: withId('INTERNAL_SERVER_ERROR'),
          },
        ],
      },
      event: {
        name: 'TypeError',
        message: "Cannot read properties of undefined (reading 'passwordHash')",
        stackHas: THIS_FILE,
      },
    },
    debug: {
      status: 200,
      body: {
        data: { rejects: null },
        errors: [
          {
            message: "Cannot read properties of undefined (reading 'passwordHash')",
            locations: [{ line: 1, column: 3 }],
            path: ['rejects'],
            extensions: {
              ...withId('INTERNAL_SERVER_ERROR'),
              stacktrace: expect.arrayContaining([expect.stringMatching(/^TypeError: /)]),
            },
          },
        ],
      },
      event: {
        name: 'TypeError',
        message: "Cannot read properties of undefined (reading 'passwordHash')",
      },
    },
  },
  {
    source: 'thrown non-Error',
    send: (s) => s.post({ query: '{ nonError }' }),
    on: {
      status: 200,
      body: {
        data: { nonError: null },
        errors: [
          {
            message: MASKED,
            locations: [{ line: 1, column: 3 }],
            path: ['nonError'],
            extensions: withId('INTERNAL_SERVER_ERROR'),
          },
        ],
      },
      event: {
        name: 'NonErrorThrown',
        message: 'Unexpected error value: "raw string from a legacy library: token=abc123"',
      },
    },
    debug: {
      status: 200,
      body: {
        data: { nonError: null },
        errors: [
          {
            message: 'Unexpected error value: "raw string from a legacy library: token=abc123"',
            locations: [{ line: 1, column: 3 }],
            path: ['nonError'],
            extensions: { ...withId('INTERNAL_SERVER_ERROR'), stacktrace: expect.any(Array) },
          },
        ],
      },
      event: {
        name: 'NonErrorThrown',
        message: 'Unexpected error value: "raw string from a legacy library: token=abc123"',
      },
    },
  },
  {
    source: 'context function failure',
    send: (s) => s.post({ query: '{ ok }' }, { 'x-break-context': '1' }),
    on: {
      status: 500,
      body: { errors: [{ message: MASKED, extensions: withId('INTERNAL_SERVER_ERROR') }] },
      event: {
        name: 'Error',
        message: 'session store unreachable at redis://10.0.0.9:6379 (/srv/app/session.js:7)',
        stackHas: THIS_FILE,
      },
    },
    debug: {
      status: 500,
      body: {
        errors: [
          {
            message:
              'Context creation failed: session store unreachable at redis://10.0.0.9:6379 (/srv/app/session.js:7)',
            extensions: { ...withId('INTERNAL_SERVER_ERROR'), stacktrace: expect.any(Array) },
          },
        ],
      },
      event: { name: 'Error', message: /^session store unreachable/ },
    },
  },
  {
    source: 'plugin failure (didResolveOperation)',
    send: (s) => s.post({ query: '{ ok }' }, { 'x-break-plugin': '1' }),
    on: {
      status: 500,
      body: { errors: [{ message: MASKED, extensions: withId('INTERNAL_SERVER_ERROR') }] },
      event: {
        name: 'Error',
        message: 'rate-limit store: READONLY You cannot write against a read only replica.',
        stackHas: THIS_FILE,
      },
    },
    debug: {
      status: 500,
      body: {
        errors: [
          {
            message: 'rate-limit store: READONLY You cannot write against a read only replica.',
            extensions: { ...withId('INTERNAL_SERVER_ERROR'), stacktrace: expect.any(Array) },
          },
        ],
      },
      event: { name: 'Error', message: /^rate-limit store/ },
    },
  },
  safeRow('parse error (syntax)', (s) => s.post({ query: '{ ok ' }), {
    status: 400,
    body: {
      errors: [
        {
          message: 'Syntax Error: Expected Name, found <EOF>.',
          locations: [{ line: 1, column: 6 }],
          extensions: { code: 'GRAPHQL_PARSE_FAILED' },
        },
      ],
    },
  }),
  {
    source: 'parse error (parser stack overflow, 3,000 levels)',
    send: (s) => s.post({ query: deepQuery(3000) }),
    on: {
      status: 400,
      body: {
        errors: [
          {
            message: 'The document could not be parsed.',
            extensions: withId('GRAPHQL_PARSE_FAILED'),
          },
        ],
      },
      event: { name: 'RangeError', message: 'Maximum call stack size exceeded' },
    },
    debug: {
      status: 400,
      body: {
        errors: [
          {
            message: 'Maximum call stack size exceeded',
            extensions: { ...withId('GRAPHQL_PARSE_FAILED'), stacktrace: expect.any(Array) },
          },
        ],
      },
      event: { name: 'RangeError', message: 'Maximum call stack size exceeded' },
    },
  },
  safeRow('validation error', (s) => s.post({ query: '{ ok nope }' }), {
    status: 400,
    body: {
      errors: [
        {
          message: 'Cannot query field "nope" on type "Query".',
          locations: [{ line: 1, column: 6 }],
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ],
    },
  }),
  {
    source: 'validation error from a scalar that throws a plain Error',
    send: (s) => s.post({ query: '{ when(at: "yesterday") }' }),
    on: {
      status: 400,
      body: {
        errors: [
          {
            message: 'The document is not valid for this schema.',
            locations: [{ line: 1, column: 12 }],
            extensions: withId('GRAPHQL_VALIDATION_FAILED'),
          },
        ],
      },
      event: {
        name: 'Error',
        message: 'pg: invalid input syntax for type date (/srv/app/scalars.js:12)',
        stackHas: THIS_FILE,
      },
    },
    debug: {
      status: 400,
      body: {
        errors: [
          {
            message:
              'Expected value of type "Date", found "yesterday"; pg: invalid input syntax for type date (/srv/app/scalars.js:12)',
            locations: [{ line: 1, column: 12 }],
            extensions: { ...withId('GRAPHQL_VALIDATION_FAILED'), stacktrace: expect.any(Array) },
          },
        ],
      },
      event: { name: 'Error', message: /^pg: invalid input syntax/ },
    },
  },
  safeRow(
    'variable coercion',
    (s) => s.post({ query: 'query Q($r: Role) { byRole(role: $r) }', variables: { r: 'ROOT' } }),
    {
      status: 400,
      body: {
        errors: [
          {
            message:
              'Variable "$r" got invalid value "ROOT"; Value "ROOT" does not exist in "Role" enum.',
            locations: [{ line: 1, column: 9 }],
            extensions: { code: 'BAD_USER_INPUT' },
          },
        ],
      },
    },
  ),
  {
    source: 'variable coercion through a scalar that throws a plain Error',
    send: (s) =>
      s.post({ query: 'query Q($d: Date) { when(at: $d) }', variables: { d: 'yesterday' } }),
    on: {
      status: 400,
      body: {
        errors: [
          {
            message: 'The input is not valid.',
            locations: [{ line: 1, column: 9 }],
            extensions: withId('BAD_USER_INPUT'),
          },
        ],
      },
      event: {
        name: 'Error',
        message: /^pg: invalid input syntax for type date: yesterday/,
        stackHas: THIS_FILE,
      },
    },
    debug: {
      status: 400,
      body: {
        errors: [
          {
            message:
              'Variable "$d" got invalid value "yesterday"; Expected type "Date". pg: invalid input syntax for type date: yesterday (/srv/app/scalars.js:12)',
            locations: [{ line: 1, column: 9 }],
            extensions: { ...withId('BAD_USER_INPUT'), stacktrace: expect.any(Array) },
          },
        ],
      },
      event: { name: 'Error', message: /^pg: invalid input syntax/ },
    },
  },
  safeRow(
    'safe application error (BAD_USER_INPUT with an internal cause)',
    (s) => s.post({ query: '{ badInput }' }),
    {
      status: 200,
      body: {
        data: { badInput: null },
        errors: [
          {
            message: 'Email is already taken.',
            locations: [{ line: 1, column: 3 }],
            path: ['badInput'],
            extensions: { code: 'BAD_USER_INPUT', field: 'email' },
          },
        ],
      },
    },
  ),
  safeRow('Bulwark error thrown by a resolver', (s) => s.post({ query: '{ forbidden }' }), {
    status: 403,
    body: {
      data: { forbidden: null },
      errors: [
        {
          message: 'Access denied.',
          locations: [{ line: 1, column: 3 }],
          path: ['forbidden'],
          extensions: { code: 'FORBIDDEN' },
        },
      ],
    },
  }),
  {
    source: 'GraphQLError with a code off the allowlist',
    send: (s) => s.post({ query: '{ appCode }' }),
    on: {
      status: 200,
      body: {
        data: { appCode: null },
        errors: [
          {
            message: MASKED,
            locations: [{ line: 1, column: 3 }],
            path: ['appCode'],
            extensions: withId('INTERNAL_SERVER_ERROR'),
          },
        ],
      },
      event: { name: 'GraphQLError', message: 'Order 42 not found in shard eu-3.' },
    },
    debug: {
      status: 200,
      body: {
        data: { appCode: null },
        errors: [
          {
            message: 'Order 42 not found in shard eu-3.',
            locations: [{ line: 1, column: 3 }],
            path: ['appCode'],
            extensions: {
              code: 'NOT_FOUND',
              errorId: expect.stringMatching(UUID),
              stacktrace: expect.any(Array),
            },
          },
        ],
      },
      event: { name: 'GraphQLError', message: 'Order 42 not found in shard eu-3.' },
    },
  },
];

// Strings that must never reach a client with masking on.
const SECRETS = [
  '10.0.0',
  '/srv/app',
  'token=abc123',
  'passwordHash',
  'READONLY',
  'Context creation failed',
  'Maximum call stack',
  'pg:',
  'shard eu-3',
  'stacktrace',
  'users_email_key',
];

function errorIdOf(res: TestResponse): string | undefined {
  const id = res.body.errors?.find((e) => e.extensions?.['errorId'])?.extensions?.['errorId'];
  return typeof id === 'string' ? id : undefined;
}

describe.each([
  ['on', false],
  ['off (debug: true)', true],
] as const)('masking %s', (_label, debug) => {
  let server: TestServer;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    const masking = createMasking({ debug, onEvent: (e) => events.push(e) });
    server = await startTestServer({
      typeDefs,
      resolvers,
      formatError: masking.formatError,
      // Apollo would add stacks to every error; masking must still keep them out.
      includeStacktraceInErrorResponses: true,
      plugins: [masking.plugin, breakingPlugin],
      context,
    });
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    events.length = debug ? events.filter((e) => e.outcome === 'warning').length : 0;
  });

  it.each(ROWS)('$source', async (row) => {
    events.length = 0;
    const expected = debug ? row.debug : row.on;
    const res = await row.send(server);
    expect(res.status).toBe(expected.status);
    expect(res.body).toEqual(expected.body);

    const errorId = errorIdOf(res);
    const masked = events.filter((e) => e.outcome === 'masked');
    if (!expected.event) {
      expect(errorId).toBeUndefined();
      expect(masked).toHaveLength(0);
      return;
    }
    expect(masked).toHaveLength(1);
    const event = masked[0]!;
    expect(event).toMatchObject({ source: 'masking', errorId });
    const detail = event.detail ?? {};
    expect(detail['name']).toBe(expected.event.name);
    expect(detail['message']).toEqual(
      typeof expected.event.message === 'string'
        ? expected.event.message
        : expect.stringMatching(expected.event.message),
    );
    expect(detail['error']).toBeInstanceOf(Error);
    expect(detail['stack']).toEqual(
      expect.stringContaining(expected.event.stackHas ?? expected.event.name),
    );
    if (!debug) for (const secret of SECRETS) expect(res.text).not.toContain(secret);
  });
});

describe('masking events carry the request', () => {
  let server: TestServer;
  const events: SecurityEvent[] = [];
  beforeAll(async () => {
    const masking = createMasking({ onEvent: (e) => events.push(e) });
    server = await startTestServer({
      typeDefs,
      resolvers,
      formatError: masking.formatError,
      plugins: [masking.plugin],
      context,
    });
  });
  afterAll(() => server.stop());

  it('with the operation name and the subject, and a distinct random id per error', async () => {
    const res = await server.post({
      query: 'query Checkout { boom rejects }',
      operationName: 'Checkout',
    });
    const ids = res.body.errors?.map((e) => e.extensions?.['errorId']);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(events.map((e) => [e.errorId, e.operationName, e.subject, e.code])).toEqual([
      [ids?.[0], 'Checkout', 'user-7', 'INTERNAL_SERVER_ERROR'],
      [ids?.[1], 'Checkout', 'user-7', 'INTERNAL_SERVER_ERROR'],
    ]);
  });
});

describe('without masking (the baseline the matrix guards against)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      typeDefs,
      resolvers,
      includeStacktraceInErrorResponses: true,
      plugins: [breakingPlugin],
      context,
    });
  });
  afterAll(() => server.stop());

  it.each([
    ['resolver throw', { query: '{ boom }' }, {}, '10.0.0.5'],
    ['thrown non-Error', { query: '{ nonError }' }, {}, 'token=abc123'],
    [
      'context function failure',
      { query: '{ ok }' },
      { 'x-break-context': '1' },
      'redis://10.0.0.9',
    ],
    ['plugin failure', { query: '{ ok }' }, { 'x-break-plugin': '1' }, 'READONLY'],
    ['parser stack overflow', { query: deepQuery(3000) }, {}, 'Maximum call stack size exceeded'],
    ['scalar internal error', { query: '{ when(at: "x") }' }, {}, '/srv/app/scalars.js'],
  ] as const)('Apollo alone leaks the %s', async (_source, body, headers, secret) => {
    const res = await server.post(body, headers);
    expect(res.text).toContain(secret);
    expect(res.text).toContain('stacktrace');
  });
});

describe('safeErrorCodes and redactValidationErrors', () => {
  let server: TestServer;
  beforeAll(async () => {
    const masking = createMasking({ safeErrorCodes: ['NOT_FOUND'], redactValidationErrors: true });
    server = await startTestServer({
      typeDefs,
      resolvers,
      formatError: masking.formatError,
      context,
    });
  });
  afterAll(() => server.stop());

  it('shows a GraphQLError whose code was added to the allowlist', async () => {
    const res = await server.post({ query: '{ appCode }' });
    expect(res.body.errors).toEqual([
      {
        message: 'Order 42 not found in shard eu-3.',
        locations: [{ line: 1, column: 3 }],
        path: ['appCode'],
        extensions: { code: 'NOT_FOUND' },
      },
    ]);
  });

  it.each([
    [
      'a syntax error',
      { query: '{ ok ' },
      400,
      'The document could not be parsed.',
      'GRAPHQL_PARSE_FAILED',
    ],
    [
      'a validation error',
      { query: '{ ok nope }' },
      400,
      'The document is not valid for this schema.',
      'GRAPHQL_VALIDATION_FAILED',
    ],
    [
      'a variable coercion error',
      { query: 'query Q($r: Role) { byRole(role: $r) }', variables: { r: 'ROOT' } },
      400,
      'Variable "$r" has an invalid value.',
      'BAD_USER_INPUT',
    ],
    [
      'a missing operation',
      { query: 'query A { ok } query B { ok }' },
      400,
      'The operation to run could not be determined.',
      'OPERATION_RESOLUTION_FAILURE',
    ],
  ] as const)('replaces the engine wording of %s', async (_what, body, status, message, code) => {
    const res = await server.post(body);
    expect(res.status).toBe(status);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors?.[0]?.message).toBe(message);
    expect(res.body.errors?.[0]?.extensions).toEqual({ code });
  });

  it('keeps application BAD_USER_INPUT messages', async () => {
    const res = await server.post({ query: '{ badInput }' });
    expect(res.body.errors?.[0]?.message).toBe('Email is already taken.');
  });
});
