import { readFileSync } from 'node:fs';

/**
 * The example's SDL. Read from src/ both when running from sources (tests) and from dist/
 * (the built server), so there is one copy of it.
 */
export const shopTypeDefs = readFileSync(new URL('../src/schema.graphql', import.meta.url), 'utf8');
