/**
 * --swap-mode forward: for apps that upgrade themselves on a signal (nginx,
 * facebookgo/grace, endless, tableflip, unicorn). hotinit does not start the
 * new generation; it forwards --upgrade-signal to the serving main process,
 * finds the successor the app started (--pidfile, else the one new process
 * of the app), and when the old main process exits, adopts the successor as
 * the main process: its exit status becomes the container's, signals go to
 * it, and the container does not end.
 *
 * Invariant: one upgrade at a time (a request during one is coalesced into
 * one follow-up, sent after the old main process has exited — nginx ignores
 * USR2 until then); the old main process gets the drain signal only once a
 * successor is ready (and, without --pidfile, only if it has not exited by
 * itself within --drain-timeout), never a signal meant for its process group
 * (the successor of nginx shares it). No successor by --ready-timeout: the
 * upgrade failed and the old main process keeps serving.
 *
 * The same serving-exit hook follows apps that daemonize: a main process
 * that exits 0 leaving one process of its own (the pidfile's, when given).
 */
import { formatDuration } from './durations.js';
import type { Generation } from './generation.js';
import type { Helpers } from './helpers.js';
import type { Log } from './log.js';
import type { Options } from './options.js';
import { sendSignal } from './processes.js';
import { SIG, signalName } from './signals.js';
import { StageError, type StagedBinary } from './stage.js';
import { isAlive } from './successor.js';
import { SuccessorWatch } from './successor-watch.js';
import type { Supervisor } from './supervisor.js';
import { describeExit, type SwapOutcome } from './swapper.js';

/** How often /proc and the pidfile are looked at during an upgrade (≥ 50 ms: a scan is not free). */
export const FORWARD_POLL_MS = 100;

type Phase = 'idle' | 'upgrading' | 'draining' | 'stopped';
type Resolver = (outcome: SwapOutcome) => void;

