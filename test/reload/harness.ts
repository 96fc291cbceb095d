/**
 * Runs the built hotinit as PID 1 of a fresh PID namespace
 * (`unshare --pid --fork --mount-proc --kill-child`) and follows its JSON log
 * and the app's stdout, so tests wait on events, never on time.
 *
 *   const h = await Pid1.start({ args: ['--reload-check', 'x'], command: [PYTHON, app] });
 *   const mark = h.mark();
 *   await h.signal('SIGUSR1');
 *   await h.waitForLog((l) => l.event === 'reload', { from: mark });
 *   expect(await h.stop()).toEqual({ code: 0, signal: null });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const HOTINIT = join(ROOT, 'bin/hotinit');
export const FIXTURES = join(ROOT, 'test/fixtures');
/** The system's Python (no version-manager shim in between). */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const NODE = process.execPath;

export interface LogLine {
  event: string;
  level: number;
  gen?: number;
  pid?: number;
  msg?: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Mark {
  log: number;
  out: number;
}

export interface Pid1Options {
  /** hotinit's options (before `--`); `--log-format json --control off` come first. */
  args: string[];
  command: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
}

type Waiter = () => void;

export function tempDir(prefix = 'hotinit-reload-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One GET on a fresh connection; the body. */
export async function get(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
  return response.text();
}

function parentOf(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

export class Pid1 {
  readonly lines: LogLine[] = [];
  readonly output: string[] = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  private readonly waiters = new Set<Waiter>();
  private readonly child: ChildProcess;
  /** hotinit's pid as seen from here (the child of unshare). */
  private hotinitPid: number | null = null;

  private constructor(options: Pid1Options) {
    const argv = ['--pid', '--fork', '--mount-proc', '--kill-child', HOTINIT, '--log-format', 'json', '--control', 'off', ...options.args, '--', ...options.command];
    this.child = spawn('unshare', argv, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.wake();
        resolve(this.exit);
      });
    });
    this.follow(this.child.stdout!, (line) => this.output.push(line));
    this.follow(this.child.stderr!, (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ event: 'raw', level: 0, msg: line });
      }
    });
  }

  /** Starts hotinit and resolves once it logged `spawn` for generation 1. */
  static async start(options: Pid1Options): Promise<Pid1> {
    const h = new Pid1(options);
    await h.waitForLog((l) => l.event === 'spawn' && l.gen === 1);
    return h;
  }

  private follow(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        onLine(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
      this.wake();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  mark(): Mark {
    return { log: this.lines.length, out: this.output.length };
  }

  /** Resolves when the condition holds; rejects on timeout or when hotinit exits first. */
  private until<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const waiter = () => {
        const found = check();
        if (found !== undefined) {
          cleanup();
          resolve(found);
        } else if (this.exit) {
          cleanup();
          reject(new Error(`hotinit exited (${JSON.stringify(this.exit)}) before ${what}\n${this.tail()}`));
        }
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.tail()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
      waiter();
    });
  }

  waitForLog(predicate: (line: LogLine) => boolean, { from = { log: 0, out: 0 }, timeoutMs = 15_000 } = {}): Promise<LogLine> {
    return this.until(() => this.lines.slice(from.log).find(predicate), `a log line matching ${predicate.toString()}`, timeoutMs);
  }

  /** Resolves with the first `count` matching lines once there are that many. */
  waitForLogs(predicate: (line: LogLine) => boolean, count: number, { from = { log: 0, out: 0 }, timeoutMs = 15_000 } = {}): Promise<LogLine[]> {
    return this.until(() => {
      const found = this.lines.slice(from.log).filter(predicate);
      return found.length >= count ? found.slice(0, count) : undefined;
    }, `${count} log lines matching ${predicate.toString()}`, timeoutMs);
  }

  waitForOutput(pattern: RegExp, { from = { log: 0, out: 0 }, timeoutMs = 15_000 } = {}): Promise<string> {
    return this.until(() => this.output.slice(from.out).find((line) => pattern.test(line)), `output matching ${pattern}`, timeoutMs);
  }

  logsSince(from: Mark, event?: string): LogLine[] {
    return this.lines.slice(from.log).filter((l) => event === undefined || l.event === event);
  }

  async pid(): Promise<number> {
    if (this.hotinitPid !== null) return this.hotinitPid;
    const unsharePid = this.child.pid!;
    this.hotinitPid = await this.until(() => {
      for (const entry of readdirSync('/proc')) {
        if (/^\d+$/.test(entry) && parentOf(entry) === unsharePid) return Number(entry);
      }
      return undefined;
    }, "unshare's child", 5000).catch(() => {
      throw new Error('cannot find hotinit under unshare');
    });
    return this.hotinitPid;
  }

  /** The pid, as seen from here, of the process that is `nsPid` inside hotinit's namespace (what its log says). */
  async hostPid(nsPid: number): Promise<number> {
    const namespace = readlinkSync(`/proc/${await this.pid()}/ns/pid`);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readlinkSync(`/proc/${entry}/ns/pid`) !== namespace) continue;
        const ids = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${entry}/status`, 'latin1'))?.[1]?.split(/\s+/);
        if (ids && Number(ids.at(-1)) === nsPid) return Number(entry);
      } catch {
        // exited during the scan
      }
    }
    throw new Error(`no process ${nsPid} in hotinit's namespace`);
  }

  async signal(signal: NodeJS.Signals): Promise<void> {
    process.kill(await this.pid(), signal);
  }

  get alive(): boolean {
    return this.exit === null;
  }

  /** TERM (unless it already exited), then the exit; SIGKILL after timeoutMs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<Exit> {
    if (this.exit) return this.exit;
    await this.signal(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** For afterEach: whatever state it is in, it is gone afterwards. */
  async kill(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGKILL'); // --kill-child takes hotinit and the namespace with it
    await this.exited;
  }

  tail(count = 30): string {
    const log = this.lines.slice(-count).map((l) => JSON.stringify(l));
    return `--- hotinit log (last ${log.length}) ---\n${log.join('\n')}\n--- app output (last 10) ---\n${this.output.slice(-10).join('\n')}`;
  }
}
