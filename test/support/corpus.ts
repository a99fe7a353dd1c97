import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema } from 'graphql';
import type { GraphQLSchema } from 'graphql';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The example shop/social schema SDL (examples/server/src/schema.graphql). */
export const shopSdl = readFileSync(`${root}examples/server/src/schema.graphql`, 'utf8');

/** The example schema, built without resolvers. */
export function shopSchema(): GraphQLSchema {
  return buildSchema(shopSdl);
}

/** The benign corpus (bench/corpus/benign): name → document source. */
export function benignCorpus(): { name: string; source: string }[] {
  const dir = `${root}bench/corpus/benign/`;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => ({ name: f.replace(/\.graphql$/, ''), source: readFileSync(dir + f, 'utf8') }));
}

/** A corpus document by name: `large` (about 13 KB, 80 fragments) or `medium`. */
export function corpusDocument(name: 'large' | 'medium'): string {
  return readFileSync(`${root}bench/corpus/${name}.graphql`, 'utf8');
}
