/**
 * The graceful tail: once the application has exited or been told to stop,
 * hotinit signals everything that is left, keeps reaping, and is done the
 * moment no process remains — or SIGKILLs what is left at --stop-timeout.
 * There is no idle timer: only the one deadline.
 */
import type { Log } from './log.js';
import { signalEveryoneElse } from './processes.js';
import { SIG, signalName } from './signals.js';

/** After SIGKILL, how long to wait for the kernel before exiting anyway (a D-state process). */
const AFTER_KILL_GRACE_MS = 2000;

export class Tail {
  private readonly stopTimeoutMs: number;
  private readonly log: Log;
  private readonly onTimeout: () => void;
  private deadline: NodeJS.Timeout | null = null;
  private killedAtMs: number | null = null;
  private started = false;

  constructor(stopTimeoutMs: number, log: Log, onTimeout: () => void) {
    this.stopTimeoutMs = stopTimeoutMs;
    this.log = log;
    this.onTimeout = onTimeout;
  }

  get running(): boolean {
    return this.started;
  }

  /** Signals every remaining process and starts the deadline (once). */
  begin(signo: number, reason: string): void {
    signalEveryoneElse(signo);
    if (this.started) return;
    this.started = true;
    this.log.debug('exit', { reason, signal: signalName(signo), stopTimeoutMs: this.stopTimeoutMs }, 'stopping');
    this.deadline = setTimeout(() => this.killRemaining(), this.stopTimeoutMs);
  }

  private killRemaining(): void {
    this.log.warn('exit', { stopTimeoutMs: this.stopTimeoutMs }, 'stop timeout: killing what is left');
    this.killedAtMs = Date.now();
    signalEveryoneElse(SIG.KILL);
    this.onTimeout();
    this.deadline = setTimeout(() => this.onTimeout(), AFTER_KILL_GRACE_MS);
  }

  /** True once SIGKILL was sent and the grace for the kernel is over. */
  get gaveUp(): boolean {
    return this.killedAtMs !== null && Date.now() - this.killedAtMs >= AFTER_KILL_GRACE_MS;
  }

  cancel(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
  }
}
