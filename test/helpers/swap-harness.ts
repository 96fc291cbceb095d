/**
 * Runs the built hotinit (bin/hotinit) as a subreaper for swap tests and
 * follows its JSON log: tests wait on log events, never on time.
 *
 *   const h = await Hotinit.start({ args: ['-l', 'tcp://127.0.0.1:0', '--ready', 'fd'], command: [...] });
 *   const outcome = await h.swap();        // USR2, then swap.done (+ old drained) or swap.failed
 *   await h.stop();                        // TERM, wait, clean up whatever is left
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResponse } from './load.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const HOTINIT = join(ROOT, 'bin/hotinit');
export const FIXTURES = join(ROOT, 'test/fixtures');
/** The system's Python (no version-manager shim in between). */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface LogLine {
  event: string;
  level: number;
  time: number;
  gen?: number;
  pid?: number;
  msg?: string;
  [field: string]: unknown;
}

export interface HotinitExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /** hotinit's own options (everything before `--`). */
  args: string[];
  command: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Resolve start() once generation 1 logged `ready` (default true). */
  waitReady?: boolean;
  timeoutMs?: number;
}

export interface WaitOptions {
  /** Only lines at or after this index (from mark()). */
  from?: number;
  timeoutMs?: number;
}

type Predicate = (line: LogLine) => boolean;

