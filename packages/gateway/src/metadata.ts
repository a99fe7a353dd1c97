import { AUTHZ_DIRECTIVE_NAMES, AUTHZ_SPEC_URL, sdlAuthzMetadata } from '@bulwark/authz';
import type { AuthzMetadata } from '@bulwark/authz';
import type { CostMetadata, ListSizeInfo } from '@bulwark/core';
import { Kind, parse } from 'graphql';
import type {
  ConstDirectiveNode,
  DocumentNode,
  FieldDefinitionNode,
  InputValueDefinitionNode,
} from 'graphql';
import { SupergraphLinkError, linkedSpec } from './link.js';
import type { LinkedSpec } from './link.js';

/** Where Apollo's `@cost` and `@listSize` live in a supergraph (Federation 2.9+). */
export const COST_SPEC_URL = 'https://specs.apollo.dev/cost/v0.1';

/** Spec versions the readers understand; a supergraph linking another version is refused. */
export const SUPPORTED_SPECS = Object.freeze({
  authz: Object.freeze([AUTHZ_SPEC_URL]),
  cost: Object.freeze([COST_SPEC_URL]),
});

/** What the gateway needs from a supergraph: the rules and the cost model its API schema lacks. */
export interface SupergraphMetadata {
  /** Bulwark's authorization rules (`setAuthzMetadata`). */
  readonly authz: AuthzMetadata;
  /** `@cost` and `@listSize` (`setCostMetadata`). */
  readonly cost: CostMetadata;
  /** The directive names read, by role (`policy` → `bwPolicy` when renamed); empty when unlinked. */
  readonly names: {
    readonly authz: Readonly<Record<keyof typeof AUTHZ_DIRECTIVE_NAMES, string>> | null;
    readonly cost: Readonly<{ cost: string; listSize: string }> | null;
  };
}

function identityOf(url: string): string {
  return url.slice(0, url.lastIndexOf('/'));
}

function checkedSpec(document: DocumentNode, supported: readonly string[]): LinkedSpec | undefined {
  const identity = identityOf(supported[0]!);
  const spec = linkedSpec(document, identity);
  if (spec && !supported.includes(`${identity}/${spec.version}`))
    throw new SupergraphLinkError(
      `The supergraph links "${spec.url}"; this version of @bulwark/gateway reads ${supported.map((u) => `"${u}"`).join(', ')}.`,
    );
  return spec;
}

function arg(d: ConstDirectiveNode, name: string) {
  return d.arguments?.find((a) => a.name.value === name)?.value;
}

function intArg(d: ConstDirectiveNode, name: string): number | undefined {
  const v = arg(d, name);
  if (v?.kind === Kind.INT || v?.kind === Kind.FLOAT) return Number(v.value);
  return undefined;
}

function stringsArg(d: ConstDirectiveNode, name: string): string[] {
  const v = arg(d, name);
  if (v?.kind === Kind.LIST)
    return v.values.flatMap((x) => (x.kind === Kind.STRING ? [x.value] : []));
  if (v?.kind === Kind.STRING) return [v.value];
  return [];
}

/**
 * `@cost` and `@listSize` read from a supergraph SDL, under the names the supergraph's `@link`
 * to {@link COST_SPEC_URL} gives them (composition writes `@cost` and imports `@listSize`; a
 * subgraph's renaming is normalized). A supergraph without the link has no cost metadata: every
 * weight and list size is the default.
 */
export function supergraphCostMetadata(sdl: string | DocumentNode): CostMetadata {
  const document = typeof sdl === 'string' ? parse(sdl) : sdl;
  return costFromDocument(document, checkedSpec(document, SUPPORTED_SPECS.cost));
}

