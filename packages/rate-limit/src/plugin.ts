import { assertBoolean, assertKnownKeys, withDefaults } from '@bulwark/core';
import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContextWillSendResponse,
} from '@apollo/server';
import type { RateLimiter } from './limiter.js';
import {
  decisionOfError,
  decisiveEntry,
  headerPolicies,
  renderRateLimitHeaders,
} from './response.js';
import type { HeaderPolicy, RateLimitDecision } from './response.js';

/** Options of {@link rateLimitPlugin}. */
export interface RateLimitPluginOptions {
  /**
   * Send the IETF `RateLimit-Policy` and `RateLimit` headers on every response of an
   * operation a limit applies to (a 429 always carries `Retry-After`).
   * @default true
   */
  headers?: boolean;
  /**
   * With a budget, add `extensions.cost { requestedQueryCost, throttleStatus }` to responses.
   * @default true
   */
  throttleStatus?: boolean;
}

const DEFAULTS: Required<RateLimitPluginOptions> = { headers: true, throttleStatus: true };

/**
 * What was sent on an HTTP response head so far. The operations of a batch share one head,
 * and each must merge its figures into the others'. Kept on the head's header map itself.
 */
interface HeadState {
  policies: HeaderPolicy[];
  retryAfter: number;
}
const HEAD_STATE = Symbol('bulwark.rateLimit.head');
type StatefulHeaders = { [HEAD_STATE]?: HeadState };

/**
 * The Apollo Server 5 plugin of a rate limiter: checks each operation in
 * `didResolveOperation` (an HTTP batch runs it once per operation, so a batch of N counts
 * N), throws `RATE_LIMITED` (429, `Retry-After`) so that a refused operation runs no
 * resolver, and adds the rate-limit headers and the budget's `throttleStatus` to responses.
 *
 * At startup it checks the rules against the schema: an unknown coordinate or an invalid
 * `@rateLimit` stops the server.
 */
export function rateLimitPlugin<TContext extends BaseContext>(
  limiter: RateLimiter<TContext>,
  options: RateLimitPluginOptions = {},
): ApolloServerPlugin<TContext> {
  if (!limiter || typeof limiter.check !== 'function') {
    throw new TypeError('`rateLimitPlugin` needs a limiter from createRateLimiter().');
  }
  assertKnownKeys('rateLimitPlugin options', options, Object.keys(DEFAULTS));
  const config = withDefaults(DEFAULTS, options);
  assertBoolean('headers', config.headers);
  assertBoolean('throttleStatus', config.throttleStatus);

  return {
    async serverWillStart({ schema }) {
      limiter.compile(schema);
      return {
        schemaDidLoadOrUpdate({ apiSchema }) {
          // A schema update with bad rules is refused per request (503) and reported there.
          try {
            limiter.compile(apiSchema);
          } catch {
            // see above
          }
        },
      };
    },
    async requestDidStart() {
      let decision: RateLimitDecision | undefined;
      return {
        async didResolveOperation(rc) {
          try {
            decision = await limiter.check({
              schema: rc.schema,
              document: rc.document,
              operation: rc.operation,
              operationName: rc.operationName,
              variables: rc.request.variables,
              context: rc.contextValue,
            });
          } catch (error) {
            decision = decisionOfError(error);
            throw error;
          }
        },
        async willSendResponse(rc) {
          if (!decision || decision.entries.length === 0) return;
          if (config.headers) writeHeaders(rc, decision);
          if (config.throttleStatus && decision.budget) writeThrottleStatus(rc, decision);
        },
      };
    },
  };
}

function writeHeaders<TContext extends BaseContext>(
  rc: GraphQLRequestContextWillSendResponse<TContext>,
  decision: RateLimitDecision,
): void {
  const headers = rc.response.http.headers;
  const carrier = headers as unknown as StatefulHeaders;
  const fresh = headerPolicies(decision);
  let head = carrier[HEAD_STATE];
  if (!head) {
    head = { policies: fresh, retryAfter: 0 };
    carrier[HEAD_STATE] = head;
  } else {
    // In a batch, operations share the head: keep the tightest figures of each policy.
    for (const p of fresh) {
      const i = head.policies.findIndex((known) => known.name === p.name);
      if (i === -1) head.policies.push(p);
      else if (p.remaining < head.policies[i]!.remaining) head.policies[i] = p;
    }
  }
  const rendered = renderRateLimitHeaders(head.policies);
  if (rendered) {
    headers.set('ratelimit-policy', rendered['ratelimit-policy']);
    headers.set('ratelimit', rendered.ratelimit);
  }
  const refused = decisiveEntry(decision);
  if (refused) {
    head.retryAfter = Math.max(head.retryAfter, Math.ceil(refused.result.retryAfterMs / 1000), 1);
    headers.set('retry-after', String(head.retryAfter));
  }
}

function writeThrottleStatus<TContext extends BaseContext>(
  rc: GraphQLRequestContextWillSendResponse<TContext>,
  decision: RateLimitDecision,
): void {
  const body = rc.response.body;
  const result = body.kind === 'single' ? body.singleResult : body.initialResult;
  const extensions: Record<string, unknown> = { ...result.extensions };
  const cost = extensions['cost'];
  // The cost limit (`@bulwark/limits`) may have reported the cost already: keep its figure.
  extensions['cost'] = {
    requestedQueryCost: decision.budget!.requestedQueryCost,
    ...(cost !== null && typeof cost === 'object' ? cost : {}),
    throttleStatus: decision.budget!.throttleStatus,
  };
  result.extensions = extensions;
}
