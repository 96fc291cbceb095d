/**
 * Signalling processes other than the current generation: everything left
 * in the container for the graceful tail. As PID 1 that is kill(-1): every
 * process in our PID namespace. As a subreaper it must be only our own
 * descendants, found by one /proc scan (never per SIGCHLD: that goes
 * quadratic when thousands die at once).
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

function parentOf(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return null; // exited during the scan
  }
}

/** Every live descendant of `root`, by one scan of /proc. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(entry);
    if (parent === null) continue;
    const list = children.get(parent) ?? [];
    list.push(Number(entry));
    children.set(parent, list);
  }
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Signals every process that is left, except hotinit itself. */
export function signalEveryoneElse(signo: number): void {
  if (isPid1()) {
    sendSignal(-1, signo);
    return;
  }
  for (const pid of descendantsOf(process.pid)) sendSignal(pid, signo);
}
