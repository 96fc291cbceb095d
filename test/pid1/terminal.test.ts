/**
 * hotinit on a terminal (pty-run.py puts it on a new pseudo-terminal, as
 * `docker run -t` does): the application gets the terminal's foreground
 * process group, so Ctrl-C reaches it exactly once (from the terminal, not
 * again from hotinit) and an interactive shell has job control.
 */
import { describe, expect, it } from 'vitest';
import { initArgv, jsonLines, py, runToEnd } from '../helpers/hotinit.js';

interface PtyResult {
  code: number | null;
  signal: number | null;
  output: string;
  failed_step: number | null;
  timed_out: boolean;
}

type Step = ['expect' | 'send', string];

async function onTerminal(argv: string[], steps: Step[], timeoutMs = 15_000): Promise<PtyResult> {
  const run = await runToEnd([...py('pty-run.py', '--timeout-ms', String(timeoutMs), '--steps', JSON.stringify(steps), '--'), ...argv], {
    timeoutMs: 60_000,
  });
  expect(run.code, run.stderr).toBe(0);
  return jsonLines<PtyResult>(run.stdout)[0]!;
}

const lines = (output: string): string[] => output.split(/\r?\n/);

/** Deliveries of SIGINT the application logged (the terminal echoes ^C on the same line). */
const interrupts = (output: string): number => output.match(/signal 2 \d+/g)?.length ?? 0;

/** "ready PID PGID fg=FOREGROUND" → numbers. */
function readyLine(output: string): { pgid: number; fg: number } {
  const match = /ready (\d+) (\d+) fg=(-?\d+)/.exec(output);
  if (!match) throw new Error(`no ready line in:\n${output}`);
  return { pgid: Number(match[2]), fg: Number(match[3]) };
}

const CTRL_C = '\u0003';
const logger = py('signal-logger.py', '--exit-on', '2', '--die', '--linger-ms', '300');
const ctrlC: Step[] = [['expect', 'ready '], ['send', CTRL_C]];
const quiet = ['--log-level', 'warn'];

describe.each([false, true])('on a terminal (pid1=%s)', (pid1) => {
  it('makes the application the foreground group; Ctrl-C reaches it exactly once and hotinit exits 130', async () => {
    const result = await onTerminal(initArgv([...quiet, '--', ...logger], pid1), ctrlC);
    expect(result).toMatchObject({ failed_step: null, timed_out: false, code: 130 });
    const { pgid, fg } = readyLine(result.output);
    expect(fg).toBe(pgid);
    expect(interrupts(result.output)).toBe(1);
  });

  it('gives sh -i job control: a background job in its own group, kill %1 works', async () => {
    const steps: Step[] = [
      ['expect', '# '],
      ['send', 'PS1=PRO; PS1="${PS1}MPT> "\n'], // the echoed line must not contain the prompt
      ['expect', 'PROMPT> '],
      ['send', 'sleep 30 &\n'],
      ['expect', 'PROMPT> '],
      ['send', 'echo job $(ps -o pgid= -p $!) shell $(ps -o pgid= -p $$) fg $(ps -o tpgid= -p $$)\n'],
      ['expect', 'PROMPT> '],
      ['send', 'jobs\n'],
      ['expect', 'PROMPT> '],
      ['send', 'kill %1 && wait %1; echo "waited $?"\n'],
      ['expect', 'PROMPT> '],
      ['send', 'exit 5\n'],
    ];
    const result = await onTerminal(initArgv([...quiet, '--', 'sh', '-i'], pid1), steps);
    expect(result).toMatchObject({ failed_step: null, timed_out: false, code: 5 });
    expect(result.output).not.toContain('job control turned off');
    const groups = /^job\s+(\d+) shell\s+(\d+) fg\s+(-?\d+)/m.exec(result.output);
    expect(groups, result.output).not.toBeNull();
    const [, job, shell, fg] = groups!.map(Number);
    expect(job).not.toBe(shell); // the job got a process group of its own
    expect(fg).toBe(shell); // and the shell holds the terminal
    expect(result.output).toMatch(/\[1\] \+ Running\s+sleep 30/);
    expect(lines(result.output)).toContain('waited 143');
  });
});

describe('negative controls (naive inits that the same checks catch)', () => {
  it('a child in its own process group without the terminal is not the foreground group', async () => {
    const result = await onTerminal(py('naive-init.py', '--mode', 'own-group', '--', ...logger), ctrlC);
    const { pgid, fg } = readyLine(result.output);
    expect(fg).not.toBe(pgid);
  });

  it('a child in the init’s own group gets Ctrl-C twice from a forwarding init', async () => {
    const result = await onTerminal(py('naive-init.py', '--mode', 'same-group', '--forward-delay-ms', '50', '--', ...logger), ctrlC);
    expect(interrupts(result.output)).toBe(2);
  });

  it('sh -i in a new session without the terminal has no job control', async () => {
    const steps: Step[] = [
      ['expect', '# '],
      ['send', 'sleep 30 &\n'],
      ['expect', '# '],
      ['send', 'kill %1 && wait %1; echo "waited $?"\n'],
      ['expect', 'waited'],
      ['send', 'kill $!; exit 5\n'],
    ];
    const result = await onTerminal(py('naive-init.py', '--mode', 'new-session', '--', 'sh', '-i'), steps);
    expect(result.output).toContain('job control turned off');
    expect(lines(result.output)).not.toContain('waited 143');
  });
});
