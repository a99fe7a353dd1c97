import { createRequire } from 'node:module';
import { parse, validate } from 'graphql';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import depthLimitPeer from 'graphql-depth-limit';
import { describe, expect, it } from 'vitest';
import { analyzeDocument } from '@bulwark/core';
import {
  depthLimit,
  directiveEstimator,
  estimateComplexity,
  fieldExtensionsEstimator,
  simpleEstimator,
} from '@bulwark/limits';
import type { ComplexityEstimator } from '@bulwark/limits';
import { benignCorpus, corpusDocument, shopSchema } from '../../../test/support/corpus.js';

// graphql-query-complexity's ESM build loads a second graphql-js; its CommonJS build shares ours.
const gqc = createRequire(import.meta.url)('graphql-query-complexity') as {
  getComplexity(options: {
    estimators: ComplexityEstimator[];
    schema: GraphQLSchema;
    query: DocumentNode;
    variables?: Record<string, unknown>;
    operationName?: string;
  }): number;
};

const schema = shopSchema();
const corpus = [
  ...benignCorpus(),
  { name: 'medium', source: corpusDocument('medium') },
  { name: 'large', source: corpusDocument('large') },
];

/** graphql-depth-limit's depth of each operation, read through its callback. */
function peerDepths(document: DocumentNode): Record<string, number> {
  let depths: Record<string, number> = {};
  const rule = depthLimitPeer(1000, {}, (d) => (depths = d));
  validate(schema, document, [rule]);
  return depths;
}

describe('differential: the same corpus through Bulwark and through the peers', () => {
  it('has at least 30 benign documents, all valid', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    for (const { name, source } of corpus)
      expect([name, validate(schema, parse(source))]).toEqual([name, []]);
  });

  for (const { name, source } of corpus) {
    it(`${name}: depth equals graphql-depth-limit's`, () => {
      const document = parse(source);
      const peer = peerDepths(document);
      const ours: Record<string, number> = {};
      for (const op of analyzeDocument(schema, document).operations) ours[op.name ?? ''] = op.depth;
      expect(ours).toEqual(peer);
      let dropIn: Record<string, number> = {};
      validate(schema, document, [depthLimit(1000, {}, (d) => (dropIn = d))]);
      expect(dropIn).toEqual(peer);
    });
  }

  const estimatorSets: [string, () => ComplexityEstimator[]][] = [
    ['simpleEstimator', () => [simpleEstimator({ defaultComplexity: 1 })]],
    [
      'fieldExtensions + simple',
      () => [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 2 })],
    ],
    ['directive + simple', () => [directiveEstimator(), simpleEstimator({ defaultComplexity: 1 })]],
  ];

  for (const [setName, make] of estimatorSets) {
    for (const { name, source } of corpus) {
      it(`${name}: cost with ${setName} equals graphql-query-complexity's getComplexity`, () => {
        const document = parse(source);
        for (const op of analyzeDocument(schema, document).operations) {
          const variables = {};
          const peer = gqc.getComplexity({
            estimators: make(),
            schema,
            query: document,
            variables,
            ...(op.name ? { operationName: op.name } : {}),
          });
          const ours = estimateComplexity({
            schema,
            document,
            operation: op.node,
            estimators: make(),
            variables,
          });
          expect(ours).toBe(peer);
          expect(ours).toBeGreaterThan(0);
        }
      });
    }
  }
});