const DEFAULT_WAIT_MS = 20_000;

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix = 'hotinit-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes an executable `#!/bin/sh` script. */
export function writeScript(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A wrapper script running a Node fixture with some environment, like a staged app binary. */
export function nodeAppScript(path: string, fixture: string, env: Record<string, string> = {}): string {
  const assignments = Object.entries(env)
    .map(([key, value]) => `${key}='${value}'`)
    .join(' ');
  return writeScript(path, `${assignments ? `export ${assignments}\n` : ''}exec '${process.execPath}' '${join(FIXTURES, fixture)}'`);
}

/** Resolves once `path` exists (a fixture's own signal that it reached a point). */
export async function waitForFile(path: string, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Hotinit {
  readonly lines: LogLine[] = [];
  /** Lines on stderr that are not hotinit's JSON (the app's own output). */
  readonly otherOutput: string[] = [];
  readonly exited: Promise<HotinitExit>;
  exit: HotinitExit | null = null;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();
  private partial = '';

  private constructor(options: StartOptions) {
    this.child = spawn(HOTINIT, [...options.args, '--', ...options.command], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, HOTINIT_NODE: process.execPath, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => this.otherOutput.push(text));
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => this.onStderr(text));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.wake();
        resolve(this.exit);
      });
    });
  }

  static async start(options: StartOptions): Promise<Hotinit> {
    const hotinit = new Hotinit(options);
    try {
      if (options.args.some((a) => a === '-l' || a.startsWith('--listen'))) {
        await hotinit.waitFor((l) => l.event === 'start' && typeof l.address === 'string', { timeoutMs: options.timeoutMs });
      }
      if (options.waitReady !== false) {
        await hotinit.waitFor((l) => l.event === 'ready' && l.gen === 1, { timeoutMs: options.timeoutMs });
      }
    } catch (error) {
      await hotinit.stop();
      throw error;
    }
    return hotinit;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The address of the first listener, e.g. tcp://127.0.0.1:40123 or unix:///tmp/x/app.sock. */
  get address(): string {
    const line = this.lines.find((l) => l.event === 'start' && typeof l.address === 'string');
    if (!line) throw new Error('hotinit logged no listening address');
    return line.address as string;
  }

  get port(): number {
    const match = /:(\d+)$/.exec(this.address);
    if (!match) throw new Error(`not a TCP address: ${this.address}`);
    return Number(match[1]);
  }

  /** Index of the next log line: pass as `from` to wait for what happens after now. */
  mark(): number {
    return this.lines.length;
  }

  events(event: string, from = 0): LogLine[] {
    return this.lines.slice(from).filter((l) => l.event === event);
  }

  /** pid of generation `gen`, from its spawn line. */
  pidOf(gen: number): number {
    const line = this.lines.find((l) => l.event === 'spawn' && l.gen === gen);
    if (!line || typeof line.pid !== 'number') throw new Error(`generation ${gen} was never spawned`);
    return line.pid;
  }

  signal(name: NodeJS.Signals): void {
    process.kill(this.pid, name);
  }

  /** Resolves with the first line (at or after `from`) that satisfies `predicate`. */
  waitFor(predicate: Predicate, options: WaitOptions = {}): Promise<LogLine> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    let scanned = options.from ?? 0;
    return new Promise((resolvePromise, reject) => {
      const check = () => {
        for (; scanned < this.lines.length; scanned++) {
          const line = this.lines[scanned]!;
          if (predicate(line)) return finish(() => resolvePromise(line));
        }
        if (this.exit) {
          finish(() => reject(new Error(`hotinit exited (${JSON.stringify(this.exit)}) before the awaited line\n${this.tail()}`)));
        }
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no matching log line within ${timeoutMs} ms\n${this.tail()}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Waits for generation `gen` to be gone, as hotinit logged it (drained, reaped or exited). */
  waitGone(gen: number, options: WaitOptions = {}): Promise<LogLine> {
    return this.waitFor((l) => l.gen === gen && isExitLine(l), options);
  }

  /**
   * Sends USR2 and waits for the outcome. On success also waits until the old
   * generation has drained and exited, so the next swap starts from one
   * generation.
   */
  async swap(options: WaitOptions = {}): Promise<LogLine> {
    const from = this.mark();
    this.signal('SIGUSR2');
    const outcome = await this.waitFor((l) => l.event === 'swap.done' || l.event === 'swap.failed', { ...options, from });
    if (outcome.event === 'swap.done' && typeof outcome.from === 'number') {
      await this.waitGone(outcome.from, { ...options, from });
    }
    return outcome;
  }

  /** TERM (unless already exited), wait; then kill whatever generation is still alive. */
  async stop(timeoutMs = 15_000): Promise<HotinitExit> {
    if (!this.exit) {
      try {
        this.signal('SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    for (const line of this.events('spawn')) {
      if (typeof line.pid === 'number' && isAlive(line.pid)) {
        try {
          process.kill(line.pid, 'SIGKILL');
        } catch {
          // raced its exit
        }
      }
    }
    return this.exit!;
  }

  /** The last lines of the log, for failure messages. */
  tail(count = 25): string {
    return this.lines
      .slice(-count)
      .map((l) => JSON.stringify(l))
      .join('\n');
  }

  private onStderr(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    for (const part of parts) {
      if (part.trim() === '') continue;
      let line: LogLine | null = null;
      if (part.startsWith('{')) {
        try {
          const parsed = JSON.parse(part) as LogLine;
          if (parsed.name === 'hotinit' && typeof parsed.event === 'string') line = parsed;
        } catch {
          // not JSON after all
        }
      }
      if (line) this.lines.push(line);
      else this.otherOutput.push(part);
    }
    this.wake();
  }

  private wake(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** A line saying a generation is gone: drained, reaped (debug), or the application's exit. */
export function isExitLine(line: LogLine): boolean {
  return (
    (line.event === 'drain' && 'exit' in line) ||
    (line.event === 'reap' && typeof line.gen === 'number') ||
    (line.event === 'exit' && typeof line.gen === 'number')
  );
}

export interface GenerationLife {
  gen: number;
  spawnedAtMs: number;
  goneAtMs: number | null;
}

/** When each generation lived, from the log (hotinit's clock is this machine's). */
export function generationLives(lines: readonly LogLine[]): Map<number, GenerationLife> {
  const lives = new Map<number, GenerationLife>();
  for (const line of lines) {
    if (typeof line.gen !== 'number') continue;
    if (line.event === 'spawn') lives.set(line.gen, { gen: line.gen, spawnedAtMs: line.time, goneAtMs: null });
    else if (isExitLine(line)) {
      const life = lives.get(line.gen);
      if (life && life.goneAtMs === null) life.goneAtMs = line.time;
    }
  }
  return lives;
}

/**
 * Responses that did not come from a generation alive at the time: the
 * generation must have been spawned before the response ended and must not
 * have been gone before the request was sent.
 */
export function responsesFromDeadGenerations(
  responses: readonly LoadResponse[],
  lines: readonly LogLine[],
): LoadResponse[] {
  const lives = generationLives(lines);
  return responses.filter((r) => {
    const life = r.gen === null ? undefined : lives.get(r.gen);
    if (!life) return true;
    if (r.endMs < life.spawnedAtMs) return true;
    return life.goneAtMs !== null && r.startMs > life.goneAtMs;
  });
}

/** Connections whose responses came from more than one generation (a connection belongs to one process). */
export function connectionsSpanningGenerations(responses: readonly LoadResponse[]): number[] {
  const genOf = new Map<number, number | null>();
  const bad = new Set<number>();
  for (const r of responses) {
    if (!genOf.has(r.connection)) genOf.set(r.connection, r.gen);
    else if (genOf.get(r.connection) !== r.gen) bad.add(r.connection);
  }
  return [...bad];
}

/** The generation of the response sent last. */
export function lastGeneration(responses: readonly LoadResponse[]): number | null {
  let latest: LoadResponse | null = null;
  for (const r of responses) if (!latest || r.startMs >= latest.startMs) latest = r;
  return latest?.gen ?? null;
}