export class Forwarder {
  private phase: Phase = 'idle';
  private followUp = false;
  private waiting: Resolver[] = [];
  private waitingNext: Resolver[] = [];
  private idleWaiters: Array<() => void> = [];
  private old: Generation | null = null;
  private readonly watch: SuccessorWatch;
  private drainSent = false;
  private requestedStage: StagedBinary | null = null;
  private activeStage: StagedBinary | null = null;
  private timers: NodeJS.Timeout[] = [];
  private startedAtMs = 0;
  lastOutcome: (SwapOutcome & { at: string }) | null = null;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly options: Options,
    private readonly log: Log,
    helpers: Helpers,
    env: Record<string, string>,
    /** --stage: installed over the command's binary before the upgrade signal, so the app re-executes it. */
    private readonly stage: StagedBinary | null = null,
  ) {
    this.watch = new SuccessorWatch(supervisor, options, log, helpers, env);
  }

  get inProgress(): boolean {
    return this.phase === 'upgrading' || this.phase === 'draining';
  }

  whenIdle(): Promise<void> {
    if (!this.inProgress) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * USR2, `hotinit swap [--stage]`, --watch-binary, --reload-mode swap:
   * resolves with the upgrade that serves it. `stage` replaces --stage for it.
   */
  request(source: string, stage: StagedBinary | null = null): Promise<SwapOutcome> {
    if (stage) this.requestedStage = stage;
    return new Promise((resolve) => {
      if (this.phase === 'stopped') {
        resolve({ ok: false, action: 'swap', message: 'refused: the container is stopping', durationMs: 0 });
        return;
      }
      this.log.debug('swap.begin', { source, phase: this.phase, mode: 'forward' }, 'upgrade requested');
      if (this.phase === 'idle') {
        this.waiting.push(resolve);
        void this.begin();
      } else {
        this.waitingNext.push(resolve);
        this.followUp = true;
        this.log.info('swap.begin', { phase: this.phase }, 'upgrade already running: one more will follow');
      }
    });
  }

  stop(): void {
    const pending = [...this.waiting.splice(0), ...this.waitingNext.splice(0)];
    this.phase = 'stopped';
    this.clearTimers();
    const outcome: SwapOutcome = { ok: false, action: 'swap', message: 'the container is stopping', durationMs: 0 };
    for (const resolve of pending) resolve(outcome);
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async begin(): Promise<void> {
    this.waiting.push(...this.waitingNext.splice(0));
    this.followUp = false;
    this.startedAtMs = Date.now();
    this.phase = 'upgrading';
    // An app that is still starting may not handle the upgrade signal yet (USR2 kills by default).
    const starting = this.supervisor.serving;
    if (starting?.state === 'starting' && starting.readiness && !starting.readiness.readyNow) {
      this.log.info('swap.begin', { gen: starting.gen, mode: 'forward' }, 'waiting for the app to be ready before the upgrade');
      await Promise.race([starting.readiness.ready, starting.exited, delay(this.options.readyTimeoutMs)]);
    }
    if (this.phase !== 'upgrading') return; // stopped meanwhile
    const old = this.supervisor.serving;
    if (!old || !old.alive) return this.finish(false, 'no generation is serving');
    this.old = old;
    if (!(await this.installStage(old)) || this.phase !== 'upgrading') return;
    if (!old.alive) return this.finish(false, `generation ${old.gen} exited before the upgrade signal`);
    this.watch.start(old);
    this.drainSent = false;
    const signal = signalName(this.options.upgradeSignal);
    this.log.info('swap.begin', { gen: old.gen, pid: old.pid, mode: 'forward', signal, pidfile: this.options.pidfile ?? undefined });
    // To the main process only: with -g the whole group would get it, workers included.
    sendSignal(old.pid, this.options.upgradeSignal);
    const poll = setInterval(() => this.poll(), FORWARD_POLL_MS);
    const readyTimer = setTimeout(() => this.readyTimedOut(), this.options.readyTimeoutMs);
    this.timers.push(poll, readyTimer);
  }

  /** Checks and installs the staged binary, if any; false when the upgrade ended (refused, or stopped meanwhile). */
  private async installStage(old: Generation): Promise<boolean> {
    this.activeStage = this.requestedStage ?? this.stage;
    this.requestedStage = null;
    if (!this.activeStage) return true;
    try {
      const staged = await this.activeStage.check(this.options.readyTimeoutMs);
      if (this.phase !== 'upgrading') return false; // stopped during --verify: the binary stays as it is
      if (!staged) return true;
      this.activeStage.install();
      this.log.info('swap.begin', { stage: 'installed' }, 'staged binary installed');
      return true;
    } catch (error) {
      if (!(error instanceof StageError)) throw error;
      this.activeStage = null;
      this.finish(false, `${error.message}; generation ${old.gen} keeps serving`);
      return false;
    }
  }

  private poll(): void {
    const old = this.old;
    if (this.phase !== 'upgrading' || !old) return;
    this.watch.poll(old, (pid) => {
      // An --ready exec:CMD check may answer after the upgrade stopped.
      if (this.phase === 'upgrading') this.successorReady(pid);
    });
  }

  /**
   * With --pidfile (nginx, unicorn: the old master waits to be told) the old
   * main process gets --drain-signal at once. Without one (grace, endless:
   * the successor tells the old process itself) hotinit leaves it alone for
   * --drain-timeout and sends --drain-signal only if it is still there; a
   * second signal could cut its drain short. SIGKILL follows one more
   * --drain-timeout after the drain signal.
   */
  private successorReady(pid: number): void {
    const old = this.old!;
    this.clearTimers();
    this.watch.markReady(pid);
    this.phase = 'draining';
    this.log.info('ready', { pid, successorOf: old.gen, durationMs: Date.now() - this.startedAtMs }, 'successor ready');
    if (!old.alive) return;
    this.timers.push(setInterval(() => this.checkSuccessorAlive(pid), FORWARD_POLL_MS));
    if (this.options.pidfile !== null) return this.drainOld(old);
    this.log.info('drain', { gen: old.gen, pid: old.pid, waitMs: this.options.drainTimeoutMs }, 'waiting for the old process to exit by itself');
    this.timers.push(setTimeout(() => this.drainOld(old), this.options.drainTimeoutMs));
  }

  /** The successor died while the old process still runs: the upgrade failed. */
  private checkSuccessorAlive(pid: number): void {
    const old = this.old;
    if (this.phase !== 'draining' || !old || isAlive(pid)) return;
    const fate = this.drainSent ? 'was told to drain: the container ends with it' : 'keeps serving';
    this.finish(false, `successor pid ${pid} exited before the old process; generation ${old.gen} ${fate}`);
  }

  private drainOld(old: Generation): void {
    if (!old.alive) return;
    this.drainSent = true;
    sendSignal(old.pid, this.options.drainSignal);
    this.log.info('drain', { gen: old.gen, pid: old.pid, signal: signalName(this.options.drainSignal) });
    this.timers.push(
      setTimeout(() => {
        if (!old.alive) return;
        this.log.warn('drain', { gen: old.gen, pid: old.pid, drainTimeoutMs: this.options.drainTimeoutMs }, 'drain timeout: SIGKILL');
        sendSignal(old.pid, SIG.KILL); // never its group: the successor may share it
      }, this.options.drainTimeoutMs),
    );
  }

  private readyTimedOut(): void {
    if (this.phase !== 'upgrading') return;
    const wait = formatDuration(this.options.readyTimeoutMs);
    const candidate = this.watch.candidatePid;
    let reason: string;
    if (candidate !== null) {
      reason = `successor pid ${candidate} not ready after ${wait}`;
      // A successor that never got ready may hold connections: drain it like a failed candidate.
      sendSignal(candidate, this.options.drainSignal);
      this.log.info('drain', { pid: candidate, signal: signalName(this.options.drainSignal) }, 'unready successor drained');
    } else {
      const where = this.options.pidfile ? ` (--pidfile ${this.options.pidfile})` : '';
      reason = `no successor appeared within ${wait}${where}`;
    }
    this.finish(false, `${reason}; generation ${this.old?.gen} keeps serving`);
  }

  /**
   * Supervisor hook: the serving main process exited. During an upgrade its
   * successor is adopted; outside one (forward mode or --pidfile), a main
   * process that exited 0 and left exactly one process of its own has
   * daemonized, and that process is adopted. Otherwise the container ends.
   */
  onServingExit(generation: Generation): boolean {
    if (this.phase === 'stopped') return false;
    const upgrading = this.inProgress && generation === this.old;
    if (!upgrading) {
      const follows = this.options.swapMode === 'forward' || this.options.pidfile !== null;
      if (!follows || generation.exit?.code !== 0) return false;
    }
    const pid = this.watch.successorOf(generation, upgrading);
    if (pid === null) {
      if (upgrading) {
        // The container ends: requests waiting for a follow-up get this outcome too.
        this.waiting.push(...this.waitingNext.splice(0));
        this.followUp = false;
        this.finish(false, `generation ${generation.gen} exited with ${describeExit(generation.exit)} and left no successor`);
      }
      return false;
    }
    this.clearTimers();
    const adopted = this.supervisor.adopt(pid);
    if (upgrading) {
      this.finish(true, `generation ${adopted.gen} (pid ${pid}) serving`);
    } else {
      this.log.info('reap', { gen: generation.gen, pid: generation.pid, successor: pid, successorGen: adopted.gen }, 'main process exited 0 and left a daemon: adopted');
    }
    return true;
  }

  private finish(ok: boolean, message: string): void {
    this.clearTimers();
    const serving = this.supervisor.serving;
    const from = this.old?.gen ?? null;
    const outcome: SwapOutcome = {
      ok,
      action: 'swap',
      message,
      gen: serving?.gen,
      durationMs: Date.now() - this.startedAtMs,
      detail: { from, mode: 'forward' },
    };
    this.lastOutcome = { ...outcome, at: new Date().toISOString() };
    this.settleStage(ok);
    if (ok) this.log.info('swap.done', { gen: serving?.gen, pid: serving?.pid, from, mode: 'forward', durationMs: outcome.durationMs });
    else this.log.warn('swap.failed', { gen: serving?.gen, reason: message, mode: 'forward', durationMs: outcome.durationMs });
    this.old = null;
    this.watch.clear();
    this.phase = 'idle';
    for (const resolve of this.waiting.splice(0)) resolve(outcome);
    if (this.followUp) {
      setImmediate(() => {
        if (this.phase === 'idle') void this.begin();
      });
      return;
    }
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Success keeps the installed binary (and <binary>.prev); failure puts the previous one back. */
  private settleStage(ok: boolean): void {
    const stage = this.activeStage;
    this.activeStage = null;
    if (!stage) return;
    if (ok) return stage.commit();
    try {
      if (stage.rollback()) this.log.warn('rollback', { binary: stage.previousPath }, 'previous binary restored');
    } catch (error) {
      this.log.error('rollback', { error: (error as Error).message }, 'could not restore the previous binary');
    }
  }

  private clearTimers(): void {
    for (const timer of this.timers.splice(0)) {
      clearTimeout(timer);
      clearInterval(timer);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
