/**
 * Carries out the reload machine's effects: waits for a running swap, runs
 * --reload-check, sends --reload-signal to the serving generation and follows
 * systemd's Type=notify-reload handshake (RELOADING=1 … READY=1), or reloads
 * by a swap (--reload-mode swap). Every requester (SIGUSR1, --watch,
 * `hotinit reload`) gets the outcome of the reload that served it.
 */
import { formatDuration } from './durations.js';
import type { Generation } from './generation.js';
import type { Helpers } from './helpers.js';
import type { Log } from './log.js';
import type { Options } from './options.js';
import { sendSignal } from './processes.js';
import { initialReloadState, nextReload, type ReloadEffect, type ReloadEvent, type ReloadResult, type ReloadState } from './reload-machine.js';
import { signalName } from './signals.js';
import type { Supervisor } from './supervisor.js';

/** How long an app with a notify channel has to say RELOADING=1 (or READY=1) before it counts as "signalled". */
export const RELOAD_QUIET_MS = 1000;

export interface ReloadOutcome {
  ok: boolean;
  action: 'reload';
  message: string;
  gen?: number;
  durationMs: number;
  detail?: Record<string, unknown>;
}

/** What a reload needs from whoever swaps (handoff Swapper or forward-mode Forwarder). */
export interface SwapRunner {
  readonly inProgress: boolean;
  whenIdle(): Promise<void>;
  request(source: string): Promise<{ ok: boolean; message: string }>;
}

type Resolver = (outcome: ReloadOutcome) => void;

