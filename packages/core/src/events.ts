import type { ErrorCode } from './errors.js';

/** Which part of the suite made the decision. */
export type SecuritySource =
  | 'limits'
  | 'jwt'
  | 'authz'
  | 'rate-limit'
  | 'introspection'
  | 'masking'
  | 'redis'
  | 'preset'
  | 'gateway'
  /** The application itself (a failed login, a reused refresh token), through the same stream. */
  | 'app';

/**
 * What happened:
 * - `rejected`: the request (or a field of it) was refused;
 * - `flagged`: a limit in `measure` mode was exceeded and the operation went on;
 * - `masked`: an unexpected error was replaced by a generic one;
 * - `warning`: a configuration or store problem worth an operator's attention.
 */
export type SecurityOutcome = 'rejected' | 'flagged' | 'masked' | 'warning';

/**
 * Every decision that rejects or flags a request. One `onEvent` callback receives them all.
 *
 * Events carry the principal's subject, never a token, a password or a secret; `detail` holds
 * what the client is not told (which claim failed, the store error, the original stack).
 */
export interface SecurityEvent {
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly source: SecuritySource;
  readonly outcome: SecurityOutcome;
  /** A suite error code, or a warning code such as `SENSITIVE_FIELD_WITHOUT_RULE`. */
  readonly code: ErrorCode | (string & {});
  /** One sentence for operators. May say more than the client message. */
  readonly reason: string;
  readonly operationName?: string | undefined;
  /** The principal's subject, when known. */
  readonly subject?: string | undefined;
  /** The masked error id, when the event is about a masked error. */
  readonly errorId?: string | undefined;
  /** Structured detail: limit and value, claim name, rule id, denied paths, original error. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * Receives security events. Called synchronously on the request path: keep it fast and
 * hand heavy work off. A throw from it is caught and ignored (an observer never breaks a
 * request), so report your own failures yourself.
 */
export type OnSecurityEvent = (event: SecurityEvent) => void;

/** Sends an event to `onEvent` if there is one; a throwing observer is ignored. */
export function emitEvent(
  onEvent: OnSecurityEvent | undefined,
  event: Omit<SecurityEvent, 'timestamp'> & { timestamp?: number },
): void {
  if (!onEvent) return;
  try {
    onEvent({ timestamp: Date.now(), ...event });
  } catch {
    // An observer must not break the request it observes.
  }
}

/** Combines several observers into one. */
export function combineEventHandlers(
  ...handlers: readonly (OnSecurityEvent | undefined)[]
): OnSecurityEvent | undefined {
  const list = handlers.filter((h): h is OnSecurityEvent => typeof h === 'function');
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return (event) => {
    for (const h of list) {
      try {
        h(event);
      } catch {
        // see emitEvent
      }
    }
  };
}
