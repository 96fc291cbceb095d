import { describe, expect, it } from 'vitest';
import { formatHealth, formatOutcome, formatSpan, formatStatus } from '../../src/control/format.js';
import type { StatusReport } from '../../src/control/protocol.js';

describe('formatSpan', () => {
  it.each([
    [0, '0ms'], [850, '850ms'], [1_234, '1.2s'], [9_999, '9.9s'], [45_000, '45s'],
    [192_000, '3m12s'], [3_723_000, '1h02m'], [11_400_000, '3h10m'], [187_200_000, '2d4h'], [-5, '0ms'],
  ])('%d ms → %s', (ms, text) => expect(formatSpan(ms)).toBe(text));
});

describe('formatOutcome', () => {
  it('says done and how long, or failed and why', () => {
    expect(formatOutcome({ ok: true, action: 'swap', message: 'generation 3 (pid 41) serving', gen: 3, durationMs: 1_200 }))
      .toBe('swap done: generation 3 (pid 41) serving after 1.2s');
    expect(formatOutcome({ ok: false, action: 'reload', message: 'check failed: nginx -t exited 1; generation 2 untouched', durationMs: 300 }))
      .toBe('reload failed: check failed: nginx -t exited 1; generation 2 untouched (after 300ms)');
    expect(formatOutcome({ ok: true, action: 'swap', message: '', gen: 4, durationMs: 10 })).toBe('swap done: generation 4 after 10ms');
  });
});

describe('formatStatus', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const report: StatusReport = {
    version: '1.2.3', pid: 1, uptimeMs: 3_723_000, healthy: true,
    generations: [
      { gen: 2, pid: 41, state: 'ready', uptimeMs: 3_600_000, serving: true },
      { gen: 3, pid: 1057, state: 'starting', uptimeMs: 1_200, serving: false },
    ],
    listeners: [{ name: 'http', address: 'tcp://0.0.0.0:8080' }],
    lastSwap: { ok: false, action: 'swap', message: 'never ready within 30s; generation 2 keeps serving', durationMs: 30_000, at: '2026-01-01T11:58:00.000Z' },
    lastReload: null,
    swapInProgress: true,
  };
  it('shows health, generations, listeners and the last outcomes', () => {
    expect(formatStatus(report, now)).toBe(
      [
        'hotinit 1.2.3 (pid 1), up 1h02m, healthy',
        'a swap is in progress',
        '',
        'GEN  PID   STATE     SERVING  UPTIME',
        '2    41    ready     yes      1h00m',
        '3    1057  starting  no       1.2s',
        '',
        'LISTENER  ADDRESS',
        'http      tcp://0.0.0.0:8080',
        '',
        'last swap:    FAILED in 30s, 2m00s ago (2026-01-01T11:58:00.000Z): never ready within 30s; generation 2 keeps serving',
        'last reload:  never',
        '',
      ].join('\n'),
    );
  });
  it('says so when there is nothing to list', () => {
    const text = formatStatus({ ...report, generations: [], listeners: [], swapInProgress: false }, now);
    expect(text).toContain('unhealthy: no generation is running');
    expect(text).toContain('no generations');
    expect(text).toContain('no listeners held by hotinit');
    expect(text).not.toContain('in progress');
  });
  it('health is one word, or a reason', () => {
    expect(formatHealth({ healthy: true, reason: null })).toBe('healthy');
    expect(formatHealth({ healthy: false, reason: 'no generation is running' })).toBe('unhealthy: no generation is running');
  });
});
