import { describe, expect, it } from 'vitest';
import { principalFromClaims } from '@bulwark/jwt';

describe('principalFromClaims', () => {
  it('maps subject, scopes from scope and scp, roles, token id and times', () => {
    const principal = principalFromClaims(
      {
        sub: 'u1',
        scope: 'a b  c',
        scp: ['c', 'd', 3],
        roles: ['admin', 7, 'editor'],
        jti: 'j',
        iat: 1,
        exp: 2,
      },
      'sub',
      ['roles'],
    );
    expect(principal).toEqual({
      subject: 'u1',
      scopes: ['a', 'b', 'c', 'd'],
      roles: ['admin', 'editor'],
      claims: expect.objectContaining({ sub: 'u1', jti: 'j' }),
      tokenId: 'j',
      issuedAt: 1,
      expiresAt: 2,
    });
  });

  it('reads scp as a space-separated string (Azure AD) and a roles string', () => {
    const principal = principalFromClaims({ sub: 'u', scp: 'x y', role: 'admin' }, 'sub', ['role']);
    expect(principal.scopes).toEqual(['x', 'y']);
    expect(principal.roles).toEqual(['admin']);
  });

  it('follows a dotted path and a path whose claim name has dots', () => {
    const keycloak = principalFromClaims({ sub: 'u', realm_access: { roles: ['r1'] } }, 'sub', [
      'realm_access',
      'roles',
    ]);
    expect(keycloak.roles).toEqual(['r1']);
    const auth0 = principalFromClaims({ sub: 'u', 'https://x.test/roles': ['r2'] }, 'sub', [
      'https://x.test/roles',
    ]);
    expect(auth0.roles).toEqual(['r2']);
    expect(principalFromClaims({ sub: 'u' }, 'sub', ['realm_access', 'roles']).roles).toEqual([]);
  });

  it('never walks into the prototype chain', () => {
    const principal = principalFromClaims({ sub: 'u' }, 'sub', ['__proto__', 'constructor']);
    expect(principal.roles).toEqual([]);
    expect(principalFromClaims({ sub: 'u' }, 'sub', ['toString']).roles).toEqual([]);
  });

  it('takes the subject from a configured claim and requires a non-empty string', () => {
    expect(principalFromClaims({ oid: 'abc' }, 'oid', ['roles']).subject).toBe('abc');
    for (const sub of [undefined, '', 12, ['a']]) {
      expect(() => principalFromClaims({ sub }, 'sub', ['roles'])).toThrow(
        'The "sub" claim must be a non-empty string.',
      );
    }
  });

  it('freezes the claims deeply: a cached principal is shared by requests', () => {
    const principal = principalFromClaims({ sub: 'u', org: { teams: ['a'] } }, 'sub', ['roles']);
    const org = principal.claims.org as { teams: string[] };
    expect(() => org.teams.push('b')).toThrow(TypeError);
    expect(() => {
      (principal.claims as Record<string, unknown>).sub = 'admin';
    }).toThrow(TypeError);
    expect(Object.isFrozen(principal.scopes)).toBe(true);
  });
});
