import { isInterfaceType, isObjectType, valueFromASTUntyped } from 'graphql';
import type { ConstDirectiveNode, GraphQLSchema } from 'graphql';
import { compileIdentities } from './identity.js';
import { compilePolicy } from './options.js';
import type { CompiledRule } from './options.js';

/**
 * SDL of the `@rateLimit` directive, to add to your type definitions.
 *
 * - `limit`, `window` (`"30s"`, `"1m"`): units per window;
 * - `by`: identities, each its own bucket (`["ip", "arg:email"]`); `"principal"` (the
 *   subject when authenticated, else the client IP) when omitted;
 * - `algorithm`: `"sliding-window"` or `"token-bucket"`;
 * - `jail`: refuse an identity for `for` after `after` failures within `within`.
 *
 * On an object or interface type, the directive applies to each of its fields that has no
 * directive of its own, each field with its own bucket (`Type.field`).
 */
export const rateLimitDirectiveTypeDefs = /* GraphQL */ `
  """
  Limits how often a field resolves per identity. On a type, applies to each of its fields.
  """
  directive @rateLimit(
    limit: Int!
    window: String!
    by: [String!]! = ["principal"]
    algorithm: String = "sliding-window"
    jail: RateLimitJail
  ) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE

  """
  Jail of @rateLimit: after \`after\` failures within \`within\` (default: the window), refuse
  the identity for \`for\`.
  """
  input RateLimitJail {
    after: Int!
    within: String
    for: String!
  }
`;

interface Directed {
  astNode?: { directives?: readonly ConstDirectiveNode[] | undefined } | null | undefined;
  extensionASTNodes?: readonly { directives?: readonly ConstDirectiveNode[] | undefined }[];
  extensions?: Readonly<Record<string, unknown>> | null | undefined;
}

/** Every use of the directive on an element: SDL (type and extensions) and code-first `extensions`. */
function directiveArguments(element: Directed, name: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const nodes = [
    ...(element.astNode?.directives ?? []),
    ...(element.extensionASTNodes ?? []).flatMap((n) => n.directives ?? []),
  ].filter((d) => d.name.value === name);
  for (const d of nodes) {
    const args: Record<string, unknown> = {};
    for (const a of d.arguments ?? []) args[a.name.value] = valueFromASTUntyped(a.value);
    out.push(args);
  }
  // Code-first schemas: `extensions: { rateLimit: { limit, window, by } }` (or a list).
  const ext = element.extensions?.[name];
  if (Array.isArray(ext)) out.push(...(ext as Record<string, unknown>[]));
  else if (ext && typeof ext === 'object') out.push(ext as Record<string, unknown>);
  return out;
}

function compileDirective(
  args: Record<string, unknown>,
  coordinate: string,
  index: number,
  name: string,
): CompiledRule {
  const origin = `@${name} on ${coordinate}`;
  const id = index === 0 ? coordinate : `${coordinate}#${index + 1}`;
  const known = ['limit', 'window', 'by', 'algorithm', 'jail'];
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) throw new TypeError(`${origin} has an unknown argument "${key}".`);
  }
  const policy = compilePolicy(id, args, origin, 'sliding-window');
  const identities = compileIdentities(args['by'] ?? ['principal'], `${origin}: by`);
  return { id, target: { kind: 'field', coordinate }, policy, identities, origin };
}

/**
 * Reads the rules a schema declares with the directive (default `@rateLimit`): field rules
 * keyed by `Type.field`, a type's directive applying to each of its fields that has none.
 * Throws a `TypeError` naming the coordinate for an invalid use.
 */
export function rulesFromSchema(schema: GraphQLSchema, name = 'rateLimit'): CompiledRule[] {
  const rules: CompiledRule[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    const onType = directiveArguments(type, name);
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const own = directiveArguments(field, name);
      const uses = own.length > 0 ? own : onType;
      uses.forEach((args, i) => rules.push(compileDirective(args, coordinate, i, name)));
    }
  }
  return rules;
}
