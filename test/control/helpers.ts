/**
 * Helpers for the control tests: a fake ControlTarget whose swap can be made
 * to succeed, fail or hang; a Log that records; raw socket clients; and the
 * built CLI run as a real subprocess.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Log, LogEvent, LogFields } from '../../src/log.js';
import type { ActionOutcome, ControlTarget, StatusReport } from '../../src/control/protocol.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CLI = resolve(HERE, '../../dist/cli.js');
export const FIXTURES = resolve(HERE, 'fixtures');
export const NOBODY = 65534;

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const SWAP_OK: ActionOutcome = { ok: true, action: 'swap', message: 'generation 3 (pid 41) serving', gen: 3, durationMs: 1_234 };
export const SWAP_FAILED: ActionOutcome = {
  ok: false,
  action: 'swap',
  message: 'new generation exited with status 1 before it was ready; generation 2 keeps serving',
  gen: 2,
  durationMs: 3_456,
  detail: { exitCode: 1 },
};

export function sampleStatus(): StatusReport {
  return {
    version: '9.9.9',
    pid: 1,
    uptimeMs: 3_723_000,
    healthy: true,
    generations: [
      { gen: 2, pid: 41, state: 'ready', uptimeMs: 3_600_000, serving: true },
      { gen: 3, pid: 57, state: 'starting', uptimeMs: 1_200, serving: false },
    ],
    listeners: [{ name: 'http', address: 'tcp://0.0.0.0:8080' }],
    lastSwap: { ...SWAP_OK, at: new Date(Date.now() - 120_000).toISOString() },
    lastReload: null,
    swapInProgress: true,
  };
}

/** A ControlTarget whose answers the test sets; every call is recorded. */
export class FakeTarget implements ControlTarget {
  swaps: { stage: string | null }[] = [];
  reloads = 0;
  report: StatusReport = sampleStatus();
  /** What the next swaps return; a Deferred's promise makes them hang. */
  swapWith: () => Promise<ActionOutcome> = async () => SWAP_OK;
  reloadWith: () => Promise<ActionOutcome> = async () => ({ ok: true, action: 'reload', message: 'generation 2 (pid 41) reloaded', gen: 2, durationMs: 80 });

  swap(request: { stage: string | null }): Promise<ActionOutcome> {
    this.swaps.push(request);
    return this.swapWith();
  }
  reload(): Promise<ActionOutcome> {
    this.reloads += 1;
    return this.reloadWith();
  }
  status(): StatusReport {
    return this.report;
  }
}

export interface LogLine {
  level: string;
  event: LogEvent;
  fields: LogFields;
  message: string | undefined;
}

/** A Log that keeps its lines in memory. */
export function recordingLog(lines: LogLine[] = [], bound: LogFields = {}): Log & { lines: LogLine[] } {
  const at = (level: string) => (event: LogEvent, fields: LogFields = {}, message?: string) => {
    lines.push({ level, event, fields: { ...bound, ...fields }, message });
  };
  return {
    lines,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => recordingLog(lines, { ...bound, ...fields }),
    isLevelEnabled: () => true,
  };
}

/** A fresh directory, removed by the returned cleanup. */
export function tempDir(prefix = 'hotinit-control-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A raw client that collects the server's answer lines. */
export class RawClient {
  readonly lines: unknown[] = [];
  closed: Promise<void>;
  private waiters: (() => void)[] = [];
  private buffer = '';

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      for (let i = this.buffer.indexOf('\n'); i !== -1; i = this.buffer.indexOf('\n')) {
        this.lines.push(JSON.parse(this.buffer.slice(0, i)));
        this.buffer = this.buffer.slice(i + 1);
      }
      this.waiters.splice(0).forEach((wake) => wake());
    });
    socket.on('error', () => {});
    this.closed = new Promise((done) => socket.on('close', () => done()));
  }

  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path });
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Waits for the n-th answer (1-based) and returns it. */
  async answer(n = this.lines.length + 1): Promise<Record<string, any>> {
    while (this.lines.length < n) await new Promise<void>((wake) => this.waiters.push(wake));
    return this.lines[n - 1] as Record<string, any>;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One request on a fresh connection; returns the answer. */
export async function ask(path: string, request: Record<string, unknown>): Promise<Record<string, any>> {
  const client = await RawClient.open(path);
  client.send(`${JSON.stringify(request)}\n`);
  try {
    return await client.answer();
  } finally {
    client.close();
  }
}

export interface CliResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** The built CLI as a subprocess, without any HOTINIT_CONTROL of ours. */
export async function runCli(
  args: string[],
  options: { cwd?: string; uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const env = { ...process.env, ...options.env };
  delete env.HOTINIT_CONTROL;
  const { env: _, ...rest } = options;
  const result = await execa(process.execPath, [CLI, ...args], { reject: false, timeout: 30_000, ...rest, env, extendEnv: false });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Resolves when `predicate` holds, polling; for facts with no event to wait on. */
export async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((wake) => setTimeout(wake, 10));
  }
}