export class Reloader {
  private state: ReloadState;
  /** Requests not yet attached to a reload. */
  private pending: Resolver[] = [];
  /** Requests the running reload will answer. */
  private current: Resolver[] = [];
  private startedAtMs = 0;
  private target: Generation | null = null;
  private checkOutput: string | null = null;
  private unsubscribe: (() => void) | null = null;
  private timers: NodeJS.Timeout[] = [];
  private lastStatus: string | null = null;
  lastOutcome: (ReloadOutcome & { at: string }) | null = null;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly swaps: SwapRunner,
    private readonly options: Options,
    private readonly log: Log,
    private readonly helpers: Helpers,
    private readonly env: Record<string, string>,
  ) {
    this.state = initialReloadState({ mode: options.reloadMode, check: options.reloadCheck !== null });
  }

  get phase(): ReloadState['phase'] {
    return this.state.phase;
  }

  /** A reload request (SIGUSR1, --watch, control); resolves with the outcome of the reload that serves it. */
  request(source: string): Promise<ReloadOutcome> {
    return new Promise((resolve) => {
      this.pending.push(resolve);
      this.log.debug('reload', { source, phase: this.state.phase }, 'reload requested');
      this.dispatch({ type: 'reloadRequested' });
    });
  }

  /** The container is stopping: the running reload fails, a follow-up never starts. */
  stop(): void {
    this.dispatch({ type: 'stopRequested' });
    const outcome: ReloadOutcome = { ok: false, action: 'reload', message: 'the container is stopping', durationMs: 0 };
    for (const resolve of this.pending.splice(0)) resolve(outcome);
  }

  private dispatch(event: ReloadEvent): void {
    const { state, effects } = nextReload(this.state, event);
    this.state = state;
    for (const effect of effects) this.apply(effect);
  }

  private apply(effect: ReloadEffect): void {
    switch (effect.type) {
      case 'awaitSettled':
        return void this.awaitSettled();
      case 'runCheck':
        return void this.runCheck();
      case 'sendSignal':
        return this.sendSignal();
      case 'requestSwap':
        return void this.requestSwap();
      case 'succeeded':
        return this.report(true, effect.result, effect.detail);
      case 'failed':
        return this.report(false, effect.reason);
      case 'joined':
        this.current.push(...this.pending.splice(0));
        return;
      case 'coalesced':
        return this.log.info('reload', { phase: this.state.phase }, 'reload already running: one more will follow');
      case 'refused': {
        const outcome: ReloadOutcome = { ok: false, action: 'reload', message: `refused: ${effect.reason}`, durationMs: 0 };
        this.log.warn('reload.failed', { reason: effect.reason });
        for (const resolve of this.pending.splice(0)) resolve(outcome);
        return;
      }
    }
  }

  /**
   * A reload during a swap is applied to the generation that serves when the
   * swap ends; one right after start waits until the app is ready (a HUP
   * before its handler exists would kill most apps), at most --reload-timeout.
   */
  private async awaitSettled(): Promise<void> {
    this.current.push(...this.pending.splice(0));
    this.startedAtMs = Date.now();
    this.checkOutput = null;
    this.lastStatus = null;
    const deadline = Date.now() + this.options.reloadTimeoutMs;
    for (;;) {
      if (this.swaps.inProgress) this.log.info('reload', { phase: 'waiting' }, 'a swap is running: the reload follows it');
      await this.swaps.whenIdle();
      const serving = this.supervisor.serving;
      const readiness = serving?.readiness;
      const remainingMs = deadline - Date.now();
      if (!serving || serving.state !== 'starting' || !readiness || readiness.readyNow || remainingMs <= 0) break;
      await Promise.race([readiness.ready, serving.exited, delay(remainingMs)]);
    }
    if (this.state.phase !== 'waiting') return;
    const serving = this.supervisor.serving;
    this.dispatch(serving && serving.alive ? { type: 'settled' } : { type: 'nothingServing' });
  }

  private async runCheck(): Promise<void> {
    const serving = this.supervisor.serving;
    const result = await this.helpers.run({
      command: this.options.reloadCheck!,
      env: {
        ...this.env,
        ...(serving ? { HOTINIT_CHILD_PID: String(serving.pid), HOTINIT_GENERATION: String(serving.gen) } : {}),
      },
      timeoutMs: this.options.reloadTimeoutMs,
    });
    if (this.state.phase !== 'checking') return;
    if (result.ok) return this.dispatch({ type: 'checkPassed' });
    this.checkOutput = result.output;
    const why = result.timedOut
      ? `timed out after ${formatDuration(this.options.reloadTimeoutMs)}`
      : `exited with ${result.exitCode ?? result.signal}`;
    const output = result.output ? `: ${result.output.split('\n').slice(0, 3).join(' / ')}` : '';
    const untouched = serving ? `; generation ${serving.gen} untouched` : '';
    this.dispatch({ type: 'checkFailed', reason: `refused: --reload-check ${why}${output}${untouched}` });
  }

  private sendSignal(): void {
    const generation = this.supervisor.serving;
    if (!generation || !generation.alive) {
      return this.dispatch({ type: 'servingExited', reason: 'no generation is serving' });
    }
    this.target = generation;
    const readiness = generation.readiness;
    // Listen before signalling: a fast app may answer within microseconds.
    if (readiness) {
      this.unsubscribe = readiness.onNotify((fields) => {
        const status = fields.get('STATUS');
        if (status !== undefined) this.lastStatus = status;
        if (fields.get('RELOADING') === '1') this.dispatch({ type: 'reloadingNotified' });
        if (fields.get('READY') === '1') this.dispatch({ type: 'readyNotified' });
      });
    }
    void generation.exited.then((exit) => {
      if (this.target !== generation) return;
      const how = exit.signal !== null ? `signal ${signalName(exit.signal)}` : `status ${exit.code}`;
      this.dispatch({ type: 'servingExited', reason: `generation ${generation.gen} exited with ${how} during the reload` });
    });
    const signo = this.options.reloadSignal;
    const target = this.options.killProcessGroup ? -generation.pid : generation.pid;
    if (!sendSignal(target, signo) && this.options.killProcessGroup) sendSignal(generation.pid, signo);
    this.log.debug('reload', { gen: generation.gen, pid: generation.pid, signal: signalName(signo) }, 'reload signal sent');
    // Without a notify channel nothing can come back: the signal is all there is.
    const quietMs = readiness?.notifySocket ? Math.min(RELOAD_QUIET_MS, this.options.reloadTimeoutMs) : 0;
    this.timers.push(setTimeout(() => this.dispatch({ type: 'quietWindowElapsed' }), quietMs));
    this.timers.push(
      setTimeout(() => {
        this.dispatch({
          type: 'reloadTimedOut',
          reason: `generation ${generation.gen} sent RELOADING=1 but no READY=1 within ${formatDuration(this.options.reloadTimeoutMs)}`,
        });
      }, this.options.reloadTimeoutMs),
    );
  }

  private async requestSwap(): Promise<void> {
    const outcome = await this.swaps.request('reload');
    this.dispatch({ type: 'swapFinished', ok: outcome.ok, message: outcome.message });
  }

  private report(ok: boolean, resultOrReason: ReloadResult | string, detail?: string): void {
    const generation = this.target ?? this.supervisor.serving;
    this.cleanup();
    const gen = ok && resultOrReason === 'swapped' ? this.supervisor.serving?.gen : generation?.gen;
    const pid = ok && resultOrReason === 'swapped' ? this.supervisor.serving?.pid : generation?.pid;
    const durationMs = Date.now() - this.startedAtMs;
    let message: string;
    if (!ok) message = resultOrReason;
    else if (resultOrReason === 'swapped') message = `reloaded by a swap: ${detail ?? `generation ${gen} serving`}`;
    else if (resultOrReason === 'reloaded') message = `generation ${gen} (pid ${pid}) reloaded`;
    else message = `generation ${gen} (pid ${pid}) signalled with ${signalName(this.options.reloadSignal)}`;
    const extra: Record<string, unknown> = {};
    if (ok) extra.result = resultOrReason;
    if (this.checkOutput !== null) extra.checkOutput = this.checkOutput;
    if (this.lastStatus !== null) extra.status = this.lastStatus;
    const outcome: ReloadOutcome = { ok, action: 'reload', message, gen, durationMs, detail: extra };
    this.lastOutcome = { ...outcome, at: new Date().toISOString() };
    if (ok) {
      const signal = resultOrReason === 'swapped' ? undefined : signalName(this.options.reloadSignal);
      this.log.info('reload', { gen, pid, result: resultOrReason, signal, durationMs });
    } else {
      this.log.warn('reload.failed', { gen, pid, reason: message, output: this.checkOutput ?? undefined, durationMs });
    }
    for (const resolve of this.current.splice(0)) resolve(outcome);
  }

  private cleanup(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.target = null;
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
