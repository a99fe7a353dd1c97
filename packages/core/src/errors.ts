import { GraphQLError } from 'graphql';
import type { ASTNode } from 'graphql';

/**
 * Every client-facing error code of the suite, with the HTTP status it answers with.
 *
 * The table is the single source of truth: error classes, `isSecurityError` and the masking
 * allowlist all read it. Codes are SCREAMING_SNAKE strings; there is no TypeScript enum.
 */
export const ERROR_CODES = {
  /** The operation is nested deeper than allowed. */
  DEPTH_LIMIT_EXCEEDED: { status: 400 },
  /** The operation selects more unique fields than allowed. */
  HEIGHT_LIMIT_EXCEEDED: { status: 400 },
  /** The operation uses more aliases than allowed. */
  ALIAS_LIMIT_EXCEEDED: { status: 400 },
  /** The operation selects more root fields than allowed. */
  ROOT_FIELD_LIMIT_EXCEEDED: { status: 400 },
  /** The operation uses more directives than allowed. */
  DIRECTIVE_LIMIT_EXCEEDED: { status: 400 },
  /** The operation nests more lists than allowed. */
  LIST_DEPTH_LIMIT_EXCEEDED: { status: 400 },
  /** The operation selects more fields (after fragment expansion) than allowed. */
  FIELD_LIMIT_EXCEEDED: { status: 400 },
  /** The document has more lexical tokens than allowed. */
  TOKEN_LIMIT_EXCEEDED: { status: 400 },
  /** The document is longer than allowed. */
  DOCUMENT_SIZE_LIMIT_EXCEEDED: { status: 400 },
  /** An HTTP batch holds more operations than allowed. */
  BATCH_LIMIT_EXCEEDED: { status: 400 },
  /** A variable's value is nested deeper (objects and lists) than allowed. */
  VARIABLES_DEPTH_LIMIT_EXCEEDED: { status: 400 },
  /** The estimated cost of the operation is higher than allowed. */
  COST_LIMIT_EXCEEDED: { status: 400 },
  /** A list field lacks the slicing argument its `@listSize` requires. */
  SLICING_ARGUMENT_REQUIRED: { status: 400 },
  /** No valid credentials: missing, malformed, expired, revoked or wrongly signed token. */
  UNAUTHENTICATED: { status: 401 },
  /** The principal may not read or write what the operation asks for. */
  FORBIDDEN: { status: 403 },
  /**
   * Introspection is not allowed. 403 when the decision depends on who asks;
   * 400 when introspection is off for everyone (a static validation failure).
   */
  INTROSPECTION_DISABLED: { status: 403 },
  /** Too many requests or too much cost in the window; also a jailed identity. */
  RATE_LIMITED: { status: 429 },
  /** The HTTP request could not be read (malformed JSON, a bad request line or header). */
  BAD_REQUEST: { status: 400 },
  /** The path serves nothing. */
  NOT_FOUND: { status: 404 },
  /** The request body is larger than allowed. */
  PAYLOAD_TOO_LARGE: { status: 413 },
  /** The request body's content encoding or charset is not supported. */
  UNSUPPORTED_MEDIA_TYPE: { status: 415 },
  /** A security dependency (rate-limit store, key server) is unavailable and the policy is to fail closed. */
  SERVICE_UNAVAILABLE: { status: 503 },
  /** Anything unexpected, masked: the client gets a generic message and an error id. */
  INTERNAL_SERVER_ERROR: { status: 500 },
} as const satisfies Record<string, { status: number }>;

/** A client-facing error code of the suite. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Every error code, for iteration. */
export const ERROR_CODE_LIST = Object.freeze(Object.keys(ERROR_CODES) as ErrorCode[]);

