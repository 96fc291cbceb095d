/**
 * Test harness for the built hotinit (bin/hotinit → launcher → Node → dist/).
 *
 * runInit() starts hotinit either as PID 1 of a fresh PID namespace
 * (`unshare --pid --fork --mount-proc`) or directly, where it makes itself a
 * child subreaper. It collects hotinit's JSON log lines (stderr) and the
 * application's stdout lines, and lets a test wait for either — event-driven:
 * a wait resolves on the line that matches and rejects on timeout with what
 * was seen so far. Every process a run started is killed in dispose().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const HOTINIT = join(ROOT, 'bin/hotinit');
export const PYTHON = 'python3';

export function fixture(name: string): string {
  return join(ROOT, 'test/fixtures', name);
}

/** argv that runs a Python fixture: ['python3', '/abs/test/fixtures/NAME', ...args]. */
export function py(name: string, ...args: string[]): string[] {
  return [PYTHON, fixture(name), ...args];
}

/**
 * The environment hotinit runs with in tests: the Node that runs the tests
 * (not whatever `node` is first on PATH), and no control socket unless a test
 * asks for it — several hotinits run at once and /run/hotinit.sock is shared.
 */
export function testEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, HOTINIT_NODE: process.execPath, HOTINIT_CONTROL: 'off', ...extra };
}

export interface LogLine {
  level: number;
  event: string;
  msg?: string;
  pid?: number;
  gen?: number;
  [field: string]: unknown;
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunOptions {
  /** true: PID 1 of a new PID namespace (with its own /proc); false: a subreaper. */
  pid1: boolean;
  env?: NodeJS.ProcessEnv;
  /** stdin of hotinit (default 'ignore'). */
  stdin?: 'pipe' | 'ignore' | 'inherit';
  /** Extra stdio entries after 0-2 (e.g. an fd hotinit should inherit). */
  extraStdio?: Array<'pipe' | 'ignore' | number>;
  /** Run this program instead of hotinit (negative controls), same placement. */
  program?: string[];
}

const DEFAULT_WAIT_MS = 15_000;

function parentOf(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** Children of pid, by one scan of /proc (this kernel has no /proc/PID/task/TID/children). */
export function childrenOf(pid: number): number[] {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    const fromKernel = tasks.flatMap((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    });
    if (fromKernel.length > 0) return fromKernel;
  } catch {
    return [];
  }
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && parentOf(entry) === pid)
    .map(Number);
}

/** Every live descendant of pid (children first). */
export function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  const queue = childrenOf(pid);
  while (queue.length > 0) {
    const next = queue.shift()!;
    found.push(next);
    queue.push(...childrenOf(next));
  }
  return found;
}

