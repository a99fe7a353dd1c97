import type { TokenSource } from './options.js';

/**
 * What `authenticate` reads from a request: its headers, as Node and Express give them
 * (`req.headers`), or anything with `get(name)` (Fetch `Headers`, Apollo's `HeaderMap`).
 * The URL is never read.
 */
export interface AuthRequest {
  readonly headers:
    | { get(name: string): string | null | undefined }
    | Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** Where a token was found. */
export type TokenLocation = TokenSource['from'];

/** Why a request's credentials were refused before any verification. */
export type ExtractionFailure =
  | 'basic-scheme'
  | 'other-scheme'
  | 'empty'
  | 'too-long'
  | 'malformed'
  | 'duplicate'
  | 'several-sources';

/** The outcome of reading a token from a request. */
export type Extraction =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: string; readonly from: TokenLocation }
  | {
      readonly kind: 'refused';
      readonly failure: ExtractionFailure;
      readonly from: TokenLocation | undefined;
      /** Length of what was refused, for `too-long`. */
      readonly length?: number;
    };

// JWS compact serialization: three base64url segments. An empty signature is let through so
// that `alg: none` tokens reach the algorithm check and are reported as such.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function readHeader(request: AuthRequest, name: string): string | readonly string[] | undefined {
  const headers = request.headers as unknown;
  if (headers === null || typeof headers !== 'object') return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    const value = (get as (n: string) => unknown).call(headers, name);
    return typeof value === 'string' ? value : undefined;
  }
  const value = (headers as Record<string, unknown>)[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

/** True when `token` has the compact JWS shape: three base64url segments. */
export function isCompactJws(token: string): boolean {
  return COMPACT_JWS.test(token);
}

function checkToken(token: string, from: TokenLocation, maxLength: number): Extraction {
  if (token.length === 0) return { kind: 'refused', failure: 'empty', from };
  if (token.length > maxLength) {
    return { kind: 'refused', failure: 'too-long', from, length: token.length };
  }
  return { kind: 'token', token, from };
}

function fromAuthorization(request: AuthRequest, maxLength: number): Extraction {
  const from = 'authorization-header';
  const header = readHeader(request, 'authorization');
  if (header === undefined) return { kind: 'none' };
  if (typeof header !== 'string') {
    if (header.length > 1) return { kind: 'refused', failure: 'duplicate', from };
    return header.length === 0 ? { kind: 'none' } : fromValue(header[0]!, maxLength);
  }
  return fromValue(header, maxLength);
}

function fromValue(header: string, maxLength: number): Extraction {
  const from = 'authorization-header';
  // The length bound comes first: nothing longer is split, trimmed or matched.
  if (header.length > maxLength + 64) {
    return { kind: 'refused', failure: 'too-long', from, length: header.length };
  }
  const value = header.trim();
  if (value.length === 0) return { kind: 'none' };
  const space = value.search(/[ \t]/);
  const scheme = (space === -1 ? value : value.slice(0, space)).toLowerCase();
  if (scheme === 'basic') return { kind: 'refused', failure: 'basic-scheme', from };
  if (scheme !== 'bearer') return { kind: 'refused', failure: 'other-scheme', from };
  return checkToken(space === -1 ? '' : value.slice(space).trim(), from, maxLength);
}

function fromCookie(request: AuthRequest, name: string, maxLength: number): Extraction {
  const from = 'cookie';
  const header = readHeader(request, 'cookie');
  if (header === undefined) return { kind: 'none' };
  const text = typeof header === 'string' ? header : header.join('; ');
  const found: string[] = [];
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    found.push(value);
  }
  if (found.length === 0) return { kind: 'none' };
  // Two cookies of one name: a sibling domain may have planted one (cookie tossing).
  if (found.length > 1) return { kind: 'refused', failure: 'duplicate', from };
  return checkToken(found[0]!, from, maxLength);
}

/**
 * Reads the token of a request from the configured sources. A request carrying a token in
 * more than one source is refused (RFC 6750 §2: one method per request). Nothing is decoded
 * here: the token is only bounded in length and checked to have the compact JWS shape.
 */
export function extractToken(
  request: AuthRequest,
  sources: readonly TokenSource[],
  maxLength: number,
): Extraction {
  const found = locateToken(request, sources, maxLength);
  if (found.kind === 'token' && !isCompactJws(found.token)) {
    return { kind: 'refused', failure: 'malformed', from: found.from };
  }
  return found;
}

/**
 * {@link extractToken} without the shape check, which `createJwtAuth` runs only for tokens
 * not in its cache (a cached token passed it before).
 */
export function locateToken(
  request: AuthRequest,
  sources: readonly TokenSource[],
  maxLength: number,
): Extraction {
  let found: Extraction = { kind: 'none' };
  for (const source of sources) {
    const result =
      source.from === 'cookie'
        ? fromCookie(request, source.name, maxLength)
        : fromAuthorization(request, maxLength);
    if (result.kind === 'refused') return result;
    if (result.kind === 'token') {
      if (found.kind === 'token')
        return { kind: 'refused', failure: 'several-sources', from: undefined };
      found = result;
    }
  }
  return found;
}
