/**
 * Runs the built hotinit (bin/hotinit) as a subreaper for swap tests and
 * follows its JSON log: tests wait on log events, never on time.
 *
 *   const h = await Hotinit.start({ args: ['-l', 'tcp://127.0.0.1:0', '--ready', 'fd'], command: [...] });
 *   const outcome = await h.swap();        // USR2, then swap.done (+ old drained) or swap.failed
 *   await h.stop();                        // TERM, wait, clean up whatever is left
 *
 * Built on common.ts (Followed: the process and its lines); what is the swap
 * suite's own is here: generations, swaps, and checking load against them.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, Followed, HOTINIT, pidExists, pollFor, ROOT, type ExitResult, type LogLine as CommonLogLine } from './common.js';
import type { LoadResponse } from './load.js';

export { FIXTURES, HOTINIT, PYTHON, ROOT, tempDir } from './common.js';
/** isAlive here is kill -0: a generation left as a zombie nobody reaped still counts as alive. */
export { pidExists as isAlive } from './common.js';

/** hotinit's own lines (name 'hotinit') always carry their time. */
export interface LogLine extends CommonLogLine {
  time: number;
}

export type HotinitExit = ExitResult;

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
  await pollFor(`${path} to appear`, () => existsSync(path), timeoutMs);
}

/** hotinit's JSON lines (name 'hotinit', an event); anything else on stderr is the app's. */
function hotinitLine(text: string): LogLine | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(text) as LogLine;
    return parsed.name === 'hotinit' && typeof parsed.event === 'string' ? parsed : undefined;
  } catch {
    return undefined; // not JSON after all
  }
}

export class Hotinit {
  /** Lines on stdout and stderr that are not hotinit's JSON (the app's own output). */
  readonly otherOutput: string[] = [];
  private readonly run: Followed<LogLine>;

  private constructor(options: StartOptions) {
    const other = (text: string): undefined => {
      if (text.trim() !== '') this.otherOutput.push(text);
      return undefined;
    };
    this.run = new Followed([HOTINIT, ...options.args, '--', ...options.command], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, HOTINIT_NODE: process.execPath, ...options.env },
      parseLog: (text) => hotinitLine(text) ?? other(text),
      parseOut: other,
      waitsEndAtExit: true,
      context: () => this.tail(),
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

  /** hotinit's log lines so far. */
  get lines(): LogLine[] {
    return this.run.log.items;
  }

  /** hotinit's exit, once it has exited and its last lines are read. */
  get exited(): Promise<HotinitExit> {
    return this.run.exited;
  }

  get exit(): HotinitExit | null {
    return this.run.exit;
  }

  get pid(): number {
    return this.run.process.pid!;
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

  /** Resolves with the first line (at or after `from`) that satisfies `predicate`; fails if hotinit exits first. */
  waitFor(predicate: Predicate, options: WaitOptions = {}): Promise<LogLine> {
    return this.run.next(this.lines, predicate, `a log line matching ${predicate.toString()}`, options.timeoutMs ?? DEFAULT_WAIT_MS, options.from);
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
      const timer = setTimeout(() => this.run.process.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    for (const line of this.events('spawn')) {
      if (typeof line.pid === 'number' && pidExists(line.pid)) {
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
