import {
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  valueFromASTUntyped,
} from 'graphql';
import type { ConstDirectiveNode, DocumentNode, GraphQLSchema } from 'graphql';
import { AUTHZ_DIRECTIVE_NAMES } from './directives.js';

/**
 * One declared rule on a schema element. Every key present must hold (AND); the lists are
 * OR-of-AND: `[["a", "b"], ["c"]]` is (a AND b) OR c. Code-first schemas put the same shape
 * under `extensions.authz` of a type, field, argument or input field.
 */
export interface AuthzRuleSpec {
  /** The principal must be authenticated. */
  readonly authenticated?: boolean;
  /** Scopes: the principal holds every scope of at least one inner list. */
  readonly requiresScopes?: readonly (readonly string[])[];
  /** Named policies: every policy of at least one inner list allows. */
  readonly policy?: readonly (readonly string[])[];
  /** Opts out of `defaultPolicy: 'deny'` (fields, object and interface types only). */
  readonly public?: boolean;
}

/**
 * Where the rules of a schema come from. The default reads the directives of the schema's SDL
 * (AST nodes) and code-first `extensions.authz`. A federated gateway registers one read from
 * the supergraph SDL ({@link sdlAuthzMetadata}) with {@link setAuthzMetadata}, because the API
 * schema it sees carries no custom directives.
 */
export interface AuthzMetadata {
  /** Rules declared on an object or interface type. */
  type(typeName: string): readonly AuthzRuleSpec[];
  /** Rules declared on a field of an object or interface type. */
  field(typeName: string, fieldName: string): readonly AuthzRuleSpec[];
  /** Rules declared on an argument of a field. */
  argument(typeName: string, fieldName: string, argumentName: string): readonly AuthzRuleSpec[];
  /** Rules declared on a field of an input object type. */
  inputField(typeName: string, fieldName: string): readonly AuthzRuleSpec[];
}

/** Options of the metadata readers. */
export interface AuthzMetadataOptions {
  /**
   * Directive names, when a subgraph imports them under other names (`@link(import: [{ name:
   * "@policy", as: "@bulwarkPolicy" }])`).
   * @default AUTHZ_DIRECTIVE_NAMES
   */
  names?: Partial<Record<keyof typeof AUTHZ_DIRECTIVE_NAMES, string>>;
}

const NONE: readonly AuthzRuleSpec[] = Object.freeze([]);

type Names = Record<keyof typeof AUTHZ_DIRECTIVE_NAMES, string>;

function namesOf(options: AuthzMetadataOptions | undefined): Names {
  return { ...AUTHZ_DIRECTIVE_NAMES, ...options?.names };
}

function argValue(directive: ConstDirectiveNode, name: string): unknown {
  const arg = directive.arguments?.find((a) => a.name.value === name);
  // A missing argument stays `null`: the rule compiler refuses it rather than reading "none".
  return arg ? valueFromASTUntyped(arg.value) : null;
}

/** Reads the rule specs of a list of directive nodes (one spec per rule directive). */
function specsOf(
  directives: readonly ConstDirectiveNode[] | undefined,
  names: Names,
  out: AuthzRuleSpec[],
): void {
  for (const d of directives ?? []) {
    const n = d.name.value;
    if (n === names.authenticated) out.push({ authenticated: true });
    else if (n === names.public) out.push({ public: true });
    else if (n === names.requiresScopes)
      out.push({ requiresScopes: argValue(d, 'scopes') as string[][] });
    else if (n === names.policy) out.push({ policy: argValue(d, 'policies') as string[][] });
  }
}

interface Element {
  astNode?: { directives?: readonly ConstDirectiveNode[] | undefined } | null | undefined;
  extensionASTNodes?: readonly { directives?: readonly ConstDirectiveNode[] | undefined }[];
  extensions?: Readonly<Record<string, unknown>> | null | undefined;
}

