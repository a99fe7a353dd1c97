import { parse } from 'graphql';
import type { DocumentNode } from 'graphql';

/** Names of the authorization directives. */
export const AUTHZ_DIRECTIVE_NAMES = Object.freeze({
  authenticated: 'authenticated',
  requiresScopes: 'requiresScopes',
  policy: 'policy',
  public: 'public',
} as const);

const RULE_LOCATIONS =
  'OBJECT | INTERFACE | FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION';

/**
 * The directive definitions, to add to a schema's type definitions:
 *
 * - `@authenticated`: the principal must be authenticated;
 * - `@requiresScopes(scopes: [[String!]!]!)`: the principal holds every scope of at least one
 *   inner list (outer list OR, inner list AND);
 * - `@policy(policies: [[String!]!]!)`: named policies registered in code, same OR-of-AND shape;
 * - `@public`: under `defaultPolicy: 'deny'`, the field (or every field of the type) needs no
 *   authentication. It never weakens an explicit rule.
 *
 * On an object or interface type a rule applies to every field of the type and of every type
 * implementing the interface; an object policy on a type guards each object of that type that a
 * field returns. A rule on an interface field applies to that field on every implementation.
 */
export const AUTHZ_DIRECTIVES_SDL = `directive @authenticated on ${RULE_LOCATIONS}
directive @requiresScopes(scopes: [[String!]!]!) on ${RULE_LOCATIONS}
directive @policy(policies: [[String!]!]!) on ${RULE_LOCATIONS}
directive @public on OBJECT | INTERFACE | FIELD_DEFINITION
`;

/** The directive definitions as a parsed document (for `buildSubgraphSchema` or a merge). */
export const AUTHZ_DIRECTIVES: DocumentNode = parse(AUTHZ_DIRECTIVES_SDL);

/** The URL of the Bulwark authorization spec, for `@link`. */
export const AUTHZ_SPEC_URL = 'https://bulwark.dev/authz/v0.1';

/**
 * The directives as a Federation 2 custom spec: a `@link` to {@link AUTHZ_SPEC_URL} importing
 * the four directives, a `@composeDirective` for each (so composition keeps them in the
 * supergraph, where a gateway can read them), and their definitions.
 *
 * Append it to a subgraph's type definitions; the subgraph's federation `@link` must import
 * `@composeDirective` (Federation 2.1 or later). Do not also import Apollo's own
 * `@authenticated`, `@requiresScopes` or `@policy` from the federation spec: the names would
 * clash.
 */
export const AUTHZ_FEDERATION_SDL = `extend schema
  @link(url: "${AUTHZ_SPEC_URL}", import: ["@authenticated", "@requiresScopes", "@policy", "@public"])
  @composeDirective(name: "@authenticated")
  @composeDirective(name: "@requiresScopes")
  @composeDirective(name: "@policy")
  @composeDirective(name: "@public")

${AUTHZ_DIRECTIVES_SDL}`;