/** The HTTP status a code answers with by default. */
export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** True when `value` is one of the suite's error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** Options of a {@link BulwarkError}. */
export interface BulwarkErrorOptions {
  /** AST nodes the error is about (graphql-js `locations` are derived from them). */
  nodes?: ASTNode | readonly ASTNode[] | null;
  /** Response path of a field-level error. */
  path?: readonly (string | number)[];
  /** Extra client-safe extensions. Never put secrets or internal detail here. */
  extensions?: Record<string, unknown>;
  /** HTTP status override (used by `INTROSPECTION_DISABLED`: 400 when static). */
  status?: number;
  /** HTTP headers for the response, e.g. `WWW-Authenticate` or `Retry-After`. */
  headers?: Readonly<Record<string, string>>;
  /**
   * Internal detail for events and logs: which claim failed, the store error. It is kept
   * on the error object but never serialized to the client.
   */
  reason?: string;
  /** The underlying error, for logs. Not serialized. */
  cause?: unknown;
}

/** The HTTP part Apollo Server reads from `extensions.http`. */
export interface HttpExtension {
  status: number;
  headers: Map<string, string>;
}

/**
 * Base class of every error the suite returns to a client.
 *
 * It is a `GraphQLError` whose `extensions` carry `code` and, for Apollo Server,
 * `http: { status, headers }` (Apollo strips `http` from the response body and applies it).
 */
export class BulwarkError<C extends ErrorCode = ErrorCode> extends GraphQLError {
  /** The client-facing code. */
  readonly code: C;
  /** The HTTP status this error answers with. */
  readonly status: number;
  /** Internal detail for events and logs, never sent to the client. */
  readonly reason: string | undefined;

  constructor(code: C, message: string, options: BulwarkErrorOptions = {}) {
    const status = options.status ?? statusOf(code);
    const headers = new Map<string, string>();
    if (options.headers)
      for (const [k, v] of Object.entries(options.headers)) headers.set(k.toLowerCase(), v);
    const http: HttpExtension = { status, headers };
    super(message, {
      nodes: options.nodes ?? null,
      path: options.path,
      extensions: { ...options.extensions, code, http },
      originalError: undefined,
    });
    this.name = 'BulwarkError';
    this.code = code;
    this.status = status;
    this.reason = options.reason;
    if (options.cause !== undefined)
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false });
    // The reason is for logs only: keep it off JSON.
    Object.defineProperty(this, 'reason', { enumerable: false });
  }
}

type ErrorClass<C extends ErrorCode> = new (
  message: string,
  options?: BulwarkErrorOptions,
) => BulwarkError<C>;

const CLASSES: Partial<Record<ErrorCode, ErrorClass<ErrorCode>>> = {};