function elementSpecs(element: Element | undefined, names: Names): readonly AuthzRuleSpec[] {
  if (!element) return NONE;
  const out: AuthzRuleSpec[] = [];
  specsOf(element.astNode?.directives, names, out);
  for (const ext of element.extensionASTNodes ?? []) specsOf(ext.directives, names, out);
  const code = element.extensions?.['authz'];
  if (code !== undefined && code !== null) out.push(code as AuthzRuleSpec);
  return out.length === 0 ? NONE : out;
}

/**
 * Rules read from a schema: directives in its SDL (type definitions and extensions) and
 * code-first `extensions.authz`. Both are kept when both are present (they must all hold).
 */
export function schemaAuthzMetadata(
  schema: GraphQLSchema,
  options?: AuthzMetadataOptions,
): AuthzMetadata {
  const names = namesOf(options);
  const composite = (t: string) => {
    const type = schema.getType(t);
    return isObjectType(type) || isInterfaceType(type) ? type : undefined;
  };
  return {
    type: (t) => elementSpecs(composite(t), names),
    field: (t, f) => elementSpecs(composite(t)?.getFields()[f], names),
    argument: (t, f, a) => {
      const field = composite(t)?.getFields()[f];
      return elementSpecs(
        field?.args.find((x) => x.name === a),
        names,
      );
    },
    inputField: (t, f) => {
      const type = schema.getType(t);
      return elementSpecs(isInputObjectType(type) ? type.getFields()[f] : undefined, names);
    },
  };
}

/**
 * Rules read from an SDL document, such as a supergraph: a gateway's API schema has no custom
 * directives, so it reads the rules from the supergraph SDL and registers them with
 * {@link setAuthzMetadata}. Type definitions and extensions are merged.
 */
export function sdlAuthzMetadata(
  sdl: string | DocumentNode,
  options?: AuthzMetadataOptions,
): AuthzMetadata {
  const names = namesOf(options);
  const document = typeof sdl === 'string' ? parse(sdl) : sdl;
  const table = new Map<string, AuthzRuleSpec[]>();
  const add = (key: string, directives: readonly ConstDirectiveNode[] | undefined) => {
    const list: AuthzRuleSpec[] = [];
    specsOf(directives, names, list);
    if (list.length === 0) return;
    const known = table.get(key);
    if (known) known.push(...list);
    else table.set(key, list);
  };
  for (const def of document.definitions) {
    switch (def.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION: {
        const t = def.name.value;
        add(t, def.directives);
        for (const f of def.fields ?? []) {
          add(`${t}.${f.name.value}`, f.directives);
          for (const a of f.arguments ?? [])
            add(`${t}.${f.name.value}(${a.name.value}:)`, a.directives);
        }
        break;
      }
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
      case Kind.INPUT_OBJECT_TYPE_EXTENSION:
        for (const f of def.fields ?? []) add(`${def.name.value}.${f.name.value}`, f.directives);
        break;
      default:
        break;
    }
  }
  const get = (key: string) => table.get(key) ?? NONE;
  return {
    type: (t) => get(t),
    field: (t, f) => get(`${t}.${f}`),
    argument: (t, f, a) => get(`${t}.${f}(${a}:)`),
    inputField: (t, f) => get(`${t}.${f}`),
  };
}

const REGISTRY = new WeakMap<GraphQLSchema, AuthzMetadata>();

/**
 * Registers where the rules of `schema` come from (a gateway does this with
 * {@link sdlAuthzMetadata} of the supergraph). Authorization set up for that schema afterwards
 * uses it; a schema wrapped by `authz.wrapSchema` keeps the registration.
 */
export function setAuthzMetadata(schema: GraphQLSchema, metadata: AuthzMetadata): void {
  REGISTRY.set(schema, metadata);
}

/** The metadata registered for `schema`, else the one read from its SDL and extensions. */
export function authzMetadataOf(schema: GraphQLSchema): AuthzMetadata {
  return REGISTRY.get(schema) ?? schemaAuthzMetadata(schema);
}

/** The metadata registered for `schema` with {@link setAuthzMetadata}, if any. */
export function registeredAuthzMetadata(schema: GraphQLSchema): AuthzMetadata | undefined {
  return REGISTRY.get(schema);
}
