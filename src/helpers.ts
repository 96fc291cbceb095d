/**
 * Helper commands (--reload-check, --verify, exec: readiness) run through
 * execa. Every one is registered with the reaper the moment it exists, so the
 * reaper never steals its exit from libuv.
 */
import type { Reaper } from './reaper.js';

// execa is loaded on first use: importing it costs ~54 ms and ~5.6 MB that
// PID 1 would pay at every start, though most containers never run a helper.
let loadExeca: Promise<typeof import('execa')> | null = null;

export interface HelperResult {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** stdout and stderr interleaved, trimmed, at most 4 KiB (for the log). */
  output: string;
}

export interface HelperRequest {
  command: string;
  env: Record<string, string | undefined>;
  timeoutMs: number;
}

const MAX_OUTPUT = 4096;

export class Helpers {
  private readonly reaper: Reaper;

  constructor(reaper: Reaper) {
    this.reaper = reaper;
  }

  /** Runs a shell command line (users write "nginx -t"); never throws for its failure. */
  async run(request: HelperRequest): Promise<HelperResult> {
    loadExeca ??= import('execa');
    const { execa } = await loadExeca;
    const subprocess = execa(request.command, {
      shell: true,
      env: request.env,
      extendEnv: false,
      all: true,
      reject: false,
      stdin: 'ignore',
      timeout: request.timeoutMs,
      killSignal: 'SIGKILL',
    });
    const pid = subprocess.pid;
    if (pid !== undefined) {
      this.reaper.adoptLibuvChild(pid);
      subprocess.nodeChildProcess.once('exit', () => setImmediate(() => this.reaper.releaseLibuvChild(pid)));
    }
    const result = await subprocess;
    const output = String(result.all ?? '').trim();
    return {
      ok: result.exitCode === 0 && !result.timedOut,
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      timedOut: result.timedOut,
      output: output.length > MAX_OUTPUT ? `${output.slice(0, MAX_OUTPUT)}…` : output,
    };
  }
}