function errorClass<C extends ErrorCode>(code: C, name: string): ErrorClass<C> {
  const cls = class extends BulwarkError<C> {
    constructor(message: string, options?: BulwarkErrorOptions) {
      super(code, message, options);
      this.name = name;
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  CLASSES[code] = cls as unknown as ErrorClass<ErrorCode>;
  return cls;
}

/** `DEPTH_LIMIT_EXCEEDED` (400). */
export const DepthLimitError = errorClass('DEPTH_LIMIT_EXCEEDED', 'DepthLimitError');
/** `HEIGHT_LIMIT_EXCEEDED` (400). */
export const HeightLimitError = errorClass('HEIGHT_LIMIT_EXCEEDED', 'HeightLimitError');
/** `ALIAS_LIMIT_EXCEEDED` (400). */
export const AliasLimitError = errorClass('ALIAS_LIMIT_EXCEEDED', 'AliasLimitError');
/** `ROOT_FIELD_LIMIT_EXCEEDED` (400). */
export const RootFieldLimitError = errorClass('ROOT_FIELD_LIMIT_EXCEEDED', 'RootFieldLimitError');
/** `DIRECTIVE_LIMIT_EXCEEDED` (400). */
export const DirectiveLimitError = errorClass('DIRECTIVE_LIMIT_EXCEEDED', 'DirectiveLimitError');
/** `LIST_DEPTH_LIMIT_EXCEEDED` (400). */
export const ListDepthLimitError = errorClass('LIST_DEPTH_LIMIT_EXCEEDED', 'ListDepthLimitError');
/** `FIELD_LIMIT_EXCEEDED` (400). */
export const FieldLimitError = errorClass('FIELD_LIMIT_EXCEEDED', 'FieldLimitError');
/** `TOKEN_LIMIT_EXCEEDED` (400). */
export const TokenLimitError = errorClass('TOKEN_LIMIT_EXCEEDED', 'TokenLimitError');
/** `DOCUMENT_SIZE_LIMIT_EXCEEDED` (400). */
export const DocumentSizeLimitError = errorClass(
  'DOCUMENT_SIZE_LIMIT_EXCEEDED',
  'DocumentSizeLimitError',
);
/** `BATCH_LIMIT_EXCEEDED` (400). */
export const BatchLimitError = errorClass('BATCH_LIMIT_EXCEEDED', 'BatchLimitError');
/** `VARIABLES_DEPTH_LIMIT_EXCEEDED` (400). */
export const VariablesDepthLimitError = errorClass(
  'VARIABLES_DEPTH_LIMIT_EXCEEDED',
  'VariablesDepthLimitError',
);
/** `COST_LIMIT_EXCEEDED` (400). */
export const CostLimitError = errorClass('COST_LIMIT_EXCEEDED', 'CostLimitError');
/** `SLICING_ARGUMENT_REQUIRED` (400). */
export const SlicingArgumentError = errorClass('SLICING_ARGUMENT_REQUIRED', 'SlicingArgumentError');
/** `UNAUTHENTICATED` (401). Add `WWW-Authenticate` through `headers`. */
export const UnauthenticatedError = errorClass('UNAUTHENTICATED', 'UnauthenticatedError');
/** `FORBIDDEN` (403). */
export const ForbiddenError = errorClass('FORBIDDEN', 'ForbiddenError');
/** `INTROSPECTION_DISABLED` (403, or 400 with `status: 400` when static). */
export const IntrospectionDisabledError = errorClass(
  'INTROSPECTION_DISABLED',
  'IntrospectionDisabledError',
);
/** `RATE_LIMITED` (429). Add `Retry-After` through `headers`. */
export const RateLimitedError = errorClass('RATE_LIMITED', 'RateLimitedError');
/** `PAYLOAD_TOO_LARGE` (413). */
export const PayloadTooLargeError = errorClass('PAYLOAD_TOO_LARGE', 'PayloadTooLargeError');
/** `SERVICE_UNAVAILABLE` (503). */
export const ServiceUnavailableError = errorClass('SERVICE_UNAVAILABLE', 'ServiceUnavailableError');
/** `INTERNAL_SERVER_ERROR` (500), the masked form of anything unexpected. */
export const InternalServerError = errorClass('INTERNAL_SERVER_ERROR', 'InternalServerError');

/**
 * Builds the error of a code, as an instance of that code's class:
 * `createSecurityError('FORBIDDEN', 'Access denied.')` is a `ForbiddenError`.
 */
export function createSecurityError<C extends ErrorCode>(
  code: C,
  message: string,
  options?: BulwarkErrorOptions,
): BulwarkError<C> {
  const cls = CLASSES[code] as ErrorClass<C> | undefined;
  return cls ? new cls(message, options) : new BulwarkError(code, message, options);
}

/**
 * True for an error the suite raised on purpose (safe to show to a client as is): a
 * `BulwarkError`, or a `GraphQLError` wrapping one (graphql-js wraps resolver throws).
 */
export function isSecurityError(error: unknown): error is BulwarkError {
  if (error instanceof BulwarkError) return true;
  if (error instanceof GraphQLError && error.originalError instanceof BulwarkError) return true;
  return false;
}

/**
 * A validation-rule error: graphql-js style, reported with `context.reportError`. Apollo Server
 * rewrites `extensions.code` of validation errors to `GRAPHQL_VALIDATION_FAILED`; the code is
 * kept in `extensions.validationErrorCode` too, as Apollo's own rules do.
 */
export function validationError(
  code: ErrorCode,
  message: string,
  nodes?: ASTNode | readonly ASTNode[] | null,
  extensions?: Record<string, unknown>,
): GraphQLError {
  return new GraphQLError(message, {
    nodes: nodes ?? null,
    extensions: { ...extensions, code, validationErrorCode: code },
  });
}
