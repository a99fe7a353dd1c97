import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isScalarType,
  isUnionType,
} from 'graphql';
import type { GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema } from 'graphql';
import { authzMetadataOf } from './metadata.js';
import type { AuthzMetadata, AuthzRuleSpec } from './metadata.js';
import type { AuthzPolicy, DefaultPolicy } from './options.js';

/** A policy named by a rule, with where it runs. */
export interface PolicyRef {
  readonly name: string;
  readonly on: 'request' | 'object';
}

/** One requirement of a rule; a rule holds when all of its requirements hold. */
export type Requirement =
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'scopes'; readonly anyOf: readonly (readonly string[])[] }
  | { readonly kind: 'policies'; readonly anyOf: readonly (readonly PolicyRef[])[] };

/** The rule of one schema element, compiled once per schema. */
export interface CompiledRule {
  /** `User.email`, `Mutation.updateUser(input:)`, `UpdateUserInput.role`, or `Order` (objects). */
  readonly coordinate: string;
  /** All must hold. Empty for a field that only carries a runtime value check. */
  readonly requirements: readonly Requirement[];
  /** Request policies the rule names (evaluated once per request). */
  readonly requestPolicies: readonly string[];
  /** True when an object policy is involved: the rule is finished at resolution. */
  readonly objectPolicies: boolean;
}

/**
 * Every rule of a schema, computed once per schema. A request looks up only the coordinates its
 * operation touches.
 */
export interface RuleTable {
  /** Selected field coordinate (on an object or an interface) → rules of every field that may answer it. */
  readonly fields: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Selected argument coordinate (`Type.field(arg:)`) → rules of every argument that may receive it. */
  readonly arguments: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Input field coordinate (`Input.field`) → its rule. */
  readonly inputFields: ReadonlyMap<string, CompiledRule>;
  /** Field coordinate of an object type → its rule. */
  readonly objectFields: ReadonlyMap<string, CompiledRule>;
  /** Object types whose objects are checked, at resolution, wherever a field returns them. */
  readonly objectTypes: ReadonlyMap<string, CompiledRule>;
  /** Input types from which a field with a rule can be reached (variables of other types are not walked). */
  readonly protectedInputTypes: ReadonlySet<string>;
  /** Output fields whose name looks sensitive and that carry no explicit rule and no `@public`. */
  readonly sensitiveFields: readonly string[];
  /** True when nothing in the schema carries a rule: a request then costs nothing. */
  readonly empty: boolean;
}

/** What the rule table needs from the options. */
export interface RuleTableOptions {
  /** What a field without a rule requires (see `AuthzOptions.defaultPolicy`). */
  readonly defaultPolicy: DefaultPolicy;
  /** Registered policies: a rule naming another one is refused. */
  readonly policies: ReadonlyMap<string, AuthzPolicy<unknown>>;
  /** Output fields matching it without a rule are listed in `sensitiveFields`. */
  readonly sensitiveFieldPattern: RegExp;
  /** Where rules come from. @default the registered metadata, else the schema's directives */
  readonly metadata?: AuthzMetadata;
}

