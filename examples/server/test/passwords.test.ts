import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '@bulwark/example-server';

describe('password hashing', () => {
  it('stores scrypt with its cost and a random salt, never the password', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('horse');
  });

  it('verifies the right password only', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('refuses every password for an unknown or disabled account (after spending a hash)', async () => {
    expect(await verifyPassword('anything', undefined)).toBe(false);
    expect(await verifyPassword('anything', '!')).toBe(false);
    expect(await verifyPassword('anything', 'scrypt$broken')).toBe(false);
  });

  it('normalizes Unicode so the same password typed two ways verifies', async () => {
    const stored = await hashPassword('caf\u00e9-password');
    expect(await verifyPassword('cafe\u0301-password', stored)).toBe(true);
  });
});
