/**
 * The supervisor owns the generations and decides what each signal and each
 * exit means: forward, stop (graceful tail), swap, reload, or just reap.
 *
 * Invariant: `serving` is the generation whose exit status becomes the
 * container's; it changes only when a swap completes. Everything else that
 * exits is either a generation being started or drained, or an orphan.
 */
import type { ExitRecord } from './native.js';
import { native } from './native.js';
import type { Log } from './log.js';
import type { Options } from './options.js';
import { Generation } from './generation.js';
import type { Reaper } from './reaper.js';
import { sendSignal } from './processes.js';
import { SIG, signalName } from './signals.js';
import { Tail } from './tail.js';

/** si_code of a signal the kernel generated (a tty, a broken pipe): never forwarded as if sent to us. */
const SI_KERNEL = 0x80;
const SELF_GENERATED = new Set<number>([SIG.PIPE, SIG.TTIN, SIG.TTOU, SIG.XFSZ]);
const STOP_SIGNALS = new Set<number>([SIG.TERM, SIG.INT, SIG.QUIT]);
const HISTORY_LENGTH = 8;

export interface SupervisorHooks {
  /** Starts generation number `gen` (the caller knows sockets, readiness, env). */
  startGeneration(gen: number): Generation;
  /** SIGUSR2 (or `hotinit swap`). */
  onSwapRequest(): void;
  /** SIGUSR1 (or `hotinit reload`). */
  onReloadRequest(): void;
  /** A generation other than the serving one exited (swap candidate or draining old one). */
  onOtherGenerationExit(generation: Generation): void;
  /** The container is stopping: abandon any swap or reload in progress. */
  onStop(): void;
  /**
   * The serving generation exited. Return true when it has a successor that
   * the hook adopted (forward mode: nginx's new master, a daemon found by its
   * pidfile); the container then goes on instead of starting the tail.
   */
  onServingExit?(generation: Generation): boolean;
}

export interface SupervisorSettings {
  options: Options;
  log: Log;
  reaper: Reaper;
  /** stdin is a terminal: each generation gets its foreground group; we take it back after. */
  foreground: boolean;
}

/**
 * The status hotinit exits with. -e applies to it whichever way it came
 * about, as in tini: `-e 143` makes both `exit 143` (a JVM after SIGTERM) and
 * death by SIGTERM exit 0, which is what users of `tini -e 143` rely on.
 */
export function exitStatusOf(exit: ExitRecord, remapExit: readonly number[]): number {
  const status = exit.signal !== null ? 128 + exit.signal : (exit.code ?? 0);
  return remapExit.includes(status) ? 0 : status;
}

export class Supervisor {
  private readonly options: Options;
  private readonly foreground: boolean;
  private readonly log: Log;
  private readonly reaper: Reaper;
  private readonly tail: Tail;
  private hooks: SupervisorHooks | null = null;
  private readonly generations = new Map<number, Generation>();
  /** The most recent exited generations, newest last, for `hotinit status`. */
  private readonly exitedGenerations: Generation[] = [];
  private nextGen = 1;
  private servingGeneration: Generation | null = null;
  private exitStatus: number | null = null;
  private finishedWith: ((status: number) => void) | null = null;
  readonly finished: Promise<number>;

  constructor({ options, log, reaper, foreground }: SupervisorSettings) {
    this.options = options;
    this.foreground = foreground;
    this.log = log;
    this.reaper = reaper;
    this.tail = new Tail(options.stopTimeoutMs, log, () => this.checkDone());
    this.finished = new Promise((resolve) => (this.finishedWith = resolve));
  }

  setHooks(hooks: SupervisorHooks): void {
    this.hooks = hooks;
  }

  get serving(): Generation | null {
    return this.servingGeneration;
  }

  get stopping(): boolean {
    return this.tail.running;
  }

  /** Exited generations kept for status, oldest first. */
  get history(): readonly Generation[] {
    return this.exitedGenerations;
  }

  /** All generations not yet reaped, oldest first. */
  get live(): Generation[] {
    return [...this.generations.values()].filter((g) => g.alive);
  }

  /** Starts the next generation and tracks it; it serves if nothing else does. */
  launch(): Generation {
    const gen = this.nextGen++;
    const generation = this.hooks!.startGeneration(gen);
    this.generations.set(generation.pid, generation);
    if (!this.servingGeneration) this.servingGeneration = generation;
    this.log.info('spawn', { gen, pid: generation.pid, command: this.options.command });
    return generation;
  }

  /** A swap completed: `next` now serves; the caller drains the old one. */
  promote(next: Generation): void {
    this.servingGeneration = next;
  }

