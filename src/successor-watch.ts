/**
 * Forward mode's look-out for the process an app starts to replace itself:
 * each poll reads /proc (and --pidfile) for the successor, then asks --ready
 * whether it is ready. What the upgrade began with and what has been found
 * so far live here; the Forwarder owns the timers and the phase, and decides
 * what a ready successor means.
 */
import type { Generation } from './generation.js';
import type { Helpers } from './helpers.js';
import type { Log } from './log.js';
import type { Options } from './options.js';
import { descendantsOf, findSuccessor, readPidfile, scanProcesses, selfProcess, type SuccessorQuery } from './successor.js';
import type { Supervisor } from './supervisor.js';

interface Candidate { pid: number; foundAtMs: number }

export class SuccessorWatch {
  /** The app's processes when the upgrade began: none of them can be the successor. */
  private before = new Set<number>();
  /** The successor found by the last poll, and since when (--ready-delay counts from then). */
  private candidate: Candidate | null = null;
  /** The successor once it was ready: chosen again while it qualifies. */
  private successor: number | null = null;
  private execCheckRunning = false;
  private selfInfo: { pid: number; pgrp: number } | null = null;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly options: Options,
    private readonly log: Log,
    private readonly helpers: Helpers,
    private readonly env: Record<string, string>,
  ) {}

  get candidatePid(): number | null {
    return this.candidate?.pid ?? null;
  }

  /** Just before the upgrade signal: the old main process and its descendants are not successors. */
  start(old: Generation): void {
    this.before = new Set([old.pid, ...descendantsOf(scanProcesses(), old.pid)]);
    this.clear();
  }

  clear(): void {
    this.candidate = null;
    this.successor = null;
  }

  /** The successor the upgrade now goes on with (the one `onReady` was called for). */
  markReady(pid: number): void {
    this.successor = pid;
  }

  /** One look during the upgrade: `onReady(pid)` once a successor is ready by --ready. */
  poll(old: Generation, onReady: (pid: number) => void): void {
    const pid = findSuccessor(scanProcesses(), this.query(old.pid, this.before, this.options.pidfile !== null));
    if (pid === null) {
      this.candidate = null;
      return;
    }
    if (this.candidate?.pid !== pid) {
      this.candidate = { pid, foundAtMs: Date.now() };
      this.log.debug('swap.begin', { gen: old.gen, successor: pid }, 'successor found');
    }
    this.checkReady(this.candidate, onReady);
  }

  /**
   * The process that takes over from a main process that exited: during an
   * upgrade, not one the app had when it began; outside one (an app that
   * daemonizes), any new process of the app. Null when none, or several.
   */
  successorOf(generation: Generation, upgrading: boolean): number | null {
    const before = upgrading ? this.before : new Set([generation.pid]);
    return findSuccessor(scanProcesses(), this.query(generation.pid, before, false));
  }

  /** hotinit's pid and process group (read once, when first needed). */
  private get self(): { pid: number; pgrp: number } {
    this.selfInfo ??= selfProcess();
    return this.selfInfo;
  }

  private query(oldPid: number, before: ReadonlySet<number>, pidfileOnly: boolean): SuccessorQuery {
    return {
      oldPid,
      before,
      self: this.self,
      tracked: new Set(this.supervisor.live.map((g) => g.pid)),
      pidfilePid: readPidfile(this.options.pidfile),
      pidfileOnly,
      preferred: this.successor ?? this.candidate?.pid ?? null,
    };
  }

  /**
   * Ready: with --ready exec:CMD, CMD exits 0 (HOTINIT_CHILD_PID = the
   * successor); with delay:DUR, alive that long; otherwise a pid written to
   * --pidfile is ready (apps write it once set up), and without a pidfile
   * the successor must stay alive for --ready-delay — unless the old main
   * process exits first (grace and endless are told to by their successor).
   */
  private checkReady(candidate: Candidate, onReady: (pid: number) => void): void {
    const mode = this.options.ready;
    const aliveMs = Date.now() - candidate.foundAtMs;
    if (mode.kind === 'exec') {
      if (this.execCheckRunning) return;
      this.execCheckRunning = true;
      void this.helpers
        .run({
          command: mode.command,
          env: { ...this.env, HOTINIT_CHILD_PID: String(candidate.pid) },
          timeoutMs: Math.min(10_000, this.options.readyTimeoutMs),
        })
        .then((result) => {
          this.execCheckRunning = false;
          // A check that outlived its candidate (another was found, or the upgrade finished) says nothing.
          if (result.ok && this.candidate?.pid === candidate.pid) onReady(candidate.pid);
        });
      return;
    }
    const neededMs = mode.kind === 'delay' ? mode.ms : this.options.pidfile !== null ? 0 : this.options.readyDelayMs;
    if (aliveMs >= neededMs) onReady(candidate.pid);
  }
}
