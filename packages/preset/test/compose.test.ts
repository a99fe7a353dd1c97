import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import { composePlugins } from '../src/compose.js';
import { startTestServer } from '../../../test/support/http.js';

const typeDefs = 'type Query { hello: String }';

function recorder(name: string, log: string[], refuse = false): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      log.push(`${name}:start`);
      return {
        async didResolveOperation() {
          log.push(`${name}:resolve`);
          if (refuse) throw new Error(`${name} refuses`);
        },
        async willSendResponse() {
          log.push(`${name}:send`);
        },
        async executionDidStart() {
          return {
            willResolveField: () => {
              log.push(`${name}:field`);
              return () => log.push(`${name}:fieldEnd`);
            },
          };
        },
      };
    },
  };
}

describe('composePlugins', () => {
  it('runs the plugins hook by hook, in order, as one listener', async () => {
    const log: string[] = [];
    const s = await startTestServer({
      typeDefs,
      resolvers: { Query: { hello: () => 'hi' } },
      plugins: [composePlugins([recorder('a', log), recorder('b', log)])],
    });
    try {
      const res = await s.post({ query: '{ hello }' });
      expect(res.body).toEqual({ data: { hello: 'hi' } });
      expect(log).toEqual([
        'a:start',
        'b:start',
        'a:resolve',
        'b:resolve',
        'a:field',
        'b:field',
        'a:fieldEnd',
        'b:fieldEnd',
        'a:send',
        'b:send',
      ]);
    } finally {
      await s.stop();
    }
  });

  it('stops at the first refusal: a later check never runs for a refused operation', async () => {
    const log: string[] = [];
    const s = await startTestServer({
      typeDefs,
      resolvers: { Query: { hello: () => 'hi' } },
      plugins: [composePlugins([recorder('a', log, true), recorder('charge', log)])],
    });
    try {
      const res = await s.post({ query: '{ hello }' });
      expect(res.body.data).toBeUndefined();
      expect(log).not.toContain('charge:resolve');
      expect(log).toContain('charge:send');
    } finally {
      await s.stop();
    }
  });
});
