import { describe, expect, it } from 'vitest';
import { principalFromContext } from '@bulwark/core';
import { AUTHZ_DEFAULTS, createAuthz, objectPolicy, requestPolicy } from '../src/index.js';
import type { AuthzOptions } from '../src/index.js';

const make = (o: unknown) => () => createAuthz(o as AuthzOptions);

describe('options', () => {
  it('requires an explicit default policy', () => {
    expect(make({})).toThrow(
      new TypeError('`defaultPolicy` must be one of "deny", "allow", got undefined.'),
    );
    expect(make({ defaultPolicy: 'open' })).toThrow(
      new TypeError('`defaultPolicy` must be one of "deny", "allow", got "open".'),
    );
  });

  it('resolves defaults once; an explicit undefined keeps them', () => {
    const a = createAuthz({ defaultPolicy: 'deny', mode: undefined, getPrincipal: undefined });
    expect(a.options.mode).toBe('reject');
    expect(a.options.getPrincipal).toBe(principalFromContext);
    expect(a.options.policies.size).toBe(0);
    expect(a.options.sensitiveFieldPattern.source).toBe(
      AUTHZ_DEFAULTS.sensitiveFieldPattern.source,
    );
  });

  it('refuses bad values with a TypeError naming the option', () => {
    expect(make({ defaultPolicy: 'deny', mode: 'warn' })).toThrow(
      '`mode` must be one of "reject", "filter", got "warn".',
    );
    expect(make({ defaultPolicy: 'deny', getPrincipal: 'ctx.user' })).toThrow(
      '`getPrincipal` must be a function, got "ctx.user".',
    );
    expect(make({ defaultPolicy: 'deny', onEvent: {} })).toThrow(
      '`onEvent` must be a function, got an object.',
    );
    expect(make({ defaultPolicy: 'deny', sensitiveFieldPattern: 'password' })).toThrow(
      '`sensitiveFieldPattern` must be a RegExp.',
    );
    expect(make({ defaultPolicy: 'deny', defaultPolicyy: 'allow' })).toThrow(
      'has an unknown option "defaultPolicyy"',
    );
  });

  it('refuses malformed policies', () => {
    expect(make({ defaultPolicy: 'deny', policies: [] })).toThrow(
      '`policies` must be an object, got an array.',
    );
    expect(make({ defaultPolicy: 'deny', policies: { owner: () => true } })).toThrow(
      '`policies.owner` must be an object, got a function.',
    );
    expect(make({ defaultPolicy: 'deny', policies: { owner: { check: () => true } } })).toThrow(
      '`policies.owner.on` must be one of "request", "object", got undefined.',
    );
    expect(make({ defaultPolicy: 'deny', policies: { owner: { on: 'object' } } })).toThrow(
      '`policies.owner.check` must be a function, got undefined.',
    );
  });

  it('accepts policies declared with the helpers', () => {
    const a = createAuthz({
      defaultPolicy: 'allow',
      policies: {
        admin: requestPolicy(() => true),
        owner: objectPolicy<{ id: string }>(({ object }) => object.id === 'x'),
      },
    });
    expect([...a.options.policies].map(([n, p]) => [n, p.on])).toEqual([
      ['admin', 'request'],
      ['owner', 'object'],
    ]);
  });

  it('strips the global and sticky flags of the sensitive-field pattern', () => {
    const a = createAuthz({ defaultPolicy: 'allow', sensitiveFieldPattern: /secret/gi });
    expect(a.options.sensitiveFieldPattern.flags).toBe('i');
  });
});