/** One-letter state of a process (R, S, Z, ...), or null when it is gone. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat[stat.lastIndexOf(')') + 2] ?? null;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== null && state !== 'Z' && state !== 'X';
}

/** Polls (every 5 ms) until check() returns a value; for facts only /proc can tell. */
export async function pollFor<T>(what: string, check: () => T | null | undefined | false, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Waiter<T> = { match: (item: T) => boolean; resolve: (item: T) => void };

/** Lines as they arrive, with waiters that resolve on the first match (past or future). */
class LineStream<T> {
  readonly items: T[] = [];
  private waiters: Waiter<T>[] = [];
  private partial = '';

  constructor(private readonly parse: (line: string) => T) {}

  feed(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) if (line.length > 0) this.push(this.parse(line));
  }

  flush(): void {
    if (this.partial.length > 0) this.push(this.parse(this.partial));
    this.partial = '';
  }

  private push(item: T): void {
    this.items.push(item);
    const matched = this.waiters.filter((w) => w.match(item));
    this.waiters = this.waiters.filter((w) => !matched.includes(w));
    for (const w of matched) w.resolve(item);
  }

  waitFor(match: (item: T) => boolean, timeoutMs: number, describe: () => string): Promise<T> {
    const seen = this.items.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms; ${describe()}`));
      }, timeoutMs);
      const waiter: Waiter<T> = {
        match,
        resolve: (item) => {
          clearTimeout(timer);
          resolvePromise(item);
        },
      };
      this.waiters.push(waiter);
    });
  }
}

const live = new Set<InitRun>();

export class InitRun {
  readonly process: ChildProcess;
  readonly pid1: boolean;
  readonly startedAt = Date.now();
  private readonly logStream = new LineStream<LogLine | string>((line) => {
    try {
      const parsed = JSON.parse(line) as LogLine;
      return typeof parsed === 'object' && parsed !== null ? parsed : line;
    } catch {
      return line;
    }
  });
  private readonly outStream = new LineStream<string>((line) => line);
  private readonly exited: Promise<ExitResult & { at: number }>;
  private exitResult: (ExitResult & { at: number }) | null = null;

  constructor(argv: string[], options: RunOptions) {
    this.pid1 = options.pid1;
    const command = options.pid1 ? ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', ...argv] : argv;
    this.process = spawn(command[0]!, command.slice(1), {
      cwd: ROOT,
      env: options.env ?? testEnv(),
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe', ...(options.extraStdio ?? [])],
    });
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.outStream.feed(chunk));
    this.process.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.logStream.feed(chunk));
    const stdoutDone = new Promise((r) => this.process.stdout!.on('close', r));
    const stderrDone = new Promise((r) => this.process.stderr!.on('close', r));
    this.exited = new Promise((resolveExit, reject) => {
      this.process.on('error', reject);
      this.process.on('exit', (code, signal) => {
        const at = Date.now();
        // Late lines may still be in the pipes: read them, but do not wait for
        // a survivor that holds them open (what negative controls show).
        const drained = Promise.all([stdoutDone, stderrDone]);
        void Promise.race([drained, new Promise((r) => setTimeout(r, 500))]).then(() => {
          this.outStream.flush();
          this.logStream.flush();
          this.exitResult = { code, signal, at };
          live.delete(this);
          resolveExit(this.exitResult);
        });
      });
    });
    live.add(this);
  }

  /** hotinit's JSON log lines so far. */
  get logs(): LogLine[] {
    return this.logStream.items.filter((l): l is LogLine => typeof l === 'object');
  }

  /** Lines on stderr that are not JSON (usage errors, the launcher's own messages). */
  get stderrText(): string {
    return this.logStream.items.filter((l): l is string => typeof l === 'string').join('\n');
  }

  /** The application's stdout lines so far. */
  get stdout(): string[] {
    return this.outStream.items;
  }

  waitForLog(match: (line: LogLine) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<LogLine> {
    return this.logStream.waitFor(
      (l) => typeof l === 'object' && match(l),
      timeoutMs,
      () => `log lines so far:\n${this.logStream.items.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}`,
    ) as Promise<LogLine>;
  }

  waitForStdout(match: string | RegExp | ((line: string) => boolean), timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const test =
      typeof match === 'function' ? match : typeof match === 'string' ? (l: string) => l.includes(match) : (l: string) => match.test(l);
    return this.outStream.waitFor(test, timeoutMs, () => `stdout so far:\n${this.stdout.join('\n')}\nstderr:\n${this.stderrLines()}`);
  }

  private stderrLines(): string {
    return this.logStream.items.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
  }

  /** hotinit's exit (for pid1: unshare's, which passes hotinit's status through). */
  async waitForExit(timeoutMs = DEFAULT_WAIT_MS): Promise<ExitResult & { at: number }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`hotinit did not exit within ${timeoutMs} ms; stdout:\n${this.stdout.join('\n')}\nstderr:\n${this.stderrLines()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get hasExited(): boolean {
    return this.exitResult !== null;
  }

  /** hotinit's pid as seen from here (for pid1: the child of unshare). */
  async hotinitPid(timeoutMs = DEFAULT_WAIT_MS): Promise<number> {
    const own = this.process.pid!;
    if (!this.pid1) return own;
    return pollFor('hotinit to be forked by unshare', () => childrenOf(own)[0], timeoutMs);
  }

  /** Sends a signal to hotinit itself. */
  async signal(signo: number | NodeJS.Signals): Promise<void> {
    process.kill(await this.hotinitPid(), signo);
  }

  /** Kills hotinit and everything below it. */
  dispose(): void {
    const own = this.process.pid;
    if (own === undefined || this.hasExited) return;
    for (const pid of [...descendantsOf(own).reverse(), own]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Starts hotinit with args (or options.program, for negative controls). */
export function runInit(args: string[], options: RunOptions): InitRun {
  return new InitRun(options.program ?? [HOTINIT, ...args], options);
}

/** argv that runs hotinit with args, as PID 1 of a new PID namespace or as a subreaper. */
export function initArgv(args: string[], pid1: boolean): string[] {
  return pid1 ? ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', HOTINIT, ...args] : [HOTINIT, ...args];
}

/** Runs at most `limit` of the tasks at a time; results in input order. */
export async function inBatches<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Kills whatever a test left running (call from afterEach). */
export function disposeAll(): void {
  for (const run of live) run.dispose();
}

export interface Finished extends ExitResult {
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs a command to completion (harness scripts, usage errors). */
export function runToEnd(argv: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<Finished> {
  const started = Date.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: options.env ?? testEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

/** stdout of a harness that prints JSON lines → parsed objects. */
export function jsonLines<T = Record<string, unknown>>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as T);
}

/** Signals forwarded to the application: 1-64 minus KILL STOP CHLD ILL BUS FPE SEGV 32 33 USR1 USR2. */
export const FORWARDED_SIGNALS: readonly number[] = Array.from({ length: 64 }, (_, i) => i + 1).filter(
  (n) => ![9, 19, 17, 4, 7, 8, 11, 32, 33, 10, 12].includes(n),
);
