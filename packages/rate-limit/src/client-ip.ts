import { BlockList, isIP } from 'node:net';

/**
 * Which proxies may tell us the client address through `X-Forwarded-For`:
 * - `false`: none; the socket address is the client (the default, and the only safe choice
 *   when the server is reachable directly);
 * - a number `n`: exactly `n` proxies stand in front of the server, each appending the address
 *   it saw; the client is the `n`-th address from the right;
 * - a list of addresses and CIDR ranges (`'10.0.0.0/8'`, `'::1'`): walking from the socket
 *   leftwards, addresses in the list are proxies, and the first one outside it is the client.
 */
export type TrustProxy = false | number | readonly string[];

/** Options of {@link createClientIpResolver}. */
export interface ClientIpOptions {
  /**
   * Proxies trusted to report the client address. Anything left of what they wrote is chosen
   * by the client and never read.
   * @default false
   */
  trustProxy?: TrustProxy;
}

/** The part of a Node (or Express 5) request the resolver reads. */
export interface RequestLike {
  readonly socket?: { readonly remoteAddress?: string | undefined } | null | undefined;
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
}

function buildBlockList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  entries.forEach((entry, i) => {
    const name = `trustProxy[${i}]`;
    if (typeof entry !== 'string') throw new TypeError(`\`${name}\` must be a string.`);
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family === 0) {
      throw new TypeError(
        `\`${name}\` must be an IP address or CIDR range, got ${JSON.stringify(entry)}.`,
      );
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      list.addAddress(address, type);
      return;
    }
    const prefix = Number(entry.slice(slash + 1));
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw new TypeError(`\`${name}\` has an invalid prefix length: ${JSON.stringify(entry)}.`);
    }
    list.addSubnet(address, prefix, type);
  });
  return list;
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function trusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function forwardedFor(req: RequestLike): string[] {
  const raw = req.headers?.['x-forwarded-for'];
  const joined = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return joined
    .split(',')
    .map((s) => unmapped(s.trim()))
    .filter((s) => s.length > 0);
}

/**
 * Builds a function that reads the client IP of a Node or Express 5 request: the socket
 * address, or with an explicit `trustProxy`, the address the trusted proxies report in
 * `X-Forwarded-For`. Put its result in the GraphQL context (`context.clientIp`).
 *
 * Security: `X-Forwarded-For` is a header any client can send. It is read only as far as
 * `trustProxy` vouches for it; with the default (`false`) it is ignored entirely. An address
 * that is not an IP stops the walk at the last proxy.
 *
 * @example
 * const clientIp = createClientIpResolver({ trustProxy: 1 }); // one load balancer
 * expressMiddleware(server, { context: async ({ req }) => ({ clientIp: clientIp(req) }) });
 */
export function createClientIpResolver(
  options: ClientIpOptions = {},
): (req: RequestLike) => string | undefined {
  const trust = options.trustProxy ?? false;
  if (trust === false) return (req) => socketAddress(req);
  if (typeof trust === 'number') {
    if (!Number.isInteger(trust) || trust < 0) {
      throw new TypeError(
        `\`trustProxy\` must be false, a non-negative integer or a list of addresses, got ${String(trust)}.`,
      );
    }
    return (req) => {
      const socket = socketAddress(req);
      if (trust === 0 || socket === undefined) return socket;
      const chain = [...forwardedFor(req), socket];
      const index = Math.max(0, chain.length - 1 - trust);
      for (let i = chain.length - 1; i > index; i--) {
        if (isIP(chain[i - 1]!) === 0) return chain[i];
      }
      return chain[index];
    };
  }
  if (!Array.isArray(trust)) {
    throw new TypeError(
      '`trustProxy` must be false, a non-negative integer or a list of addresses.',
    );
  }
  const list = buildBlockList(trust);
  return (req) => {
    let current = socketAddress(req);
    if (current === undefined) return undefined;
    const chain = forwardedFor(req);
    while (chain.length > 0 && trusted(list, current)) {
      const next = chain.pop()!;
      if (isIP(next) === 0) break;
      current = next;
    }
    return current;
  };
}

function socketAddress(req: RequestLike): string | undefined {
  const address = req.socket?.remoteAddress;
  return typeof address === 'string' && address.length > 0 ? unmapped(address) : undefined;
}

/**
 * The identity of an IP address for rate limiting: IPv4 as is (IPv4-mapped IPv6 unmapped),
 * IPv6 reduced to its first `ipv6Subnet` bits (a client usually holds a whole /64 or /56, and
 * would otherwise get a fresh budget from each of its 2^64 addresses). `undefined` for
 * anything that is not an IP.
 */
export function ipIdentity(address: string, ipv6Subnet: number): string | undefined {
  const plain = unmapped(address.trim());
  const zone = plain.indexOf('%');
  const ip = zone === -1 ? plain : plain.slice(0, zone);
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6) return undefined;
  const groups = expandIpv6(ip);
  const out: string[] = [];
  let bits = ipv6Subnet;
  for (const g of groups) {
    if (bits >= 16) out.push(g.toString(16));
    else if (bits <= 0) out.push('0');
    else out.push(((g >> (16 - bits)) << (16 - bits)).toString(16));
    bits -= 16;
  }
  return `${out.join(':')}/${ipv6Subnet}`;
}

function expandIpv6(ip: string): number[] {
  let text = ip;
  const groups: number[] = [];
  // An embedded IPv4 tail (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`) is two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let v4: number[] = [];
  if (tail.includes('.')) {
    const parts = tail.split('.').map(Number);
    v4 = [(parts[0]! << 8) | parts[1]!, (parts[2]! << 8) | parts[3]!];
    text = text.slice(0, lastColon + 1) + '0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = 8 - (v4.length > 0 ? 1 : 0) - left.length - right.length;
  for (const g of left) groups.push(parseInt(g, 16));
  if (rest !== undefined) for (let i = 0; i < fill; i++) groups.push(0);
  for (const g of right) groups.push(parseInt(g, 16));
  if (v4.length > 0) {
    groups.pop();
    groups.push(...v4);
  }
  return groups.slice(0, 8);
}
