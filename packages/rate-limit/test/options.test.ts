import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  createRateLimiter,
  MemoryRateLimitStore,
  rateLimitDirectiveTypeDefs,
  rulesFromSchema,
} from '@bulwark/rate-limit';
import type { RateLimiterOptions, RateLimitRule } from '@bulwark/rate-limit';

const store = new MemoryRateLimitStore({ max: 100 });
const ok: RateLimitRule = { match: { field: 'Query.a' }, limit: 1, window: '1m', by: 'ip' };
const limiterWith = (options: Partial<RateLimiterOptions>) => () =>
  createRateLimiter({ store, ...options });
const rule = (r: Record<string, unknown>) =>
  limiterWith({ rules: [{ ...ok, ...r } as RateLimitRule] });

describe('createRateLimiter options', () => {
  it('requires a store', () => {
    // @ts-expect-error store is required
    expect(() => createRateLimiter({})).toThrow(
      new TypeError('`store` is required: a RateLimitStore such as MemoryRateLimitStore.'),
    );
  });

  it('requires an identity on every rule and budget', () => {
    expect(rule({ by: undefined })).toThrow(
      new TypeError('`rules[0].by` is required: say whom the limit counts against.'),
    );
    expect(rule({ by: [] })).toThrow(
      new TypeError('`rules[0].by` is required: say whom the limit counts against.'),
    );
    // @ts-expect-error by is required
    expect(limiterWith({ budget: { limit: 10, window: '1m' } })).toThrow(
      new TypeError('`budget.by` is required: say whom the limit counts against.'),
    );
  });

  it('refuses an identity read from anything but the known sources', () => {
    expect(rule({ by: 'header:x-user-id' })).toThrow(
      new TypeError(
        '`rules[0].by` must be "principal", "ip", "client", "global", "arg:<name>" or a combination joined with "+", got "header:x-user-id".',
      ),
    );
    expect(rule({ by: ['ip', 'ip'] })).toThrow(new TypeError('`rules[0].by` lists "ip" twice.'));
    expect(rule({ match: { operationType: 'mutation' }, by: 'arg:email' })).toThrow(
      new TypeError(
        '`rules[0].by` reads an argument, which only a field rule ({ field: "Type.field" }) has.',
      ),
    );
    expect(limiterWith({ budget: { limit: 10, window: '1m', by: 'arg:email' } })).toThrow(
      new TypeError('`budget.by` cannot read an argument: a budget spans whole operations.'),
    );
  });

  it('validates figures, targets and jails', () => {
    expect(rule({ limit: 0 })).toThrow(
      new TypeError('`rules[0].limit` must be a positive integer, got 0.'),
    );
    expect(rule({ window: '1 minute' })).toThrow(/^`rules\[0\]\.window` must be a duration/);
    expect(rule({ window: 0 })).toThrow(
      new TypeError('`rules[0].window` must be at least 1 ms, got 0.'),
    );
    expect(rule({ algorithm: 'fixed-window' })).toThrow(
      new TypeError(
        '`rules[0].algorithm` must be one of "sliding-window", "token-bucket", got "fixed-window".',
      ),
    );
    expect(rule({ match: { field: 'login' } })).toThrow(
      new TypeError(
        '`rules[0].match.field` must be a coordinate such as "Mutation.login", got "login".',
      ),
    );
    expect(rule({ match: { field: 'Query.a', operationName: 'A' } })).toThrow(
      new TypeError(
        '`rules[0].match` must have exactly one of "field", "operationName", "operationType".',
      ),
    );
    expect(rule({ jail: { after: 3 } })).toThrow(new TypeError('`rules[0].jail.for` is required.'));
    expect(rule({ jail: { after: 5000, for: '1h' } })).toThrow(
      new TypeError('`rules[0].jail.after` must be at most 1000, got 5000.'),
    );
    expect(rule({ id: 'a|b' })).toThrow(
      new TypeError('`rules[0].id` must not contain "|" or "=".'),
    );
    expect(limiterWith({ ipv6Subnet: 129 })).toThrow(
      new TypeError('`ipv6Subnet` must be at most 128, got 129.'),
    );
    // @ts-expect-error unknown option
    expect(limiterWith({ trustProxy: 1 })).toThrow(/unknown option "trustProxy"/);
  });

  it('refuses two rules sharing a bucket with different policies, when compiled for a schema', () => {
    const limiter = createRateLimiter({
      store,
      directive: false,
      rules: [
        { id: 'shared', match: { field: 'Query.a' }, limit: 1, window: '1m', by: 'ip' },
        { id: 'shared', match: { field: 'Query.b' }, limit: 2, window: '1m', by: 'ip' },
      ],
    });
    expect(() => limiter.compile(buildSchema('type Query { a: Int b: Int }'))).toThrow(
      new TypeError(
        'rules[0] and rules[1] share the bucket "shared" but not the same limit, window, algorithm and jail.',
      ),
    );
  });
});

describe('@rateLimit directive', () => {
  const schema = (body: string) => buildSchema(`${rateLimitDirectiveTypeDefs}\n${body}`);

  it('reads field rules keyed by type and field, "principal" by default', () => {
    const rules = rulesFromSchema(
      schema(`
        type Query { a: Int @rateLimit(limit: 5, window: "30s") }
        type Mutation {
          login(email: String!): Int
            @rateLimit(limit: 10, window: "1m", by: ["ip", "arg:email"], algorithm: "token-bucket",
                       jail: { after: 5, for: "15m" })
        }
      `),
    );
    expect(rules.map((r) => [r.id, r.policy, r.identities.map((i) => i.name)])).toEqual([
      [
        'Query.a',
        { id: 'Query.a', limit: 5, windowMs: 30_000, algorithm: 'sliding-window' },
        ['principal'],
      ],
      [
        'Mutation.login',
        {
          id: 'Mutation.login',
          limit: 10,
          windowMs: 60_000,
          algorithm: 'token-bucket',
          jail: { after: 5, withinMs: 60_000, forMs: 900_000 },
        },
        ['ip', 'arg:email'],
      ],
    ]);
  });

  it('applies a type directive to each field without its own, and numbers repeated ones', () => {
    const rules = rulesFromSchema(
      schema(`
        type Query { user: User }
        type User @rateLimit(limit: 100, window: "1m", by: ["principal"]) {
          name: String
          email: String
            @rateLimit(limit: 5, window: "1s", by: ["principal"])
            @rateLimit(limit: 50, window: "1h", by: ["principal"])
        }
      `),
    );
    expect(rules.map((r) => [r.id, r.policy.limit])).toEqual([
      ['User.name', 100],
      ['User.email', 5],
      ['User.email#2', 50],
    ]);
  });

  it('throws a TypeError naming the coordinate for an invalid use', () => {
    expect(() =>
      rulesFromSchema(schema('type Query { a: Int @rateLimit(limit: 5, window: "soon") }')),
    ).toThrow(/^`@rateLimit on Query\.a\.window` must be a duration/);
    expect(() =>
      rulesFromSchema(
        schema('type Query { a: Int @rateLimit(limit: 5, window: "1m", by: ["cookie"]) }'),
      ),
    ).toThrow(
      '`@rateLimit on Query.a: by[0]` must be "principal", "ip", "client", "global", "arg:<name>" or a combination joined with "+", got "cookie".',
    );
  });
});
