import { parse } from 'graphql';
import type { FieldNode } from 'graphql';
import { createPrincipal, hasRole, IntrospectionDisabledError } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import {
  checkIntrospection,
  findIntrospectionFieldsInDocument,
  introspectionPlugin,
} from '../src/index.js';

const fields: FieldNode[] = findIntrospectionFieldsInDocument(
  null,
  parse('{ __schema { __typename } }'),
);
const admin = createPrincipal({ subject: 'root', roles: ['admin'] });
const user = createPrincipal({ subject: 'ada', roles: ['user'] });
const allow = (p: typeof admin | null) => hasRole(p, 'admin');

describe('checkIntrospection', () => {
  it('allows when the operation does not introspect, without asking the policy', async () => {
    let asked = false;
    const result = await checkIntrospection(
      [],
      null,
      {},
      {
        allow: () => {
          asked = true;
          return false;
        },
      },
    );
    expect(result).toBeNull();
    expect(asked).toBe(false);
  });

  it('allows the principals the policy allows', async () => {
    expect(await checkIntrospection(fields, admin, {}, { allow })).toBeNull();
    expect(await checkIntrospection(fields, admin, {}, { allow: async () => true })).toBeNull();
  });

  it('refuses everyone else with a 403 INTROSPECTION_DISABLED', async () => {
    const refusal = await checkIntrospection(fields, user, {}, { allow });
    expect(refusal?.error).toBeInstanceOf(IntrospectionDisabledError);
    expect(refusal?.error.status).toBe(403);
    expect(refusal?.error.message).toBe(
      'Introspection is not allowed: the operation selects "__schema".',
    );
    expect(refusal?.error.reason).toBe('The introspection policy refused "ada" (__schema at 1:3).');
    expect(refusal?.failure).toBeUndefined();
    const anonymous = await checkIntrospection(fields, null, {}, { allow });
    expect(anonymous?.error.reason).toContain('an anonymous request');
  });

  it('fails closed when the policy throws, rejects or returns a non-boolean', async () => {
    const boom = new Error('policy store down');
    const thrown = await checkIntrospection(
      fields,
      admin,
      {},
      {
        allow: () => {
          throw boom;
        },
      },
    );
    expect(thrown?.failure).toBe(boom);
    expect(thrown?.error.reason).toBe(
      'The introspection policy threw for "root"; refused (fail closed).',
    );
    expect(
      (await checkIntrospection(fields, admin, {}, { allow: () => Promise.reject(boom) }))?.failure,
    ).toBe(boom);
    expect(
      await checkIntrospection(fields, admin, {}, { allow: () => 1 as unknown as boolean }),
    ).not.toBeNull();
  });
});

describe('introspectionPlugin options', () => {
  it('refuses bad options at construction, naming them', () => {
    expect(() => introspectionPlugin({ allow: true as never })).toThrow(
      new TypeError('`allow` must be a function, got true.'),
    );
    expect(() => introspectionPlugin({ getPrincipal: null as never })).toThrow(
      new TypeError('`getPrincipal` must be a function, got null.'),
    );
    expect(() => introspectionPlugin({ allowed: () => true } as never)).toThrow(
      /unknown option "allowed"/,
    );
    expect(() => introspectionPlugin('admin' as never)).toThrow(TypeError);
  });

  it('keeps the defaults for an explicit undefined', () => {
    expect(() => introspectionPlugin({ allow: undefined, getPrincipal: undefined })).not.toThrow();
  });
});
