// Durations as users write them for timeouts: `500ms`, `10s`, `2m`, `1h`,
// `1.5s`, Go-style `1m30s`, or a bare number of seconds (Docker's
// --stop-timeout and tini users' habit). Everything internal is milliseconds.

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS };

/**
 * Node's setTimeout silently turns any delay above 2^31-1 ms (~24.8 days)
 * into 1 ms, so a "huge" timeout would fire at once. Refuse those instead.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const NUMBER = String.raw`(?:\d+(?:\.\d+)?|\.\d+)`;
const BARE_SECONDS = new RegExp(`^${NUMBER}$`);
const WITH_UNITS = new RegExp(`^(?:${NUMBER}(?:ms|s|m|h))+$`);
const TERM = new RegExp(`(${NUMBER})(ms|s|m|h)`, 'g');

/**
 * Text → milliseconds (rounded to whole ms). Throws an Error whose message
 * is `"<text>" is not a duration (...)`, for the caller to prefix with the
 * flag name.
 */
export function parseDuration(text: string): number {
  let ms: number;
  if (BARE_SECONDS.test(text)) {
    ms = Number(text) * SECOND_MS;
  } else if (WITH_UNITS.test(text)) {
    ms = 0;
    for (const [, amount, unit] of text.matchAll(TERM)) {
      ms += Number(amount) * (UNIT_MS[unit!] ?? Number.NaN);
    }
  } else {
    throw new Error(`${JSON.stringify(text)} is not a duration (e.g. 500ms, 10s, 2m)`);
  }
  ms = Math.round(ms);
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) {
    throw new Error(`${JSON.stringify(text)} is too long a duration (at most 596h)`);
  }
  return ms;
}

/**
 * Milliseconds → the shortest exact text: `8s`, `500ms`, `2m`, `1h`,
 * `1.5s`, `90s`. Used in help text and logs, so it favours one unit over
 * Go-style compounds; `0` prints as `0s`.
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  if (ms % MINUTE_MS === 0) return `${ms / MINUTE_MS}m`;
  if (ms >= SECOND_MS) return `${ms / SECOND_MS}s`;
  return `${ms}ms`;
}