  /**
   * Tracks a process hotinit did not spawn (an app's self-upgraded successor)
   * as the next generation and makes it the serving one. Its exit is seen
   * once it is our child (re-parented to us as PID 1 or subreaper).
   */
  adopt(pid: number): Generation {
    const generation = new Generation(this.nextGen++, pid);
    generation.markReady();
    this.generations.set(pid, generation);
    this.servingGeneration = generation;
    this.log.info('spawn', { gen: generation.gen, pid, adopted: true });
    return generation;
  }

  /** Called on SIGCHLD and whenever a libuv child was reaped. */
  reap(): void {
    this.reaper.reapExited();
    this.checkDone();
  }

  onExit(exit: ExitRecord): void {
    const generation = this.generations.get(exit.pid);
    if (!generation) {
      const fields = { pid: exit.pid, code: exit.code, signal: exit.signal === null ? null : signalName(exit.signal) };
      if (this.options.warnReap) this.log.warn('reap', fields, 'reaped an orphan');
      else this.log.debug('reap', fields);
      return;
    }
    this.generations.delete(exit.pid);
    generation.markExited(exit);
    this.exitedGenerations.push(generation);
    if (this.exitedGenerations.length > HISTORY_LENGTH) this.exitedGenerations.shift();
    const fields = {
      gen: generation.gen,
      pid: exit.pid,
      code: exit.code,
      signal: exit.signal === null ? null : signalName(exit.signal),
    };
    if (generation !== this.servingGeneration) {
      this.log.debug('reap', fields, 'generation exited');
      this.hooks!.onOtherGenerationExit(generation);
      return;
    }
    this.servingGeneration = null;
    if (!this.stopping && this.hooks!.onServingExit?.(generation)) return;
    this.exitStatus = exitStatusOf(exit, this.options.remapExit);
    this.log.info('exit', { ...fields, status: this.exitStatus }, 'application exited');
    if (this.foreground) {
      try {
        native.takeTerminal(0);
      } catch {
        // Not our controlling terminal (or none): nothing to take back.
      }
    }
    // Whatever is left (a swap candidate, grandchildren) is stopped gracefully.
    this.beginTail(SIG.TERM, 'application exited');
  }

  /** Every held signal arrives here, in order, from the signalfd. */
  onSignal(signo: number, senderPid: number, code: number): void {
    if (SELF_GENERATED.has(signo) && (code === SI_KERNEL || senderPid === process.pid)) return;
    this.log.debug('signal', { signal: signalName(signo), sender: senderPid });
    if (signo === SIG.USR2 || signo === SIG.USR1) {
      // Translated, never forwarded (SPEC); while stopping there is nothing to swap or reload.
      if (this.stopping) return this.log.debug('signal', { signal: signalName(signo) }, 'ignored while stopping');
      return signo === SIG.USR2 ? this.hooks!.onSwapRequest() : this.hooks!.onReloadRequest();
    }
    const target = this.options.rewrite.has(signo) ? this.options.rewrite.get(signo)! : signo;
    if (target === 0) {
      this.log.debug('signal', { signal: signalName(signo) }, 'dropped (--rewrite)');
      return;
    }
    if (STOP_SIGNALS.has(signo)) return this.stop(target);
    this.forward(target);
  }

  /** Sends signo to the serving generation (its process group with -g). */
  forward(signo: number, generation: Generation | null = this.servingGeneration): void {
    if (!generation) return;
    const target = this.options.killProcessGroup ? -generation.pid : generation.pid;
    if (!sendSignal(target, signo) && this.options.killProcessGroup) sendSignal(generation.pid, signo);
  }

  /**
   * TERM/INT/QUIT: the graceful tail. Its one signal to every remaining
   * process (kill(-1) as PID 1, else each descendant) reaches every generation
   * exactly once: a second TERM would cut short an app's own drain.
   */
  stop(signo: number): void {
    if (this.tail.running) {
      for (const generation of this.live) this.forward(signo, generation);
    } else {
      this.beginTail(signo, `received ${signalName(signo)}`);
    }
    this.checkDone();
  }

  /** The one way into the tail: swaps and reloads in progress are abandoned first. */
  private beginTail(signo: number, reason: string): void {
    if (!this.tail.running) this.hooks?.onStop();
    this.tail.begin(signo, reason);
  }

  private checkDone(): void {
    if (this.finishedWith === null) return;
    const done = this.tail.gaveUp || (this.exitStatus !== null && !this.reaper.hasChildren());
    if (!done) return;
    if (this.exitStatus === null) this.exitStatus = 128 + SIG.KILL;
    this.tail.cancel();
    const status = this.exitStatus;
    this.finishedWith(status);
    this.finishedWith = null;
  }
}
