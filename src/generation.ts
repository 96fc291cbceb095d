/**
 * A generation: one run of the application, with its number, pid and life.
 * This module starts it with the fds and environment the SPEC promises:
 * listening sockets at 3.. (LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES as systemd
 * passes them), then the readiness pipe (HOTINIT_READY_FD), NOTIFY_SOCKET,
 * and HOTINIT_GENERATION.
 */
import { native, type ExitRecord } from './native.js';
import { toEnvList } from './environment.js';
import type { Readiness } from './readiness.js';

export type GenerationState = 'starting' | 'ready' | 'draining' | 'exited';

export interface GenerationPlan {
  gen: number;
  /** Resolved path to exec, and the argv the user wrote. */
  file: string;
  argv: string[];
  env: Record<string, string>;
  listenFds: readonly number[];
  listenNames: readonly string[];
  /** Write end of the readiness pipe, or null. */
  readyFd: number | null;
  notifySocket: string | null;
  foreground: boolean;
}

export class Generation {
  readonly gen: number;
  readonly pid: number;
  readonly startedAtMs = Date.now();
  state: GenerationState = 'starting';
  readyAtMs: number | null = null;
  exitedAtMs: number | null = null;
  exit: ExitRecord | null = null;
  /** Its own readiness channels (closed when it exits). */
  readiness: Readiness | null = null;
  readonly exited: Promise<ExitRecord>;
  private resolveExit!: (exit: ExitRecord) => void;

  constructor(gen: number, pid: number) {
    this.gen = gen;
    this.pid = pid;
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  get alive(): boolean {
    return this.state !== 'exited';
  }

  markReady(): void {
    if (this.state === 'starting') {
      this.state = 'ready';
      this.readyAtMs = Date.now();
    }
  }

  markExited(exit: ExitRecord): void {
    this.state = 'exited';
    this.exit = exit;
    this.exitedAtMs = Date.now();
    this.readiness?.close();
    this.resolveExit(exit);
  }
}

/** Starts a generation; throws the addon's error (code ENOENT/EACCES, syscall execve) on exec failure. */
export function startGeneration(plan: GenerationPlan): Generation {
  const env: Record<string, string> = { ...plan.env, HOTINIT_GENERATION: String(plan.gen) };
  const fds = [0, 1, 2, ...plan.listenFds];
  if (plan.listenFds.length > 0) {
    env.LISTEN_FDS = String(plan.listenFds.length);
    env.LISTEN_FDNAMES = plan.listenNames.join(':');
  }
  if (plan.readyFd !== null) {
    env.HOTINIT_READY_FD = String(fds.length);
    fds.push(plan.readyFd);
  }
  if (plan.notifySocket !== null) env.NOTIFY_SOCKET = plan.notifySocket;
  const pid = native.spawn({
    file: plan.file,
    argv: plan.argv,
    env: toEnvList(env),
    fds,
    foreground: plan.foreground,
    listenPid: plan.listenFds.length > 0,
  });
  return new Generation(plan.gen, pid);
}
