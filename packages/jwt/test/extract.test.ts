import { describe, expect, it } from 'vitest';
import { extractToken } from '@bulwark/jwt';
import type { TokenSource } from '@bulwark/jwt';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';
const HEADER: TokenSource[] = [{ from: 'authorization-header' }];
const COOKIE: TokenSource[] = [{ from: 'cookie', name: 'access_token' }];
const BOTH: TokenSource[] = [...HEADER, ...COOKIE];

describe('extractToken', () => {
  it('reads Node/Express headers, Fetch Headers and Apollo HeaderMap alike', () => {
    const expected = { kind: 'token', token: TOKEN, from: 'authorization-header' };
    expect(extractToken({ headers: { authorization: `Bearer ${TOKEN}` } }, HEADER, 8192)).toEqual(
      expected,
    );
    expect(
      extractToken({ headers: new Headers({ Authorization: `Bearer ${TOKEN}` }) }, HEADER, 8192),
    ).toEqual(expected);
    expect(
      extractToken({ headers: new Map([['authorization', `Bearer ${TOKEN}`]]) }, HEADER, 8192),
    ).toEqual(expected);
  });

  it('finds nothing without a header, with an empty one, or when the source is not configured', () => {
    expect(extractToken({ headers: {} }, HEADER, 8192)).toEqual({ kind: 'none' });
    expect(extractToken({ headers: { authorization: '   ' } }, HEADER, 8192)).toEqual({
      kind: 'none',
    });
    expect(extractToken({ headers: { cookie: `access_token=${TOKEN}` } }, HEADER, 8192)).toEqual({
      kind: 'none',
    });
    expect(extractToken({ headers: { authorization: `Bearer ${TOKEN}` } }, COOKIE, 8192)).toEqual({
      kind: 'none',
    });
  });

  it('refuses Basic, other schemes and an empty bearer token', () => {
    const refused = (failure: string) => ({
      kind: 'refused',
      failure,
      from: 'authorization-header',
    });
    expect(extractToken({ headers: { authorization: 'Basic dTpw' } }, HEADER, 8192)).toEqual(
      refused('basic-scheme'),
    );
    expect(extractToken({ headers: { authorization: 'BASIC dTpw' } }, HEADER, 8192)).toEqual(
      refused('basic-scheme'),
    );
    expect(extractToken({ headers: { authorization: `Digest ${TOKEN}` } }, HEADER, 8192)).toEqual(
      refused('other-scheme'),
    );
    expect(extractToken({ headers: { authorization: TOKEN } }, HEADER, 8192)).toEqual(
      refused('other-scheme'),
    );
    expect(extractToken({ headers: { authorization: 'Bearer ' } }, HEADER, 8192)).toEqual(
      refused('empty'),
    );
  });

  it('refuses what is not a compact JWS', () => {
    for (const value of [
      'a.b',
      'a.b.c.d',
      'a b.c.d',
      `${TOKEN}, Bearer ${TOKEN}`,
      'a=.b.c',
      '.b.c',
      'a..c',
    ]) {
      expect(
        extractToken({ headers: { authorization: `Bearer ${value}` } }, HEADER, 8192),
      ).toMatchObject({
        kind: 'refused',
        failure: 'malformed',
      });
    }
  });

  it('bounds the length before anything else, header and cookie', () => {
    const long = `${'a'.repeat(50)}.${'b'.repeat(100)}.c`;
    expect(extractToken({ headers: { authorization: `Bearer ${long}` } }, HEADER, 100)).toEqual({
      kind: 'refused',
      failure: 'too-long',
      from: 'authorization-header',
      length: long.length,
    });
    const huge = `Bearer ${'x'.repeat(1_000_000)}`;
    expect(extractToken({ headers: { authorization: huge } }, HEADER, 8192)).toEqual({
      kind: 'refused',
      failure: 'too-long',
      from: 'authorization-header',
      length: huge.length,
    });
    expect(
      extractToken({ headers: { cookie: `access_token=${long}` } }, COOKIE, 100),
    ).toMatchObject({
      kind: 'refused',
      failure: 'too-long',
      from: 'cookie',
    });
  });

  it('refuses several Authorization headers', () => {
    expect(
      extractToken(
        { headers: { authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] } },
        HEADER,
        8192,
      ),
    ).toMatchObject({ kind: 'refused', failure: 'duplicate' });
  });

  it('reads a named cookie, quoted or not, among others', () => {
    const cookie = (value: string) => ({ headers: { cookie: value } });
    const found = { kind: 'token', token: TOKEN, from: 'cookie' };
    expect(extractToken(cookie(`a=1; access_token=${TOKEN}; b=2`), COOKIE, 8192)).toEqual(found);
    expect(extractToken(cookie(`access_token="${TOKEN}"`), COOKIE, 8192)).toEqual(found);
    expect(extractToken(cookie(`xaccess_token=${TOKEN}`), COOKIE, 8192)).toEqual({ kind: 'none' });
  });

  it('refuses two cookies of the same name (cookie tossing)', () => {
    expect(
      extractToken(
        { headers: { cookie: `access_token=${TOKEN}; access_token=${TOKEN}` } },
        COOKIE,
        8192,
      ),
    ).toEqual({ kind: 'refused', failure: 'duplicate', from: 'cookie' });
  });

  it('refuses a request carrying tokens in two sources', () => {
    const headers = { authorization: `Bearer ${TOKEN}`, cookie: `access_token=${TOKEN}` };
    expect(extractToken({ headers }, BOTH, 8192)).toEqual({
      kind: 'refused',
      failure: 'several-sources',
      from: undefined,
    });
    expect(
      extractToken({ headers: { cookie: `access_token=${TOKEN}` } }, BOTH, 8192),
    ).toMatchObject({
      kind: 'token',
      from: 'cookie',
    });
  });
});
