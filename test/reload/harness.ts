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
 *
 * Built on helpers/common.ts (Followed: the process and its lines); what is the
 * reload suite's own is here: marks over log and output, the namespace's pids,
 * ports and an HTTP GET.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { Followed, forkedByUnshare, HOTINIT, ROOT, UNSHARE, type ExitResult, type LogLine } from '../helpers/common.js';

export { FIXTURES, HOTINIT, NODE, PYTHON, ROOT, tempDir } from '../helpers/common.js';
export type { LogLine } from '../helpers/common.js';
export type Exit = ExitResult;

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

/** Every stderr line: hotinit's JSON, or anything else as a `raw` line. */
function parseStderr(line: string): LogLine {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return { event: 'raw', level: 0, msg: line };
  }
}

const START = { log: 0, out: 0 };

export class Pid1 {
  private readonly run: Followed<LogLine>;
  /** hotinit's pid as seen from here (the child of unshare). */
  private hotinitPid: number | null = null;

  private constructor(options: Pid1Options) {
    const argv = [...UNSHARE, HOTINIT, '--log-format', 'json', '--control', 'off', ...options.args, '--', ...options.command];
    this.run = new Followed(argv, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      parseLog: parseStderr,
      waitsEndAtExit: true,
      context: () => this.tail(),
    });
  }

  /** Starts hotinit and resolves once it logged `spawn` for generation 1. */
  static async start(options: Pid1Options): Promise<Pid1> {
    const h = new Pid1(options);
    await h.waitForLog((l) => l.event === 'spawn' && l.gen === 1);
    return h;
  }

  /** hotinit's log lines so far (and a `raw` line for each one that is not JSON). */
  get lines(): LogLine[] {
    return this.run.log.items;
  }

  /** The app's stdout lines so far. */
  get output(): string[] {
    return this.run.out.items;
  }

  /** The exit, once it happened and the last lines are read. */
  get exited(): Promise<Exit> {
    return this.run.exited;
  }

  mark(): Mark {
    return { log: this.lines.length, out: this.output.length };
  }

  waitForLog(predicate: (line: LogLine) => boolean, { from = START, timeoutMs = 15_000 } = {}): Promise<LogLine> {
    return this.run.next(this.lines, predicate, `a log line matching ${predicate.toString()}`, timeoutMs, from.log);
  }

  /** Resolves with the first `count` matching lines once there are that many. */
  waitForLogs(predicate: (line: LogLine) => boolean, count: number, { from = START, timeoutMs = 15_000 } = {}): Promise<LogLine[]> {
    return this.run.until(() => {
      const found = this.lines.slice(from.log).filter(predicate);
      return found.length >= count ? found.slice(0, count) : undefined;
    }, `${count} log lines matching ${predicate.toString()}`, timeoutMs);
  }

  waitForOutput(pattern: RegExp, { from = START, timeoutMs = 15_000 } = {}): Promise<string> {
    return this.run.next(this.output, (line) => pattern.test(line), `output matching ${pattern}`, timeoutMs, from.out);
  }

  logsSince(from: Mark, event?: string): LogLine[] {
    return this.lines.slice(from.log).filter((l) => event === undefined || l.event === event);
  }

  async pid(): Promise<number> {
    this.hotinitPid ??= await forkedByUnshare(this.run.process.pid!, 5000).catch(() => {
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
    return this.run.exit === null;
  }

  /** TERM (unless it already exited), then the exit; SIGKILL after timeoutMs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<Exit> {
    if (this.run.exit) return this.run.exit;
    await this.signal(signal);
    const timer = setTimeout(() => this.run.process.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** For afterEach: whatever state it is in, it is gone afterwards. */
  async kill(): Promise<void> {
    if (this.run.exit) return;
    this.run.process.kill('SIGKILL'); // --kill-child takes hotinit and the namespace with it
    await this.exited;
  }

  tail(count = 30): string {
    const log = this.lines.slice(-count).map((l) => JSON.stringify(l));
    return `--- hotinit log (last ${log.length}) ---\n${log.join('\n')}\n--- app output (last 10) ---\n${this.output.slice(-10).join('\n')}`;
  }
}
