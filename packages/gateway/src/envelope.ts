import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Hash, KeyObject } from 'node:crypto';

/**
 * The internal header that carries the signed principal from the gateway to a subgraph. A
 * client never sets it: the gateway forwards no client header, and overwrites this one.
 */
export const PRINCIPAL_HEADER = 'x-bulwark-principal';

/** Longest header value produced or read (a principal with hundreds of roles still fits). */
export const MAX_PRINCIPAL_HEADER_LENGTH = 8192;

/** What a subgraph request is made of, as the gateway sends it and the subgraph reads it. */
export interface SubgraphRequest {
  readonly query?: unknown;
  readonly operationName?: unknown;
  readonly variables?: unknown;
}

/** The principal as it travels: what the gateway verified, never the token. */
export interface WirePrincipal {
  /** Subject. */
  readonly sub: string;
  /** Scopes. */
  readonly scp: readonly string[];
  /** Roles. */
  readonly rol: readonly string[];
  /** Token id (`jti`). */
  readonly jti?: string;
  /** Token `iat`, seconds. */
  readonly tiat?: number;
  /** Token `exp`, seconds. */
  readonly texp?: number;
  /** Forwarded claims (an allow-list chosen at the gateway). */
  readonly c?: Readonly<Record<string, unknown>>;
}

/** The signed payload. */
export interface Envelope {
  /** Format version. */
  readonly v: 1;
  /** The subgraph the request is for. */
  readonly sg: string;
  /** Binding: SHA-256 of the request's query, operation name and variables (base64url). */
  readonly bh: string;
  /** Signed at, milliseconds since the epoch. */
  readonly iat: number;
  /** Expires at, milliseconds since the epoch. */
  readonly exp: number;
  /** The principal, `null` for an anonymous request. */
  readonly p: WirePrincipal | null;
}

const PREFIX = 'v1.';
const SIGNATURE_LENGTH = 43; // 32 bytes, base64url without padding
const FORMAT = /^v1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

/** JSON as an array element: `undefined` (and functions) become `null`, as in an array. */
function json(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

// Hash states after `[<query>,`, by query text: a gateway sends the same few fetches of its
// cached plans over and over. Bounded in entries and in the length of a cached query.
const QUERY_PREFIXES = new Map<string, Hash>();
const MAX_QUERY_PREFIXES = 1000;
const MAX_CACHED_QUERY_LENGTH = 16_384;

function queryPrefix(query: unknown): Hash {
  if (typeof query !== 'string' || query.length > MAX_CACHED_QUERY_LENGTH)
    return createHash('sha256').update(`[${json(query)},`);
  let prefix = QUERY_PREFIXES.get(query);
  if (!prefix) {
    prefix = createHash('sha256').update(`[${json(query)},`);
    if (QUERY_PREFIXES.size >= MAX_QUERY_PREFIXES) QUERY_PREFIXES.clear();
    QUERY_PREFIXES.set(query, prefix);
  }
  return prefix.copy();
}

/**
 * The binding of a request: SHA-256 of `[query, operationName, variables]` as JSON. The gateway
 * hashes what it is about to send; the subgraph hashes what it parsed. JSON text is stable
 * across a parse and a serialization (key order kept, numbers and strings canonical), so both
 * sides agree. `undefined` when the request cannot be serialized.
 */
export function requestBinding(request: SubgraphRequest): string | undefined {
  let rest: string;
  try {
    rest = `${json(request.operationName ?? null)},${json(request.variables ?? null)}]`;
  } catch {
    return undefined;
  }
  return queryPrefix(request.query ?? null)
    .update(rest)
    .digest('base64url');
}

function mac(key: KeyObject, signedPart: string): Buffer {
  return createHmac('sha256', key).update(signedPart).digest();
}

/**
 * Signs an envelope given as JSON text: `v1.<payload>.<HMAC-SHA256>`, base64url. (The signer
 * assembles the JSON from parts it caches.)
 */
export function sealEnvelope(envelopeJson: string, key: KeyObject): string {
  const signedPart = PREFIX + Buffer.from(envelopeJson).toString('base64url');
  return `${signedPart}.${mac(key, signedPart).toString('base64url')}`;
}

/** Why a header was refused before its payload was read. */
export type OpenFailure = 'malformed' | 'signature';

/**
 * Checks the format and the signature of a header value against each key (rotation) in
 * constant time, then decodes the payload. The payload's shape is checked by the caller.
 */
export function openEnvelope(
  value: string,
  keys: readonly KeyObject[],
): { ok: true; payload: unknown } | { ok: false; failure: OpenFailure } {
  if (value.length > MAX_PRINCIPAL_HEADER_LENGTH) return { ok: false, failure: 'malformed' };
  const m = FORMAT.exec(value);
  if (!m) return { ok: false, failure: 'malformed' };
  const signedPart = value.slice(0, value.length - SIGNATURE_LENGTH - 1);
  const given = Buffer.from(m[2]!, 'base64url');
  // base64url has several spellings of the last character's spare bits: accept only the
  // canonical one, so one signature has one header value.
  if (given.toString('base64url') !== m[2]) return { ok: false, failure: 'malformed' };
  let valid = false;
  // Every key is tried, so the time does not say which one matched.
  for (const key of keys) if (timingSafeEqual(mac(key, signedPart), given)) valid = true;
  if (!valid) return { ok: false, failure: 'signature' };
  try {
    return { ok: true, payload: JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) };
  } catch {
    return { ok: false, failure: 'malformed' };
  }
}

const isStringList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');
const isOptionalNumber = (v: unknown) => v === undefined || Number.isFinite(v);

function isWirePrincipal(p: unknown): p is WirePrincipal {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return false;
  const w = p as Record<string, unknown>;
  return (
    typeof w['sub'] === 'string' &&
    w['sub'] !== '' &&
    isStringList(w['scp']) &&
    isStringList(w['rol']) &&
    (w['jti'] === undefined || typeof w['jti'] === 'string') &&
    isOptionalNumber(w['tiat']) &&
    isOptionalNumber(w['texp']) &&
    (w['c'] === undefined ||
      (w['c'] !== null && typeof w['c'] === 'object' && !Array.isArray(w['c'])))
  );
}

/** True when a decoded payload has the envelope's shape (it was signed, but be strict). */
export function isEnvelope(payload: unknown): payload is Envelope {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return false;
  const e = payload as Record<string, unknown>;
  return (
    e['v'] === 1 &&
    typeof e['sg'] === 'string' &&
    typeof e['bh'] === 'string' &&
    Number.isSafeInteger(e['iat']) &&
    Number.isSafeInteger(e['exp']) &&
    (e['p'] === null || isWirePrincipal(e['p']))
  );
}