/** A schema whose rules are invalid: every problem found is listed. */
export class AuthzSchemaError extends Error {
  /** One sentence per problem. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      `The schema's authorization rules are invalid: ${problems.join(' ')}`.replace(/\s+$/, ''),
    );
    this.name = 'AuthzSchemaError';
    this.problems = problems;
  }
}

type Kind = 'field' | 'type' | 'argument' | 'input';

const isStringMatrix = (v: unknown): v is string[][] =>
  Array.isArray(v) &&
  v.every((inner) => Array.isArray(inner) && inner.every((s) => typeof s === 'string' && s !== ''));

class Compiler {
  readonly problems = new Set<string>();
  constructor(private readonly options: RuleTableOptions) {}

  /** Requirements of a list of specs. */
  requirements(specs: readonly AuthzRuleSpec[], where: string, kind: Kind): Requirement[] {
    const out: Requirement[] = [];
    for (const spec of specs) {
      if (spec === null || typeof spec !== 'object') {
        this.problems.add(`The rule on "${where}" must be an object.`);
        continue;
      }
      for (const key of Object.keys(spec)) {
        if (!['authenticated', 'requiresScopes', 'policy', 'public'].includes(key))
          this.problems.add(`The rule on "${where}" has an unknown key "${key}".`);
      }
      if (spec.public !== undefined && (kind === 'argument' || kind === 'input'))
        this.problems.add(`"@public" on "${where}" is allowed on fields and types only.`);
      if (spec.authenticated === true) out.push({ kind: 'authenticated' });
      if (spec.requiresScopes !== undefined) {
        const scopes = this.matrix(spec.requiresScopes, '@requiresScopes', 'scopes', where);
        if (scopes) out.push({ kind: 'scopes', anyOf: scopes });
      }
      if (spec.policy !== undefined) {
        const names = this.matrix(spec.policy, '@policy', 'policies', where);
        const req = names && this.policies(names, where, kind);
        if (req) out.push(req);
      }
    }
    return out;
  }

  private matrix(
    value: unknown,
    directive: string,
    arg: string,
    where: string,
  ): string[][] | undefined {
    if (!isStringMatrix(value) || value.length === 0 || value.some((inner) => inner.length === 0)) {
      this.problems.add(
        `"${directive}" on "${where}" needs \`${arg}\` as a non-empty list of non-empty lists of names: [["a", "b"]] is a AND b, [["a"], ["b"]] is a OR b.`,
      );
      return undefined;
    }
    return value;
  }

  private policies(names: string[][], where: string, kind: Kind): Requirement | undefined {
    const anyOf: PolicyRef[][] = [];
    for (const conj of names) {
      const refs: PolicyRef[] = [];
      for (const name of conj) {
        const policy = this.options.policies.get(name);
        if (!policy) {
          this.problems.add(`Policy "${name}" named on "${where}" is not registered.`);
          continue;
        }
        if (policy.on === 'object' && (kind === 'argument' || kind === 'input')) {
          this.problems.add(
            `Object policy "${name}" cannot guard "${where}": arguments and input fields are checked before execution, without an object.`,
          );
          continue;
        }
        refs.push({ name, on: policy.on });
      }
      if (refs.length === conj.length) anyOf.push(refs);
    }
    // Every problem is reported and the schema refused; nothing half-compiled is used.
    return anyOf.length === names.length ? { kind: 'policies', anyOf } : undefined;
  }
}

function compiled(coordinate: string, requirements: Requirement[]): CompiledRule {
  const requestPolicies = new Set<string>();
  let objectPolicies = false;
  for (const r of requirements) {
    if (r.kind !== 'policies') continue;
    for (const conj of r.anyOf)
      for (const p of conj) {
        if (p.on === 'request') requestPolicies.add(p.name);
        else objectPolicies = true;
      }
  }
  return Object.freeze({
    coordinate,
    requirements: Object.freeze(requirements),
    requestPolicies: Object.freeze([...requestPolicies]),
    objectPolicies,
  });
}

/**
 * A type's requirements as they apply to its fields: object policies are dropped (the object
 * itself is checked wherever a field returns it), and a requirement one of whose alternatives
 * was only object policies is then left to that check.
 */
function withoutObjectPolicies(reqs: readonly Requirement[]): Requirement[] {
  const out: Requirement[] = [];
  for (const r of reqs) {
    if (r.kind !== 'policies') {
      out.push(r);
      continue;
    }
    const anyOf = r.anyOf.map((conj) => conj.filter((p) => p.on === 'request'));
    if (anyOf.some((conj) => conj.length === 0)) continue;
    out.push({ kind: 'policies', anyOf });
  }
  return out;
}

const hasObjectPolicy = (reqs: readonly Requirement[]) =>
  reqs.some((r) => r.kind === 'policies' && r.anyOf.some((c) => c.some((p) => p.on === 'object')));

