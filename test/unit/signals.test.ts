import { describe, it, expect } from 'vitest';
import {
  FORWARDABLE_SIGNALS, SIG, SIGRTMAX, SIGRTMIN, isForwardable, isValidSignal, parseSignal, signalName,
} from '../../src/signals.js';

describe('parseSignal', () => {
  it.each([
    ['TERM', 15], ['SIGTERM', 15], ['sigterm', 15], ['Term', 15], ['15', 15],
    ['HUP', 1], ['KILL', 9], ['USR1', 10], ['USR2', 12], ['CHLD', 17], ['WINCH', 28],
    ['IO', 29], ['POLL', 29], ['IOT', 6], ['CLD', 17], ['SYS', 31], ['STKFLT', 16], ['PWR', 30],
    ['1', 1], ['31', 31], ['34', 34], ['64', 64],
  ])('%s → %i', (text, n) => {
    expect(parseSignal(text)).toBe(n);
  });

  it.each([
    ['RTMIN', 34], ['SIGRTMIN', 34], ['RTMIN+0', 34], ['RTMIN+3', 37], ['rtmin+30', 64],
    ['RTMAX', 64], ['RTMAX-0', 64], ['SIGRTMAX-1', 63], ['RTMAX-30', 34],
  ])('realtime %s → %i', (text, n) => {
    expect(parseSignal(text)).toBe(n);
  });

  it.each([
    '', 'SIG', 'FOO', 'SIGFOO', '0', '65', '-1', '+15', '15.0', ' TERM', 'TERM ', 'RTMIN-1',
    'RTMAX+1', 'RTMIN+31', 'RTMAX-31', 'RTMIN+', 'CONSTRUCTOR', 'toString', '32', '33',
  ])('rejects %j', (text) => {
    expect(() => parseSignal(text)).toThrow(/is not a signal/);
  });

  it('says what is accepted', () => {
    expect(() => parseSignal('FOO')).toThrow('"FOO" is not a signal (e.g. TERM, SIGHUP, 15, RTMIN+3)');
    expect(() => parseSignal('32')).toThrow('"32" is not a signal (32 and 33 are reserved by glibc)');
    expect(() => parseSignal('99')).toThrow('"99" is not a signal (1-31 or 34-64)');
  });
});

describe('signalName', () => {
  it('names standard signals', () => {
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(1)).toBe('SIGHUP');
    expect(signalName(29)).toBe('SIGIO');
    expect(signalName(31)).toBe('SIGSYS');
  });
  it('names realtime signals like kill -l', () => {
    expect(signalName(34)).toBe('SIGRTMIN');
    expect(signalName(37)).toBe('SIGRTMIN+3');
    expect(signalName(49)).toBe('SIGRTMIN+15');
    expect(signalName(50)).toBe('SIGRTMAX-14');
    expect(signalName(63)).toBe('SIGRTMAX-1');
    expect(signalName(64)).toBe('SIGRTMAX');
  });
  it('never throws', () => {
    expect(signalName(32)).toBe('SIG32');
    expect(signalName(0)).toBe('SIG0');
    expect(signalName(99)).toBe('SIG99');
  });
  it('round-trips every valid number', () => {
    for (let n = 1; n <= 64; n++) {
      if (!isValidSignal(n)) continue;
      expect(parseSignal(signalName(n))).toBe(n);
      expect(parseSignal(String(n))).toBe(n);
    }
  });
});

describe('FORWARDABLE_SIGNALS', () => {
  it('excludes KILL, STOP, CHLD, the fault signals and 32/33', () => {
    for (const n of [SIG.KILL, SIG.STOP, SIG.CHLD, SIG.ILL, SIG.BUS, SIG.FPE, SIG.SEGV, 32, 33]) {
      expect(FORWARDABLE_SIGNALS).not.toContain(n);
      expect(isForwardable(n)).toBe(false);
    }
  });
  it('includes everything else from 1 to 64, USR1/USR2 too, in order', () => {
    expect(FORWARDABLE_SIGNALS).toHaveLength(64 - 9);
    expect([...FORWARDABLE_SIGNALS]).toEqual([...FORWARDABLE_SIGNALS].sort((a, b) => a - b));
    for (const n of [SIG.HUP, SIG.INT, SIG.TERM, SIG.USR1, SIG.USR2, SIG.WINCH, SIG.TTIN, SIGRTMIN, SIGRTMAX]) {
      expect(isForwardable(n)).toBe(true);
    }
    expect(isForwardable(0)).toBe(false);
    expect(isForwardable(65)).toBe(false);
    expect(isForwardable(1.5)).toBe(false);
  });
  it('cannot be mutated', () => {
    expect(Object.isFrozen(FORWARDABLE_SIGNALS)).toBe(true);
  });
});
