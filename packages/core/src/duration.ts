const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;

/** A duration: milliseconds as a number, or a string such as `"500ms"`, `"30s"`, `"15m"`, `"1h"`, `"7d"`. */
export type Duration = number | string;

/**
 * Parses a duration into milliseconds. Throws a `TypeError` naming `option` for anything else
 * (negative, NaN, unknown unit, empty string).
 */
export function parseDuration(value: Duration, option = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(
        `\`${option}\` must be a non-negative number of milliseconds, got ${String(value)}.`,
      );
    }
    return value;
  }
  if (typeof value === 'string') {
    const m = DURATION.exec(value);
    if (m) return Math.round(Number(m[1]) * UNITS[m[2] as string]!);
  }
  throw new TypeError(
    `\`${option}\` must be a duration such as "500ms", "30s", "15m", "1h" or "7d", or milliseconds as a number, got ${JSON.stringify(value)}.`,
  );
}