function costFromDocument(document: DocumentNode, spec: LinkedSpec | undefined): CostMetadata {
  const costs = new Map<string, number>();
  const sizes = new Map<string, ListSizeInfo>();
  if (spec) {
    const costName = spec.name('cost');
    const sizeName = spec.name('listSize');
    const read = (key: string, directives: readonly ConstDirectiveNode[] | undefined) => {
      for (const d of directives ?? []) {
        if (d.name.value === costName) {
          const w = intArg(d, 'weight');
          if (w !== undefined) costs.set(key, w);
        } else if (d.name.value === sizeName) {
          const required = arg(d, 'requireOneSlicingArgument');
          sizes.set(key, {
            assumedSize: intArg(d, 'assumedSize'),
            slicingArguments: stringsArg(d, 'slicingArguments'),
            sizedFields: stringsArg(d, 'sizedFields'),
            requireOneSlicingArgument: required?.kind === Kind.BOOLEAN ? required.value : true,
          });
        }
      }
    };
    const fields = (type: string, list: readonly FieldDefinitionNode[] | undefined) => {
      for (const f of list ?? []) {
        read(`${type}.${f.name.value}`, f.directives);
        for (const a of f.arguments ?? [])
          read(`${type}.${f.name.value}(${a.name.value}:)`, a.directives);
      }
    };
    const inputs = (type: string, list: readonly InputValueDefinitionNode[] | undefined) => {
      for (const f of list ?? []) read(`${type}.${f.name.value}`, f.directives);
    };
    for (const def of document.definitions) {
      switch (def.kind) {
        case Kind.OBJECT_TYPE_DEFINITION:
        case Kind.OBJECT_TYPE_EXTENSION:
        case Kind.INTERFACE_TYPE_DEFINITION:
        case Kind.INTERFACE_TYPE_EXTENSION:
          read(def.name.value, def.directives);
          fields(def.name.value, def.fields);
          break;
        case Kind.SCALAR_TYPE_DEFINITION:
        case Kind.SCALAR_TYPE_EXTENSION:
        case Kind.ENUM_TYPE_DEFINITION:
        case Kind.ENUM_TYPE_EXTENSION:
          read(def.name.value, def.directives);
          break;
        case Kind.INPUT_OBJECT_TYPE_DEFINITION:
        case Kind.INPUT_OBJECT_TYPE_EXTENSION:
          inputs(def.name.value, def.fields);
          break;
        default:
          break;
      }
    }
  }
  return {
    fieldCost: (t, f) => costs.get(`${t}.${f}`),
    typeCost: (t) => costs.get(t),
    argumentCost: (t, f, a) => costs.get(`${t}.${f}(${a}:)`),
    inputFieldCost: (t, f) => costs.get(`${t}.${f}`),
    listSize: (t, f) => sizes.get(`${t}.${f}`),
  };
}

const NO_RULES: AuthzMetadata = Object.freeze({
  type: () => [],
  field: () => [],
  argument: () => [],
  inputField: () => [],
});

/**
 * Bulwark's authorization rules read from a supergraph SDL, under the names its `@link` to
 * `AUTHZ_SPEC_URL` gives them (a subgraph may import `@policy` as `@bwPolicy`; composition keeps
 * the renaming in the supergraph's link). A supergraph without the link has no rules.
 */
export function supergraphAuthzMetadata(sdl: string | DocumentNode): AuthzMetadata {
  const document = typeof sdl === 'string' ? parse(sdl) : sdl;
  const names = authzNames(checkedSpec(document, SUPPORTED_SPECS.authz));
  return names ? sdlAuthzMetadata(document, { names }) : NO_RULES;
}

function authzNames(spec: LinkedSpec | undefined) {
  if (!spec) return null;
  const out = {} as Record<keyof typeof AUTHZ_DIRECTIVE_NAMES, string>;
  for (const [role, name] of Object.entries(AUTHZ_DIRECTIVE_NAMES))
    out[role as keyof typeof AUTHZ_DIRECTIVE_NAMES] = spec.name(name);
  return Object.freeze(out);
}

/**
 * Everything the gateway reads from a supergraph, from one parse: the authorization rules and
 * the cost model. Throws a {@link SupergraphLinkError} for a spec linked twice or in a version
 * this package does not read (the gateway then refuses requests rather than run without rules),
 * and graphql-js's `GraphQLError` for SDL that does not parse.
 */
export function readSupergraphMetadata(sdl: string | DocumentNode): SupergraphMetadata {
  const document = typeof sdl === 'string' ? parse(sdl) : sdl;
  const authzSpec = checkedSpec(document, SUPPORTED_SPECS.authz);
  const costSpec = checkedSpec(document, SUPPORTED_SPECS.cost);
  const authzNamesRead = authzNames(authzSpec);
  return {
    authz: authzNamesRead ? sdlAuthzMetadata(document, { names: authzNamesRead }) : NO_RULES,
    cost: costFromDocument(document, costSpec),
    names: {
      authz: authzNamesRead,
      cost: costSpec
        ? Object.freeze({ cost: costSpec.name('cost'), listSize: costSpec.name('listSize') })
        : null,
    },
  };
}
