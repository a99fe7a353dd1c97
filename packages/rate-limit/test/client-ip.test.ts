import { describe, expect, it } from 'vitest';
import { createClientIpResolver, ipIdentity } from '@bulwark/rate-limit';
import type { RequestLike } from '@bulwark/rate-limit';

const req = (remoteAddress: string | undefined, xff?: string | string[]): RequestLike => ({
  socket: { remoteAddress },
  headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
});

describe('createClientIpResolver', () => {
  it('uses the socket address and ignores X-Forwarded-For by default', () => {
    const ip = createClientIpResolver();
    expect(ip(req('203.0.113.7', '1.1.1.1'))).toBe('203.0.113.7');
    expect(ip(req('::ffff:203.0.113.7'))).toBe('203.0.113.7');
    expect(ip(req(undefined))).toBeUndefined();
  });

  it('with a hop count, reads the address the nearest trusted proxies wrote', () => {
    const one = createClientIpResolver({ trustProxy: 1 });
    // The client forged "6.6.6.6"; the load balancer appended what it saw.
    expect(one(req('10.0.0.2', '6.6.6.6, 198.51.100.9'))).toBe('198.51.100.9');
    expect(one(req('10.0.0.2'))).toBe('10.0.0.2');
    const two = createClientIpResolver({ trustProxy: 2 });
    expect(two(req('10.0.0.2', ['6.6.6.6, 198.51.100.9', '10.0.0.1']))).toBe('198.51.100.9');
    // Fewer entries than hops: the leftmost one.
    expect(two(req('10.0.0.2', '198.51.100.9'))).toBe('198.51.100.9');
    // Something that is not an IP stops the walk at the last proxy.
    expect(two(req('10.0.0.2', 'evil, 10.0.0.1'))).toBe('10.0.0.1');
  });

  it('with a list, walks back over trusted proxies only', () => {
    const ip = createClientIpResolver({ trustProxy: ['10.0.0.0/8', '::1'] });
    expect(ip(req('10.0.0.5', '6.6.6.6, 198.51.100.9, 10.1.2.3'))).toBe('198.51.100.9');
    expect(ip(req('::1', '198.51.100.10'))).toBe('198.51.100.10');
    // A client reaching the server directly cannot forge its address.
    expect(ip(req('203.0.113.50', '1.2.3.4'))).toBe('203.0.113.50');
    expect(ip(req('10.0.0.5', 'not-an-ip'))).toBe('10.0.0.5');
  });

  it('refuses an invalid setting', () => {
    expect(() => createClientIpResolver({ trustProxy: -1 })).toThrow(TypeError);
    expect(() => createClientIpResolver({ trustProxy: ['10.0.0.0/33'] })).toThrow(
      new TypeError('`trustProxy[0]` has an invalid prefix length: "10.0.0.0/33".'),
    );
    expect(() => createClientIpResolver({ trustProxy: ['proxy.local'] })).toThrow(
      new TypeError('`trustProxy[0]` must be an IP address or CIDR range, got "proxy.local".'),
    );
  });
});

describe('ipIdentity', () => {
  it('keeps IPv4, unmaps IPv4-mapped IPv6, and reduces IPv6 to its subnet', () => {
    expect(ipIdentity('198.51.100.9', 56)).toBe('198.51.100.9');
    expect(ipIdentity('::ffff:198.51.100.9', 56)).toBe('198.51.100.9');
    expect(ipIdentity('2001:db8:1:2ff:aaaa:bbbb:cccc:dddd', 56)).toBe('2001:db8:1:200:0:0:0:0/56');
    expect(ipIdentity('2001:db8:1:2ff::1', 64)).toBe('2001:db8:1:2ff:0:0:0:0/64');
    expect(ipIdentity('fe80::1%eth0', 64)).toBe('fe80:0:0:0:0:0:0:0/64');
    expect(ipIdentity('64:ff9b::192.0.2.1', 128)).toBe('64:ff9b:0:0:0:0:c000:201/128');
    expect(ipIdentity('::1', 128)).toBe('0:0:0:0:0:0:0:1/128');
    expect(ipIdentity('not an ip', 56)).toBeUndefined();
  });
});
