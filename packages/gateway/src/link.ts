import { Kind, valueFromASTUntyped } from 'graphql';
import type { ConstDirectiveNode, DocumentNode } from 'graphql';

/** A supergraph's `@link` to one specification, with the names its directives have there. */
export interface LinkedSpec {
  /** The full URL, e.g. `https://specs.apollo.dev/cost/v0.1`. */
  readonly url: string;
  /** The URL without its version, e.g. `https://specs.apollo.dev/cost`. */
  readonly identity: string;
  /** The version, e.g. `v0.1`. */
  readonly version: string;
  /** Resolves a directive of the spec (`listSize`) to its name in this schema. */
  name(directive: string): string;
}

/** A supergraph whose links Bulwark cannot read safely. */
export class SupergraphLinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SupergraphLinkError';
  }
}

const LINK_IDENTITY = 'https://specs.apollo.dev/link';
const VERSION = /^v\d+\.\d+$/;

function splitUrl(url: string): { identity: string; version: string; name: string } | undefined {
  const parts = url.replace(/\/+$/, '').split('/');
  const version = parts.pop();
  const name = parts.at(-1);
  if (!version || !VERSION.test(version) || !name) return undefined;
  return { identity: parts.join('/'), version, name };
}

function argument(d: ConstDirectiveNode, name: string): unknown {
  const arg = d.arguments?.find((a) => a.name.value === name);
  return arg ? valueFromASTUntyped(arg.value) : undefined;
}

function schemaDirectives(document: DocumentNode): ConstDirectiveNode[] {
  const out: ConstDirectiveNode[] = [];
  for (const def of document.definitions)
    if (def.kind === Kind.SCHEMA_DEFINITION || def.kind === Kind.SCHEMA_EXTENSION)
      out.push(...(def.directives ?? []));
  return out;
}

/**
 * The name the `@link` directive itself has: the core schema spec lets a schema rename it
 * (`@link(url: "https://specs.apollo.dev/link/v1.0", as: "core")`).
 */
function linkDirectiveName(directives: readonly ConstDirectiveNode[]): string {
  for (const d of directives) {
    const url = argument(d, 'url');
    if (typeof url !== 'string' || splitUrl(url)?.identity !== LINK_IDENTITY) continue;
    const as = argument(d, 'as');
    return typeof as === 'string' ? as.replace(/^@/, '') : d.name.value;
  }
  return 'link';
}

/**
 * The `@link` of `document` to the spec `identity`, `undefined` when the schema does not link
 * it. Names follow the core schema rules that composition writes: an imported directive has
 * its import name (`{ name: "@policy", as: "@bwPolicy" }` gives `bwPolicy`); the directive named
 * like the spec is the namespace itself (`@cost` of the cost spec); any other is
 * `<namespace>__<name>`. Throws a {@link SupergraphLinkError} when the spec is linked twice.
 */
export function linkedSpec(document: DocumentNode, identity: string): LinkedSpec | undefined {
  const directives = schemaDirectives(document);
  const linkName = linkDirectiveName(directives);
  let found: LinkedSpec | undefined;
  for (const d of directives) {
    if (d.name.value !== linkName) continue;
    const url = argument(d, 'url');
    if (typeof url !== 'string') continue;
    const parts = splitUrl(url);
    if (!parts || parts.identity !== identity) continue;
    if (found) throw new SupergraphLinkError(`The supergraph links "${identity}" more than once.`);
    const as = argument(d, 'as');
    const namespace = typeof as === 'string' ? as.replace(/^@/, '') : parts.name;
    const imports = new Map<string, string>();
    const list = argument(d, 'import');
    for (const item of Array.isArray(list) ? list : list === undefined ? [] : [list]) {
      if (typeof item === 'string') {
        if (item.startsWith('@')) imports.set(item.slice(1), item.slice(1));
      } else if (item !== null && typeof item === 'object') {
        const { name, as: alias } = item as { name?: unknown; as?: unknown };
        if (typeof name !== 'string' || !name.startsWith('@')) continue;
        const local = typeof alias === 'string' ? alias : name;
        imports.set(name.slice(1), local.replace(/^@/, ''));
      }
    }
    found = {
      url,
      identity,
      version: parts.version,
      name: (directive) =>
        imports.get(directive) ??
        (directive === parts.name ? namespace : `${namespace}__${directive}`),
    };
  }
  return found;
}
