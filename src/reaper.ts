/**
 * The only caller of waitpid. Reaps every exited child — generations and
 * re-parented orphans alike — without ever taking an exit that libuv owns.
 *
 * Why the peek: libuv reaps its own children (execa helpers) by pid; if we
 * reaped one first, libuv would get ECHILD and that child's 'exit' would never
 * fire. So we look at the next exited child with WNOWAIT, leave it alone if it
 * is libuv's (and run again once libuv has reaped it), else reap that pid.
 */
import { native, type ExitRecord } from './native.js';

export type ExitListener = (exit: ExitRecord) => void;

export class Reaper {
  private readonly libuvChildren = new Set<number>();
  private readonly onExit: ExitListener;

  constructor(onExit: ExitListener) {
    this.onExit = onExit;
  }

  /** Registers a child that libuv spawned; must be called synchronously after spawning. */
  adoptLibuvChild(pid: number): void {
    this.libuvChildren.add(pid);
  }

  /** Called after libuv reported the child's 'exit': it is reaped, we may go on. */
  releaseLibuvChild(pid: number): void {
    this.libuvChildren.delete(pid);
    this.reapExited();
  }

  /** Reaps everything that has exited so far. Returns false when no child is left at all. */
  reapExited(): boolean {
    for (;;) {
      const exited = native.peekExited();
      if (exited === false) return false;
      if (exited === null) return true;
      if (this.libuvChildren.has(exited.pid)) return true;
      let record: ExitRecord | null;
      try {
        record = native.reap(exited.pid);
      } catch (error) {
        // ECHILD: someone else reaped it between peek and wait; nothing to report.
        if ((error as NodeJS.ErrnoException).code === 'ECHILD') continue;
        throw error;
      }
      if (record) this.onExit(record);
    }
  }

  /** True while any child process (ours or libuv's) exists. */
  hasChildren(): boolean {
    return native.peekExited() !== false;
  }
}