/**
 * Compiles the rules of a schema. Throws an {@link AuthzSchemaError} listing every problem: a
 * policy that is not registered, a malformed list, an object policy on an argument, an input
 * field or a root type.
 */
export function buildRuleTable(schema: GraphQLSchema, options: RuleTableOptions): RuleTable {
  const md = options.metadata ?? authzMetadataOf(schema);
  const c = new Compiler(options);
  const roots = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) =>
      t ? [t.name] : [],
    ),
  );
  const objectFields = new Map<string, CompiledRule>();
  const objectArgs = new Map<string, CompiledRule>();
  const inputFields = new Map<string, CompiledRule>();
  const objectTypes = new Map<string, CompiledRule>();
  const sensitiveFields: string[] = [];

  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type)) continue;
    if (isUnionType(type) || isScalarType(type) || isEnumType(type)) {
      // A rule there would be silently ignored: refuse it.
      if (type.extensions?.['authz'] != null)
        c.problems.add(
          `"${type.name}" cannot carry a rule: rules go on object and interface types, fields, arguments and input fields.`,
        );
      continue;
    }
    if (isObjectType(type)) {
      compileObject(type, md, c, options, roots, {
        objectFields,
        objectArgs,
        objectTypes,
        sensitiveFields,
      });
    } else if (isInterfaceType(type)) {
      // Checked here so a rule on an interface nobody implements still fails loudly.
      c.requirements(md.type(type.name), type.name, 'type');
      for (const f of Object.values(type.getFields())) {
        c.requirements(md.field(type.name, f.name), `${type.name}.${f.name}`, 'field');
        for (const a of f.args)
          c.requirements(
            md.argument(type.name, f.name, a.name),
            `${type.name}.${f.name}(${a.name}:)`,
            'argument',
          );
      }
    } else if (isInputObjectType(type)) {
      if (type.extensions?.['authz'] != null)
        c.problems.add(
          `Input type "${type.name}" cannot carry a rule: put it on its input fields.`,
        );
      for (const f of Object.values(type.getFields())) {
        const where = `${type.name}.${f.name}`;
        const reqs = c.requirements(md.inputField(type.name, f.name), where, 'input');
        if (reqs.length > 0) inputFields.set(where, compiled(where, reqs));
      }
    }
  }
  if (c.problems.size > 0) throw new AuthzSchemaError([...c.problems]);

  return {
    fields: expand(schema, objectFields, (t, f) => `${t}.${f}`),
    arguments: expandArguments(schema, objectArgs),
    inputFields,
    objectFields,
    objectTypes,
    protectedInputTypes: protectedInputs(schema, inputFields),
    sensitiveFields,
    empty:
      objectFields.size === 0 &&
      objectArgs.size === 0 &&
      inputFields.size === 0 &&
      objectTypes.size === 0,
  };
}

interface ObjectOut {
  objectFields: Map<string, CompiledRule>;
  objectArgs: Map<string, CompiledRule>;
  objectTypes: Map<string, CompiledRule>;
  sensitiveFields: string[];
}

