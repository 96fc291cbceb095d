/**
 * Signalling processes other than the current generation: everything left
 * in the container for the graceful tail. As PID 1 that is kill(-1): every
 * process in our PID namespace. As a subreaper it must be only our own
 * descendants, found by one /proc scan (never per SIGCHLD: that goes
 * quadratic when thousands die at once). The only module that parses /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function isPid1(): boolean {
  return process.pid === 1;
}

/** Sends signo; false if the process is already gone (ESRCH is normal here). */
export function sendSignal(pid: number, signo: number): boolean {
  try {
    process.kill(pid, signo);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return false; // e.g. a setuid descendant; logged by the caller's outcome
    throw error;
  }
}

/** One process's line of /proc/PID/stat, or null once it has exited. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  /** One letter, as in ps: R, S, D, Z (zombie), X (dead), T… */
  state: string;
}

export type ProcessTable = ReadonlyMap<number, ProcessInfo>;

export function readStat(pid: number | 'self'): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name may contain spaces and parentheses: parse after the last ')'.
    const head = stat.slice(0, stat.indexOf(' '));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(head), state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return null; // exited meanwhile
  }
}

/** One scan of /proc (callers keep it to one per poll, never one per SIGCHLD). */
export function scanProcesses(): Map<number, ProcessInfo> {
  const table = new Map<number, ProcessInfo>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return table; // no /proc: nothing can be found, so nothing is adopted
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readStat(Number(entry));
    if (info) table.set(info.pid, info);
  }
  return table;
}

/** hotinit's own pid and process group (without /proc: its pid for both). */
export function selfProcess(): { pid: number; pgrp: number } {
  const info = readStat('self');
  return { pid: process.pid, pgrp: info?.pgrp ?? process.pid };
}

/** The parent of pid, or null when it no longer exists. */
export function parentOf(pid: number): number | null {
  return readStat(pid)?.ppid ?? null;
}

export function descendsFrom(table: ProcessTable, pid: number, root: number): boolean {
  let current = table.get(pid)?.ppid;
  for (let hops = 0; current !== undefined && current > 0 && hops < 64; hops++) {
    if (current === root) return true;
    current = table.get(current)?.ppid;
  }
  return false;
}

export function descendantsOf(table: ProcessTable, root: number): number[] {
  return [...table.keys()].filter((pid) => descendsFrom(table, pid, root));
}

/** Every live descendant of `root`, by one scan of /proc. */
export function descendantsOfNow(root: number): number[] {
  return descendantsOf(scanProcesses(), root);
}

/** Signals every process that is left, except hotinit itself. */
export function signalEveryoneElse(signo: number): void {
  if (isPid1()) {
    sendSignal(-1, signo);
    return;
  }
  for (const pid of descendantsOfNow(process.pid)) sendSignal(pid, signo);
}
