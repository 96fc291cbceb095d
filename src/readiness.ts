/**
 * How a generation says it is ready. Each generation gets its own channels —
 * a NOTIFY_SOCKET of its own and a pipe at HOTINIT_READY_FD — so a late
 * message from an old generation can never be taken for the new one's.
 *
 * Modes (SPEC --ready): notify, fd, exec:CMD (CMD exits 0), delay:DUR, and
 * auto: both channels offered; without a message, ready once alive for
 * --ready-delay.
 */
import type { Generation } from './generation.js';
import { parentOf } from './processes.js';
import type { Helpers } from './helpers.js';
import type { Log } from './log.js';
import { closeReader, native, type ReaderHandle } from './native.js';
import type { ReadyMode } from './options.js';
import type { RuntimeDir } from './runtime-dir.js';
import { closeSync } from 'node:fs';

export type NotifyListener = (fields: Map<string, string>) => void;

const EXEC_RETRY_MS = 250;

/** sd_notify's format: newline-separated KEY=VALUE assignments. */
export function parseNotify(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return fields;
}

/**
 * False only when pid provably does not descend from root. A sender that has
 * already exited cannot be traced (`systemd-notify --ready` in a wrapper
 * script exits before we read its message) and is accepted: each generation's
 * socket lives in hotinit's 0700 directory and only that generation was told
 * its path.
 */
export function descendsFrom(pid: number, root: number): boolean {
  if (parentOf(pid) === null) return true;
  for (let current: number | null = pid, hops = 0; current !== null && current > 1 && hops < 64; hops++) {
    if (current === root) return true;
    current = parentOf(current);
  }
  return false;
}

export class Readiness {
  readonly notifySocket: string | null;
  /** Write end for the child (placed at HOTINIT_READY_FD); closed here after spawn. */
  readyFd: number | null;
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private isReady = false;
  private closed = false;
  private notifyReader: ReaderHandle | null = null;
  private pipeReader: ReaderHandle | null = null;
  private timer: NodeJS.Timeout | null = null;
  private generation: Generation | null = null;
  private readonly listeners: NotifyListener[] = [];
  private readonly mode: ReadyMode;
  private readonly log: Log;

  constructor(mode: ReadyMode, gen: number, runtimeDir: RuntimeDir, log: Log) {
    this.mode = mode;
    this.log = log;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    const wantNotify = mode.kind === 'notify' || mode.kind === 'auto';
    const wantFd = mode.kind === 'fd' || mode.kind === 'auto';
    this.notifySocket = wantNotify ? runtimeDir.file(`notify-${gen}.sock`) : null;
    if (this.notifySocket) {
      this.notifyReader = native.openDatagramReader(this.notifySocket, (pid, text) => this.onDatagram(pid, text));
    }
    this.readyFd = null;
    if (wantFd) {
      const pipe = native.openPipeReader((text) => this.onPipe(text));
      this.pipeReader = pipe;
      this.readyFd = pipe.writeFd;
    }
  }

  /** Messages after readiness (RELOADING=1, READY=1, STATUS=…) for the reload handshake. */
  onNotify(listener: NotifyListener): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  get readyNow(): boolean {
    return this.isReady;
  }

  /** Call right after the child is spawned (or failed to spawn). */
  started(generation: Generation, helpers: Helpers, readyDelayMs: number): void {
    this.generation = generation;
    if (this.readyFd !== null) {
      closeSync(this.readyFd); // only the child holds the write end: EOF means it closed or died
      this.readyFd = null;
    }
    if (this.mode.kind === 'delay') this.timer = setTimeout(() => this.becomeReady('delay'), this.mode.ms);
    if (this.mode.kind === 'auto') this.timer = setTimeout(() => this.becomeReady('alive'), readyDelayMs);
    if (this.mode.kind === 'exec') void this.pollExec(this.mode.command, generation, helpers);
  }

  private async pollExec(command: string, generation: Generation, helpers: Helpers): Promise<void> {
    while (!this.closed && !this.isReady && generation.alive) {
      const result = await helpers.run({
        command,
        env: { ...process.env, HOTINIT_CHILD_PID: String(generation.pid), HOTINIT_GENERATION: String(generation.gen) },
        timeoutMs: 10_000,
      });
      if (result.ok) return this.becomeReady('exec');
      await new Promise((resolve) => setTimeout(resolve, EXEC_RETRY_MS));
    }
  }

  private onDatagram(senderPid: number, text: string): void {
    const generation = this.generation;
    if (!generation || !descendsFrom(senderPid, generation.pid)) {
      this.log.debug('ready', { sender: senderPid }, 'notify message from a stranger ignored');
      return;
    }
    const fields = parseNotify(text);
    if (fields.get('READY') === '1' && !this.isReady) this.becomeReady('notify');
    else for (const listener of [...this.listeners]) listener(fields);
  }

  private onPipe(text: string | null): void {
    if (text === null) {
      closeReader(this.pipeReader);
      this.pipeReader = null;
      return;
    }
    if (text.includes('\n') && !this.isReady) this.becomeReady('fd');
  }

  private becomeReady(via: string): void {
    if (this.isReady || this.closed) return;
    this.isReady = true;
    if (this.timer) clearTimeout(this.timer);
    this.log.debug('ready', { via }); // the child logger carries gen
    this.markReady();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.readyFd !== null) closeSync(this.readyFd);
    this.readyFd = null;
    closeReader(this.notifyReader);
    closeReader(this.pipeReader);
    this.notifyReader = this.pipeReader = null;
  }
}
