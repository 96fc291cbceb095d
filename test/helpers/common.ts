/**
 * What the test harnesses share (helpers/hotinit.ts: InitRun for the pid1 and
 * control suites; helpers/swap-harness.ts: Hotinit; reload/harness.ts: Pid1):
 * where things are, the log-line and exit types, what /proc says about a
 * process, and Followed — a started process whose stdout and stderr lines are
 * collected as they arrive, with waits that resolve on the line (or exit) that
 * satisfies them and reject on timeout: event-driven, never a sleep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const HOTINIT = join(ROOT, 'bin/hotinit');
export const FIXTURES = join(ROOT, 'test/fixtures');
/** The system's Python (no version-manager shim in between). */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
/** The Node that runs the tests (not whatever `node` is first on PATH). */
export const NODE = process.execPath;
/** Puts the command after it at PID 1 of a new PID namespace with its own /proc; the namespace dies with unshare. */
export const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child'];

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** One of hotinit's JSON log lines (stderr). */
export interface LogLine {
  level: number;
  event: string;
  time?: number;
  msg?: string;
  pid?: number;
  gen?: number;
  [field: string]: unknown;
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix = 'hotinit-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

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

/** Running: there and not a zombie. */
export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== null && state !== 'Z' && state !== 'X';
}

/** There at all (kill -0): a zombie nobody has reaped yet counts. */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls (every 5 ms) until check() returns a value; for facts only /proc (or the file system) can tell. */
export async function pollFor<T>(what: string, check: () => T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** hotinit's pid as seen from here, when `unsharePid` runs it under UNSHARE. */
export function forkedByUnshare(unsharePid: number, timeoutMs: number): Promise<number> {
  return pollFor('hotinit to be forked by unshare', () => childrenOf(unsharePid)[0], timeoutMs);
}

/** A stream's lines as they arrive, each parsed; a line parsed to undefined is dropped. */
export class Lines<T> {
  readonly items: T[] = [];
  private partial = '';

  constructor(private readonly parse: (line: string) => T | undefined) {}

  feed(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.push(line);
  }

  /** The last line, if it had no newline (once the stream has ended). */
  flush(): void {
    if (this.partial.length > 0) this.push(this.partial);
    this.partial = '';
  }

  private push(line: string): void {
    const item = this.parse(line);
    if (item !== undefined) this.items.push(item);
  }
}

export interface FollowOptions<L> {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdin (default 'ignore'). */
  stdin?: 'pipe' | 'ignore' | 'inherit';
  /** Extra stdio entries after 0-2 (e.g. an fd the process should inherit). */
  extraStdio?: Array<'pipe' | 'ignore' | number>;
  /** stderr line → log item (undefined: not kept). */
  parseLog: (line: string) => L | undefined;
  /** stdout line → kept line (undefined: not kept); default: every line. */
  parseOut?: (line: string) => string | undefined;
  /** true: a wait still unmet when the process has exited fails then, not at its timeout. */
  waitsEndAtExit: boolean;
  /** What a failed wait shows of the output so far. */
  context: () => string;
}

/** How long lines may still come after the exit: a survivor that holds the pipes open is not waited for. */
const DRAIN_MS = 500;

/**
 * A started process with its stderr (log) and stdout (out) lines. The exit is
 * recorded once the last lines are read (or DRAIN_MS after it, when a survivor
 * holds a pipe), so a wait or a check after it sees everything said before.
 */
export class Followed<L> {
  readonly process: ChildProcess;
  readonly log: Lines<L>;
  readonly out: Lines<string>;
  /** The exit, once it happened and its output is read. */
  exit: ExitResult | null = null;
  /** When the process exited (Date.now()). */
  exitedAt: number | null = null;
  readonly exited: Promise<ExitResult>;
  private error: Error | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(argv: string[], private readonly options: FollowOptions<L>) {
    this.log = new Lines(options.parseLog);
    this.out = new Lines(options.parseOut ?? ((line) => line));
    this.process = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe', ...(options.extraStdio ?? [])],
    });
    this.follow(this.process.stdout!, this.out);
    this.follow(this.process.stderr!, this.log);
    const outDone = new Promise((r) => this.process.stdout!.on('close', r));
    const logDone = new Promise((r) => this.process.stderr!.on('close', r));
    this.exited = new Promise((resolveExit, reject) => {
      this.process.on('error', (error) => {
        this.error = error;
        this.wake();
        reject(error);
      });
      this.process.on('exit', (code, signal) => {
        this.exitedAt = Date.now();
        void Promise.race([Promise.all([outDone, logDone]), new Promise((r) => setTimeout(r, DRAIN_MS))]).then(() => {
          this.out.flush();
          this.log.flush();
          this.exit = { code, signal };
          this.wake();
          resolveExit(this.exit);
        });
      });
    });
    this.exited.catch(() => {}); // a spawn error is reported to whoever waits
  }

  private follow<T>(stream: NodeJS.ReadableStream, lines: Lines<T>): void {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      lines.feed(chunk);
      this.wake();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /**
   * Resolves with check()'s first value other than undefined; checks now, on
   * every chunk of output and at the exit. Rejects after timeoutMs, or (with
   * waitsEndAtExit) once the process has exited without it.
   */
  until<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolvePromise, reject) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        settle();
      };
      const fail = (message: string) => finish(() => reject(new Error(`${message}\n${this.options.context()}`)));
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms waiting for ${what}`), timeoutMs);
      const waiter = () => {
        const found = check();
        if (found !== undefined) finish(() => resolvePromise(found));
        else if (this.error) finish(() => reject(this.error));
        else if (this.exit && this.options.waitsEndAtExit) fail(`hotinit exited (${JSON.stringify(this.exit)}) before ${what}`);
      };
      this.waiters.add(waiter);
      waiter();
    });
  }

  /** The first of `items` (a live list, e.g. log.items) at or after index `from` that matches, as soon as there is one. */
  next<T>(items: readonly T[], match: (item: T) => boolean, what: string, timeoutMs: number, from = 0): Promise<T> {
    let scanned = from;
    return this.until(
      () => {
        for (; scanned < items.length; scanned++) if (match(items[scanned]!)) return items[scanned];
        return undefined;
      },
      what,
      timeoutMs,
    );
  }

  /** The exit (see `exit`), or an error after timeoutMs. */
  waitForExit(timeoutMs: number): Promise<ExitResult> {
    return this.until(() => this.exit ?? undefined, 'the exit', timeoutMs);
  }

  /** SIGKILLs the process and everything below it, by pid, deepest first (unless it has exited). */
  dispose(): void {
    const own = this.process.pid;
    if (own === undefined || this.exit) return;
    for (const pid of [...descendantsOf(own).reverse(), own]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
