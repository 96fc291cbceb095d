/**
 * Carries out the swap machine's effects with real processes: stage, spawn,
 * readiness, promotion, drain, timers — and tells every requester (SIGUSR2 or
 * `hotinit swap`) the outcome of the swap that served it.
 */
import type { Generation } from './generation.js';
import type { Log } from './log.js';
import type { Options } from './options.js';
import { sendSignal } from './processes.js';
import { SIG, signalName } from './signals.js';
import { StageError, type StagedBinary } from './stage.js';
import type { Supervisor } from './supervisor.js';
import { initialSwapState, nextSwap, type SwapEffect, type SwapEvent, type SwapState } from './swap-machine.js';
import { formatDuration } from './durations.js';

export interface SwapOutcome {
  ok: boolean;
  action: 'swap';
  message: string;
  gen?: number;
  durationMs: number;
  detail?: Record<string, unknown>;
}

type Resolver = (outcome: SwapOutcome) => void;

export function describeExit(exit: Generation['exit']): string {
  if (!exit) return 'unknown status';
  return exit.signal !== null ? `signal ${signalName(exit.signal)}` : `status ${exit.code}`;
}

export class Swapper {
  private state: SwapState = initialSwapState;
  private candidate: Generation | null = null;
  private draining: Generation | null = null;
  private readyTimer: NodeJS.Timeout | null = null;
  private minReadyTimer: NodeJS.Timeout | null = null;
  /** How the last failed candidate ended, for the swap.failed line. */
  private candidateExit: string | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private waiting: Resolver[] = [];
  private waitingNext: Resolver[] = [];
  private startedAtMs = 0;
  private previousGen: number | null = null;
  private idleWaiters: Array<() => void> = [];
  private requestedStage: StagedBinary | null = null;
  /** The staged binary of the swap running now (a request's own, else --stage). */
  private activeStage: StagedBinary | null = null;
  lastOutcome: (SwapOutcome & { at: string }) | null = null;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly options: Options,
    private readonly log: Log,
    private readonly stage: StagedBinary | null,
  ) {}

  get inProgress(): boolean {
    return this.state.phase !== 'idle' && this.state.phase !== 'stopped';
  }

  get phase(): SwapState['phase'] {
    return this.state.phase;
  }

  /** Resolves once no swap is running (now, or when the current one and its follow-up settle). */
  whenIdle(): Promise<void> {
    if (!this.inProgress) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * A swap request (USR2 or control); resolves with the outcome of the swap
   * that serves it. `stage` replaces --stage for the swap that serves it (the
   * latest one wins when requests are coalesced).
   */
  request(source: string, stage: StagedBinary | null = null): Promise<SwapOutcome> {
    if (stage) this.requestedStage = stage;
    return new Promise((resolve) => {
      if (this.state.phase === 'stopped') {
        resolve({ ok: false, action: 'swap', message: 'refused: the container is stopping', durationMs: 0 });
        return;
      }
      (this.state.phase === 'idle' ? this.waiting : this.waitingNext).push(resolve);
      this.log.debug('swap.begin', { source, phase: this.state.phase }, 'swap requested');
      this.dispatch({ type: 'swapRequested' });
    });
  }

  stop(): void {
    this.dispatch({ type: 'stopRequested' });
    this.clearTimers();
    const outcome: SwapOutcome = { ok: false, action: 'swap', message: 'the container is stopping', durationMs: 0 };
    for (const resolve of this.waitingNext.splice(0)) resolve(outcome);
  }

  /** A generation other than the serving one exited. */
  onGenerationExit(generation: Generation): void {
    if (generation === this.candidate) {
      this.candidate = null;
      this.candidateExit = describeExit(generation.exit);
      if (this.readyTimer) clearTimeout(this.readyTimer);
      if (this.minReadyTimer) clearTimeout(this.minReadyTimer);
      this.dispatch({
        type: 'candidateExited',
        reason: `new generation ${generation.gen} exited with ${describeExit(generation.exit)} before it was ready`,
      });
    } else if (generation === this.draining) {
      this.draining = null;
      if (this.drainTimer) clearTimeout(this.drainTimer);
      this.log.info('drain', { gen: generation.gen, pid: generation.pid, exit: describeExit(generation.exit) }, 'drained');
      this.dispatch(this.state.phase === 'discarding' ? { type: 'candidateExited', reason: 'discarded' } : { type: 'oldExited' });
    }
  }

  private dispatch(event: SwapEvent): void {
    const { state, effects } = nextSwap(this.state, event);
    this.state = state;
    for (const effect of effects) this.apply(effect);
    if (!this.inProgress) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private apply(effect: SwapEffect): void {
    switch (effect.type) {
      case 'prepareStage':
        return void this.prepareStage();
      case 'startCandidate':
        return this.startCandidate();
      case 'promoteAndDrainOld':
        return this.promoteAndDrainOld();
      case 'drainCandidate':
        return this.drainCandidate();
      case 'killDraining':
        return this.killDraining();
      case 'commitStage':
        return this.activeStage?.commit();
      case 'rollbackStage':
        return this.rollbackStage();
      case 'succeeded': {
        const now = this.supervisor.serving;
        const old = this.draining;
        const drained = old ? `; generation ${old.gen} (pid ${old.pid}) draining` : '';
        return this.report(true, `generation ${now?.gen} (pid ${now?.pid}) serving${drained}`);
      }
      case 'failed':
        return this.report(false, effect.reason);
      case 'coalesced':
        return this.log.info('swap.begin', { phase: this.state.phase }, 'swap already running: one more will follow');
      case 'refused':
        return this.log.warn('swap.failed', { reason: effect.reason });
    }
  }

  private async prepareStage(): Promise<void> {
    this.waiting.push(...this.waitingNext.splice(0));
    this.startedAtMs = Date.now();
    this.previousGen = this.supervisor.serving?.gen ?? null;
    this.log.info('swap.begin', { gen: this.previousGen ?? undefined });
    try {
      this.activeStage = this.requestedStage ?? this.stage;
      this.requestedStage = null;
      const staged = this.activeStage ? await this.activeStage.check(this.options.readyTimeoutMs) : false;
      // Stopped while --verify ran: the binary in place must stay as it is.
      if (this.state.phase !== 'preparing') return;
      if (staged) {
        this.activeStage!.install();
        this.log.info('swap.begin', { stage: 'installed' }, 'staged binary installed');
      }
      this.dispatch({ type: 'stagePrepared' });
    } catch (error) {
      if (!(error instanceof StageError)) throw error;
      this.dispatch({ type: 'stageRejected', reason: error.message });
    }
  }

  private startCandidate(): void {
    let candidate: Generation;
    try {
      candidate = this.supervisor.launch();
    } catch (error) {
      this.dispatch({ type: 'candidateSpawnFailed', reason: `cannot start the new generation: ${(error as Error).message}` });
      return;
    }
    this.candidate = candidate;
    this.readyTimer = setTimeout(() => {
      this.dispatch({
        type: 'readyTimedOut',
        reason: `new generation ${candidate.gen} not ready after ${formatDuration(this.options.readyTimeoutMs)}`,
      });
    }, this.options.readyTimeoutMs);
    const stillCandidate = () => {
      // An exit that raced the message is processed first: a candidate that
      // said READY and died is never promoted.
      this.supervisor.reap();
      return this.candidate === candidate && candidate.alive;
    };
    void candidate.readiness?.ready.then(() => {
      if (!stillCandidate()) return;
      if (this.readyTimer) clearTimeout(this.readyTimer);
      candidate.markReady();
      this.log.info('ready', { gen: candidate.gen, pid: candidate.pid, startupMs: Date.now() - candidate.startedAtMs });
      // --min-ready: both generations serve for a moment; a candidate that
      // crashes right after READY fails the swap while the old one is untouched.
      this.minReadyTimer = setTimeout(() => {
        if (stillCandidate()) this.dispatch({ type: 'candidateReady' });
      }, this.options.minReadyMs);
    });
  }

  private sendDrainSignal(generation: Generation): void {
    generation.state = 'draining';
    this.supervisor.forward(this.options.drainSignal, generation);
    this.log.info('drain', { gen: generation.gen, pid: generation.pid, signal: signalName(this.options.drainSignal) });
    this.drainTimer = setTimeout(() => this.dispatch({ type: 'drainTimedOut' }), this.options.drainTimeoutMs);
  }

  private promoteAndDrainOld(): void {
    const candidate = this.candidate!;
    const old = this.supervisor.serving;
    this.candidate = null;
    this.supervisor.promote(candidate);
    if (old && old.alive) {
      this.draining = old;
      this.sendDrainSignal(old);
    } else {
      this.dispatch({ type: 'oldExited' });
    }
  }

  private drainCandidate(): void {
    const candidate = this.candidate;
    this.candidate = null;
    if (!candidate || !candidate.alive) return this.dispatch({ type: 'candidateExited', reason: 'gone' });
    this.draining = candidate;
    this.sendDrainSignal(candidate);
  }

  private killDraining(): void {
    const generation = this.draining;
    if (!generation || !generation.alive) return;
    this.log.warn('drain', { gen: generation.gen, pid: generation.pid, drainTimeoutMs: this.options.drainTimeoutMs }, 'drain timeout: SIGKILL');
    sendSignal(-generation.pid, SIG.KILL);
    sendSignal(generation.pid, SIG.KILL);
  }

  private rollbackStage(): void {
    try {
      if (this.activeStage?.rollback()) this.log.warn('rollback', { binary: this.activeStage.previousPath }, 'previous binary restored');
    } catch (error) {
      this.log.error('rollback', { error: (error as Error).message }, 'could not restore the previous binary');
    }
  }

  private report(ok: boolean, message: string): void {
    const serving = this.supervisor.serving;
    const outcome: SwapOutcome = {
      ok,
      action: 'swap',
      message: ok ? message : `${message}; generation ${serving?.gen ?? '?'} keeps serving`,
      gen: serving?.gen,
      durationMs: Date.now() - this.startedAtMs,
      detail: { from: this.previousGen },
    };
    this.lastOutcome = { ...outcome, at: new Date().toISOString() };
    if (ok) this.log.info('swap.done', { gen: serving?.gen, pid: serving?.pid, from: this.previousGen, durationMs: outcome.durationMs });
    else this.log.warn('swap.failed', { gen: serving?.gen, reason: message, exit: this.candidateExit, durationMs: outcome.durationMs });
    this.candidateExit = null;
    for (const resolve of this.waiting.splice(0)) resolve(outcome);
  }

  private clearTimers(): void {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    if (this.minReadyTimer) clearTimeout(this.minReadyTimer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
  }
}
