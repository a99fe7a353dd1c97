// Types for peers that ship none, as the tests and benchmarks use them.
declare module 'graphql-depth-limit' {
  import type { ValidationRule } from 'graphql';
  function depthLimit(
    maxDepth: number,
    options?: { ignore?: (string | RegExp | ((name: string) => boolean))[] },
    callback?: (queryDepths: Record<string, number>) => void,
  ): ValidationRule;
  export default depthLimit;
}
