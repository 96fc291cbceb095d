import { describe, it, expect } from 'vitest';
import { MAX_DURATION_MS, formatDuration, parseDuration } from '../../src/durations.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500], ['10s', 10_000], ['2m', 120_000], ['1h', 3_600_000], ['1.5s', 1500],
    ['0', 0], ['0s', 0], ['0ms', 0], ['10', 10_000], ['1.5', 1500], ['.5s', 500],
    ['1m30s', 90_000], ['1h2m3s4ms', 3_723_004], ['0.4ms', 0], ['2.5ms', 3],
  ])('%s → %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '', ' ', '-1', '-1s', '10 sec', '10 s', '10sec', 'NaN', 'Infinity', '1e3', 's', 'ms', '10S',
    '1.', '1..5s', '10s ', ' 10s', '5d', '1h-5m', '0x10',
  ])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(`${JSON.stringify(text)} is not a duration (e.g. 500ms, 10s, 2m)`);
  });

  it('refuses what setTimeout cannot wait for', () => {
    expect(parseDuration(`${MAX_DURATION_MS}ms`)).toBe(MAX_DURATION_MS);
    expect(() => parseDuration('597h')).toThrow('"597h" is too long a duration (at most 596h)');
    expect(() => parseDuration('9'.repeat(400))).toThrow(/too long/);
  });
});

describe('formatDuration', () => {
  it.each([
    [8000, '8s'], [500, '500ms'], [0, '0s'], [1500, '1.5s'], [120_000, '2m'], [90_000, '90s'],
    [3_600_000, '1h'], [5_400_000, '90m'], [1, '1ms'], [30_000, '30s'],
  ])('%i → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
  it('round-trips', () => {
    for (const ms of [0, 1, 999, 1000, 1234, 60_000, 61_000, 3_600_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
