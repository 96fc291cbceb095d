/**
 * Who takes over in forward mode, decided from a process table: the rules
 * that keep a stale pidfile, a zombie, a helper or an old worker from ever
 * being adopted.
 */
import { describe, expect, it } from 'vitest';
import { descendantsOf, findSuccessor, readPidfile, type ProcessInfo, type SuccessorQuery } from '../../src/successor.js';
import { tempDir } from '../reload/harness.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SELF = { pid: 1, pgrp: 1 };

function table(...rows: Array<[pid: number, ppid: number, pgrp: number, state?: string]>): Map<number, ProcessInfo> {
  return new Map(rows.map(([pid, ppid, pgrp, state = 'S']) => [pid, { pid, ppid, pgrp, state }]));
}

function query(overrides: Partial<SuccessorQuery>): SuccessorQuery {
  return {
    oldPid: 10,
    before: new Set([10, 11]),
    self: SELF,
    tracked: new Set([10]),
    pidfilePid: null,
    pidfileOnly: false,
    ...overrides,
  };
}

// hotinit (1); old master 10 with its worker 11 (group 10); a helper 5 of hotinit (group 1).
const BASE: Array<[number, number, number, string?]> = [
  [1, 0, 1],
  [5, 1, 1],
  [10, 1, 10],
  [11, 10, 10],
];

describe('findSuccessor', () => {
  it('takes the one new descendant of the old main process (grace: fork+exec of a copy)', () => {
    expect(findSuccessor(table(...BASE, [20, 10, 10]), query({}))).toBe(20);
  });

  it("counts the new process's own children as part of it, not as rivals (nginx's new workers)", () => {
    expect(findSuccessor(table(...BASE, [20, 10, 10], [21, 20, 10], [22, 20, 10]), query({}))).toBe(20);
  });

  it('chooses none when two new processes could be the successor', () => {
    expect(findSuccessor(table(...BASE, [20, 10, 10], [30, 10, 10]), query({}))).toBeNull();
  });

  it("never takes a process the app had before the upgrade, a zombie, or hotinit's own helper", () => {
    expect(findSuccessor(table(...BASE), query({}))).toBeNull(); // 11 is an old worker
    expect(findSuccessor(table(...BASE, [20, 10, 10, 'Z']), query({}))).toBeNull();
    // After the old process exited: a helper is hotinit's child too, but in hotinit's own group.
    expect(findSuccessor(table([1, 0, 1], [5, 1, 1]), query({}))).toBeNull();
  });

  it('takes a successor already re-parented to hotinit once the old process is gone', () => {
    expect(findSuccessor(table([1, 0, 1], [5, 1, 1], [20, 1, 10], [21, 20, 10]), query({}))).toBe(20);
  });

  it('takes the pidfile only when it names a live new process of the app (never a stale one)', () => {
    const procs = table(...BASE, [20, 10, 10], [30, 1, 30], [99, 0, 99]);
    const pidfileOnly = true;
    expect(findSuccessor(procs, query({ pidfilePid: 20, pidfileOnly }))).toBe(20);
    expect(findSuccessor(procs, query({ pidfilePid: 10, pidfileOnly }))).toBeNull(); // still the old master
    expect(findSuccessor(procs, query({ pidfilePid: 11, pidfileOnly }))).toBeNull(); // an old worker
    expect(findSuccessor(procs, query({ pidfilePid: 1, pidfileOnly }))).toBeNull(); // hotinit itself
    expect(findSuccessor(procs, query({ pidfilePid: 99, pidfileOnly }))).toBeNull(); // not the app's
    expect(findSuccessor(procs, query({ pidfilePid: 4242, pidfileOnly }))).toBeNull(); // dead
    expect(findSuccessor(procs, query({ pidfilePid: null, pidfileOnly }))).toBeNull(); // not written yet
  });

  it('prefers the pidfile, then the successor found before, over a unique guess', () => {
    const procs = table(...BASE, [20, 10, 10], [30, 10, 10]);
    expect(findSuccessor(procs, query({ pidfilePid: 30 }))).toBe(30);
    expect(findSuccessor(procs, query({ preferred: 20 }))).toBe(20);
  });

  it('lists descendants through any depth', () => {
    expect(descendantsOf(table(...BASE, [20, 11, 10], [21, 20, 10]), 10).sort()).toEqual([11, 20, 21]);
  });
});

describe('readPidfile', () => {
  it('reads a pid and rejects what is not one', () => {
    const dir = tempDir();
    const path = join(dir.path, 'app.pid');
    try {
      expect(readPidfile(null)).toBeNull();
      expect(readPidfile(path)).toBeNull();
      for (const [text, pid] of [['42\n', 42], ['  7 ', 7], ['', null], ['4x', null], ['0', null], ['-1', null]] as const) {
        writeFileSync(path, text);
        expect(readPidfile(path)).toBe(pid);
      }
    } finally {
      dir.remove();
    }
  });
});
