/**
 * Which process takes over when an app replaces itself (forward mode) or
 * daemonizes: read from /proc, decided by a pure function.
 *
 * A successor must be alive (not a zombie), not a generation hotinit already
 * tracks, not one of the processes the app had before the upgrade began, and
 * belong to the app: a descendant of the old main process, or — once that
 * process is gone — a child re-parented to hotinit that is not one of
 * hotinit's own helpers (helpers share hotinit's process group; every
 * generation gets a group of its own, and its descendants keep it or start
 * their own session). A pidfile is never trusted by itself: the pid it names
 * must pass the same test.
 */
import { readFileSync } from 'node:fs';
import { descendantsOf, descendsFrom, readStat, scanProcesses, selfProcess, type ProcessInfo, type ProcessTable } from './processes.js';

// Re-exported for successor-watch.ts, which asks this module about successors.
export { descendantsOf, scanProcesses, selfProcess, type ProcessInfo, type ProcessTable };

/** The pid a pidfile names, or null (missing, empty, half-written, not a number). */
export function readPidfile(path: string | null): number | null {
  if (path === null) return null;
  try {
    const text = readFileSync(path, 'latin1').trim();
    return /^\d{1,10}$/.test(text) && Number(text) > 0 ? Number(text) : null;
  } catch {
    return null;
  }
}

/** Alive and not a zombie waiting for its parent. */
export function isAlive(pid: number): boolean {
  const info = readStat(pid);
  return info !== null && info.state !== 'Z' && info.state !== 'X';
}

export interface SuccessorQuery {
  /** The main process being replaced (it may have exited already). */
  oldPid: number;
  /** The app's processes before the upgrade began (the old pid included). */
  before: ReadonlySet<number>;
  /** hotinit's own pid and process group. */
  self: { pid: number; pgrp: number };
  /** Pids of generations hotinit already tracks. */
  tracked: ReadonlySet<number>;
  /** What --pidfile says now (null: no pidfile, or nothing valid in it). */
  pidfilePid: number | null;
  /** Only the pidfile counts (forward mode with --pidfile, while the old process lives). */
  pidfileOnly: boolean;
  /** A successor found earlier: chosen again if it still qualifies. */
  preferred?: number | null;
}

export function qualifies(table: ProcessTable, pid: number, query: SuccessorQuery): boolean {
  const info = table.get(pid);
  if (!info || info.state === 'Z' || info.state === 'X') return false;
  if (pid === query.oldPid || pid === query.self.pid) return false;
  if (query.tracked.has(pid) || query.before.has(pid)) return false;
  if (descendsFrom(table, pid, query.oldPid)) return true;
  return info.ppid === query.self.pid && info.pgrp !== query.self.pgrp;
}

/**
 * The successor: the pidfile's pid if it qualifies; else the one found
 * before; else (unless only the pidfile counts) the one new top-level
 * process of the app. Two or more candidates are ambiguous: none is chosen.
 */
export function findSuccessor(table: ProcessTable, query: SuccessorQuery): number | null {
  if (query.pidfilePid !== null && qualifies(table, query.pidfilePid, query)) return query.pidfilePid;
  if (query.pidfileOnly) return null;
  if (query.preferred != null && qualifies(table, query.preferred, query)) return query.preferred;
  const tops = [...table.values()].filter(
    (info) => qualifies(table, info.pid, query) && !qualifies(table, info.ppid, query),
  );
  return tops.length === 1 ? tops[0]!.pid : null;
}