function compileObject(
  type: GraphQLObjectType,
  md: AuthzMetadata,
  c: Compiler,
  options: RuleTableOptions,
  roots: ReadonlySet<string>,
  out: ObjectOut,
): void {
  const interfaces: readonly GraphQLInterfaceType[] = type.getInterfaces();
  const typeSpecs = [...md.type(type.name), ...interfaces.flatMap((i) => md.type(i.name))];
  const typeReqs = c.requirements(typeSpecs, type.name, 'type');
  if (hasObjectPolicy(typeReqs)) {
    if (roots.has(type.name))
      c.problems.add(`Root type "${type.name}" cannot carry an object policy.`);
    else out.objectTypes.set(type.name, compiled(type.name, typeReqs));
  }
  // On fields, a type's object policies are left to the check on the object itself.
  const typeReqsForFields = withoutObjectPolicies(typeReqs);
  const typePublic = typeSpecs.some((s) => s?.public === true);
  for (const f of Object.values(type.getFields())) {
    const where = `${type.name}.${f.name}`;
    const fieldSpecs = [
      ...md.field(type.name, f.name),
      ...interfaces.flatMap((i) => (i.getFields()[f.name] ? md.field(i.name, f.name) : [])),
    ];
    const reqs = [...c.requirements(fieldSpecs, where, 'field'), ...typeReqsForFields];
    const isPublic = typePublic || fieldSpecs.some((s) => s?.public === true);
    if (reqs.length === 0 && !isPublic && options.sensitiveFieldPattern.test(f.name))
      out.sensitiveFields.push(where);
    if (reqs.length === 0 && !isPublic && options.defaultPolicy === 'deny')
      reqs.push({ kind: 'authenticated' });
    if (reqs.length > 0) out.objectFields.set(where, compiled(where, reqs));
    for (const a of f.args) {
      const argWhere = `${where}(${a.name}:)`;
      const argSpecs = [
        ...md.argument(type.name, f.name, a.name),
        ...interfaces.flatMap((i) =>
          i.getFields()[f.name]?.args.some((x) => x.name === a.name)
            ? md.argument(i.name, f.name, a.name)
            : [],
        ),
      ];
      const argReqs = c.requirements(argSpecs, argWhere, 'argument');
      if (argReqs.length > 0) out.objectArgs.set(argWhere, compiled(argWhere, argReqs));
    }
  }
}

/** Adds, for each interface field, the rules of every implementation that may answer it. */
function expand(
  schema: GraphQLSchema,
  concrete: ReadonlyMap<string, CompiledRule>,
  key: (type: string, field: string) => string,
): Map<string, readonly CompiledRule[]> {
  const out = new Map<string, readonly CompiledRule[]>();
  for (const [coordinate, rule] of concrete) out.set(coordinate, [rule]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isInterfaceType(type) || isIntrospectionType(type)) continue;
    const impls = schema.getPossibleTypes(type);
    for (const f of Object.keys(type.getFields())) {
      const rules = impls.flatMap((t) => {
        const r = concrete.get(key(t.name, f));
        return r ? [r] : [];
      });
      if (rules.length > 0) out.set(key(type.name, f), rules);
    }
  }
  return out;
}

function expandArguments(
  schema: GraphQLSchema,
  concrete: ReadonlyMap<string, CompiledRule>,
): Map<string, readonly CompiledRule[]> {
  const out = new Map<string, readonly CompiledRule[]>();
  for (const [coordinate, rule] of concrete) out.set(coordinate, [rule]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isInterfaceType(type) || isIntrospectionType(type)) continue;
    const impls = schema.getPossibleTypes(type);
    for (const f of Object.values(type.getFields())) {
      for (const a of f.args) {
        const rules = impls.flatMap((t) => {
          const r = concrete.get(`${t.name}.${f.name}(${a.name}:)`);
          return r ? [r] : [];
        });
        if (rules.length > 0) out.set(`${type.name}.${f.name}(${a.name}:)`, rules);
      }
    }
  }
  return out;
}

/** Input types from which an input field with a rule can be reached. */
function protectedInputs(
  schema: GraphQLSchema,
  inputFields: ReadonlyMap<string, CompiledRule>,
): Set<string> {
  const out = new Set<string>();
  if (inputFields.size === 0) return out;
  const inputs = Object.values(schema.getTypeMap()).filter(isInputObjectType);
  for (const t of inputs) {
    if (Object.keys(t.getFields()).some((f) => inputFields.has(`${t.name}.${f}`))) out.add(t.name);
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const t of inputs) {
      if (out.has(t.name)) continue;
      if (Object.values(t.getFields()).some((f) => out.has(getNamedType(f.type).name))) {
        out.add(t.name);
        changed = true;
      }
    }
  }
  return out;
}
