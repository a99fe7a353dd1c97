import type { OnSecurityEvent, SecurityEvent, SecurityOutcome } from '@bulwark/core';
import { SENSITIVE_NAME_PATTERN, redactText, redactValue, statelessPattern } from './redact.js';

/**
 * What the adapters need of a logger: pino's `info`, `warn` and `error(object, message)`. A pino
 * `Logger` fits as is; so do most structured loggers.
 */
export interface EventLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/** A log level the adapters use. */
export type LogLevel = 'info' | 'warn' | 'error';

/** Options of {@link pinoEvents}. */
export interface PinoEventsOptions {
  /**
   * Level per outcome.
   * @default { rejected: 'warn', flagged: 'warn', warning: 'warn', masked: 'error' }
   */
  readonly levels?: Partial<Record<SecurityOutcome, LogLevel>> | undefined;
  /**
   * Keys of `detail` whose values are replaced by `"[REDACTED]"`.
   * @default SENSITIVE_NAME_PATTERN
   */
  readonly sensitivePattern?: RegExp | undefined;
}

const DEFAULT_LEVELS: Record<SecurityOutcome, LogLevel> = {
  rejected: 'warn',
  flagged: 'warn',
  warning: 'warn',
  masked: 'error',
};

/** The JSON object logged for an event (the message is the event's `reason`). */
export function eventLogObject(event: SecurityEvent, pattern: RegExp): Record<string, unknown> {
  const line: Record<string, unknown> = {
    bulwark: 'security-event',
    timestamp: event.timestamp,
    source: event.source,
    outcome: event.outcome,
    code: event.code,
  };
  if (event.operationName !== undefined)
    line['operationName'] = redactText(event.operationName, 128);
  if (event.subject !== undefined) line['subject'] = redactText(event.subject, 256);
  if (event.errorId !== undefined) line['errorId'] = event.errorId;
  if (event.detail !== undefined) line['detail'] = redactValue(event.detail, pattern);
  return line;
}

/**
 * A security-event handler that writes one JSON line per event to a pino logger: source,
 * outcome, code, operation name, subject, error id and `detail` (masked errors with their stack),
 * the event's `reason` as the message.
 *
 * Security: events never carry tokens or passwords; as a second line of defense, keys of
 * `detail` named like a secret are redacted, and anything shaped like a JWT or an
 * `Authorization` value is removed from strings. A masked error's original message may still
 * hold personal data: set pino's `redact` for your own fields.
 *
 * @example
 * const security = bulwark({ ..., onEvent: pinoEvents(pino()) });
 */
export function pinoEvents(logger: EventLogger, options: PinoEventsOptions = {}): OnSecurityEvent {
  if (logger === null || typeof logger !== 'object') {
    throw new TypeError('`logger` must be a pino logger (an object with info, warn and error).');
  }
  for (const level of ['info', 'warn', 'error'] as const) {
    if (typeof logger[level] !== 'function') {
      throw new TypeError(`\`logger.${level}\` must be a function.`);
    }
  }
  const levels = { ...DEFAULT_LEVELS, ...definedEntries(options.levels ?? {}) };
  for (const [outcome, level] of Object.entries(levels)) {
    if (level !== 'info' && level !== 'warn' && level !== 'error') {
      throw new TypeError(
        `\`levels.${outcome}\` must be "info", "warn" or "error", got ${JSON.stringify(level)}.`,
      );
    }
  }
  const pattern = statelessPattern(options.sensitivePattern ?? SENSITIVE_NAME_PATTERN);
  return (event) => {
    const level = levels[event.outcome] ?? 'warn';
    logger[level](eventLogObject(event, pattern), redactText(event.reason));
  };
}

function definedEntries<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
