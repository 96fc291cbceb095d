/**
 * Test harness for the built hotinit (bin/hotinit → launcher → Node → dist/).
 *
 * runInit() starts hotinit either as PID 1 of a fresh PID namespace
 * (`unshare --pid --fork --mount-proc`) or directly, where it makes itself a
 * child subreaper. It collects hotinit's JSON log lines (stderr) and the
 * application's stdout lines, and lets a test wait for either — event-driven:
 * a wait resolves on the line that matches and rejects on timeout with what
 * was seen so far. Every process a run started is killed in dispose().
 * The process wrapper and /proc queries are common.ts's.
 */
import { spawn } from 'node:child_process';
import { Followed, forkedByUnshare, HOTINIT, PYTHON, ROOT, fixture, UNSHARE, type ExitResult, type LogLine } from './common.js';

export { childrenOf, descendantsOf, fixture, HOTINIT, isAlive, pollFor, processState, PYTHON, ROOT } from './common.js';
export type { ExitResult, LogLine } from './common.js';

/** argv that runs a Python fixture: [PYTHON, '/abs/test/fixtures/NAME', ...args]. */
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

const live = new Set<InitRun>();

/** stderr: hotinit's JSON lines as objects, anything else (usage errors, the launcher's messages) as text. */
function parseStderr(line: string): LogLine | string | undefined {
  if (line.length === 0) return undefined;
  try {
    const parsed = JSON.parse(line) as LogLine;
    return typeof parsed === 'object' && parsed !== null ? parsed : line;
  } catch {
    return line;
  }
}

const text = (l: LogLine | string) => (typeof l === 'string' ? l : JSON.stringify(l));

/** A run of hotinit (or of a negative control); its waits do not end at its exit (survivors may still speak). */
export class InitRun {
  readonly pid1: boolean;
  readonly startedAt = Date.now();
  private readonly run: Followed<LogLine | string>;

  constructor(argv: string[], options: RunOptions) {
    this.pid1 = options.pid1;
    this.run = new Followed(options.pid1 ? [...UNSHARE, ...argv] : argv, {
      cwd: ROOT,
      env: options.env ?? testEnv(),
      stdin: options.stdin,
      extraStdio: options.extraStdio,
      parseLog: parseStderr,
      parseOut: (line) => (line.length > 0 ? line : undefined),
      waitsEndAtExit: false,
      context: () => `stdout so far:\n${this.stdout.join('\n')}\nstderr:\n${this.run.log.items.map(text).join('\n')}`,
    });
    const forget = () => live.delete(this);
    this.run.exited.then(forget, forget);
    live.add(this);
  }

  get process() {
    return this.run.process;
  }

  /** hotinit's JSON log lines so far. */
  get logs(): LogLine[] {
    return this.run.log.items.filter((l): l is LogLine => typeof l === 'object');
  }

  /** Lines on stderr that are not JSON (usage errors, the launcher's own messages). */
  get stderrText(): string {
    return this.run.log.items.filter((l): l is string => typeof l === 'string').join('\n');
  }

  /** The application's stdout lines so far. */
  get stdout(): string[] {
    return this.run.out.items;
  }

  waitForLog(match: (line: LogLine) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<LogLine> {
    const found = this.run.next(this.run.log.items, (l) => typeof l === 'object' && match(l), `a log line matching ${match.toString()}`, timeoutMs);
    return found as Promise<LogLine>;
  }

  waitForStdout(match: string | RegExp | ((line: string) => boolean), timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const test =
      typeof match === 'function' ? match : typeof match === 'string' ? (l: string) => l.includes(match) : (l: string) => match.test(l);
    return this.run.next(this.stdout, test, `stdout matching ${String(match)}`, timeoutMs);
  }

  /** hotinit's exit (for pid1: unshare's, which passes hotinit's status through), and when it was. */
  async waitForExit(timeoutMs = DEFAULT_WAIT_MS): Promise<ExitResult & { at: number }> {
    const exit = await this.run.waitForExit(timeoutMs);
    return { ...exit, at: this.run.exitedAt! };
  }

  get hasExited(): boolean {
    return this.run.exit !== null;
  }

  /** hotinit's pid as seen from here (for pid1: the child of unshare). */
  async hotinitPid(timeoutMs = DEFAULT_WAIT_MS): Promise<number> {
    const own = this.run.process.pid!;
    return this.pid1 ? forkedByUnshare(own, timeoutMs) : own;
  }

  /** Sends a signal to hotinit itself. */
  async signal(signo: number | NodeJS.Signals): Promise<void> {
    process.kill(await this.hotinitPid(), signo);
  }

  /** Kills hotinit and everything below it. */
  dispose(): void {
    this.run.dispose();
  }
}

/** Starts hotinit with args (or options.program, for negative controls). */
export function runInit(args: string[], options: RunOptions): InitRun {
  return new InitRun(options.program ?? [HOTINIT, ...args], options);
}

/** argv that runs hotinit with args, as PID 1 of a new PID namespace or as a subreaper. */
export function initArgv(args: string[], pid1: boolean): string[] {
  return pid1 ? [...UNSHARE, HOTINIT, ...args] : [HOTINIT, ...args];
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
