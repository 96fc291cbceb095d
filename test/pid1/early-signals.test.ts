/**
 * Signals in hotinit's first milliseconds, as PID 1 of a new PID namespace.
 *
 * exec-race.py starts hotinit as PID 1 of a new namespace and learns the
 * moment its execve succeeded from a CLOEXEC pipe; it then waits a random
 * 0-2 ms and sends the signal. Just before sending it reads the init's SigBlk:
 * while the launcher's own first instructions have not run yet, the signal is
 * not blocked and the kernel drops it (default disposition, PID 1) before any
 * code of hotinit's could act — no init can help that (tini loses the same
 * share of such sends: npm run bench:early-signals), so such a run is not
 * judged, but it must be the launcher that was running then, never Node.
 * Every run where the signal was already held must end with the application
 * killed by it (sleep 30 → 143).
 */
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HOTINIT, jsonLines, py, runToEnd } from '../helpers/hotinit.js';

interface Race {
  run: number;
  delay_us: number;
  sent_us: number;
  blocked: boolean | null;
  exe: string | null;
  code: number | null;
  signal: number | null;
  timed_out: boolean;
  listener: boolean | null;
  ready: boolean | null;
}

const SIGUSR1 = 10;
const SIGTERM = 15;
const LAUNCHER = realpathSync(HOTINIT);

/** The runs, and everything the inits wrote on stderr (for failure messages). */
async function race(harnessArgs: string[], argv: string[], timeoutMs = 120_000): Promise<Race[] & { stderr: string }> {
  const run = await runToEnd([...py('exec-race.py', ...harnessArgs), '--', ...argv], { timeoutMs });
  expect(run.code, run.stderr).toBe(0);
  return Object.assign(jsonLines<Race>(run.stdout), { stderr: run.stderr });
}

function summary(label: string, runs: Race[]): string {
  const judged = runs.filter((r) => r.blocked !== false);
  const lost = judged.filter((r) => r.code !== 143 || r.timed_out);
  return `${label}: ${runs.length} runs, ${judged.length} judged, ${runs.length - judged.length} sent before the launcher blocked signals, ${lost.length} lost`;
}

describe('SIGTERM 0-2 ms after execve', () => {
  it('is never lost once hotinit holds it, with and without -g (100 judged runs each)', async () => {
    const args = ['--runs', '100', '--only-blocked', '--signal', String(SIGTERM), '--min-us', '0', '--max-us', '2000', '--timeout-ms', '5000'];
    const [plain, group] = await Promise.all([
      race(args, [HOTINIT, '--log-level', 'error', '--', 'sleep', '30']),
      race(args, [HOTINIT, '-g', '--log-level', 'error', '--', 'sleep', '30']),
    ]);
    console.info(summary('without -g', plain));
    console.info(summary('with -g', group));
    for (const runs of [plain, group]) {
      const judged = runs.filter((r) => r.blocked !== false); // null: the init was gone already (judged: it failed)
      expect(judged).toHaveLength(100);
      // The harness does reach the earliest window: some sends even beat the launcher.
      expect(runs.length).toBeGreaterThan(judged.length);
      expect(judged.filter((r) => r.code !== 143 || r.timed_out), runs.stderr).toEqual([]);
      // Unblocked at send time only while the launcher itself was starting.
      expect(runs.filter((r) => r.blocked === false && r.exe !== LAUNCHER).map((r) => r.exe)).toEqual([]);
    }
  });

  // Negative control: the same harness and check with an init whose TERM
  // handler comes late (a shell that sets its trap 50 ms after it starts, as
  // a slow init would): every TERM sent in the window is lost, and seen so.
  it('is lost by an init that installs its handler late (the check can fail)', async () => {
    const runs = await race(
      ['--runs', '10', '--signal', String(SIGTERM), '--min-us', '0', '--max-us', '2000', '--timeout-ms', '5000'],
      ['sh', '-c', 'sleep 0.05; trap "exit 7" TERM; sleep 0.3 & wait'],
    );
    expect(runs.map((r) => r.code)).toEqual(runs.map(() => 0)); // 0: the sleep ended, no trap ran
  });
});

describe('SIGUSR1 never opens the inspector', () => {
  // hotinit's child ignores USR1 (inherited SIG_IGN, which hotinit restores),
  // so whatever hotinit does with USR1 the run goes on and can be watched.
  // Each run watches hotinit's network namespace for 300 ms after hotinit is
  // up (its child printed "up"): Node opens 127.0.0.1:9229 within a few ms
  // of a USR1 it handles (the negative control below), so 300 ms is ample.
  const hotinit = [HOTINIT, '--log-level', 'error', '--', 'sh', '-c', 'echo up; exec sleep 30'];
  const watch = ['--signal', String(SIGUSR1), '--netns', '--ignore', String(SIGUSR1), '--observe-port', '9229', '--observe-ms', '300', '--stop', String(SIGTERM), '--timeout-ms', '10000'];

  it('when sent in the first 2 ms after execve', async () => {
    const runs = await race(['--runs', '15', '--only-blocked', '--min-us', '0', '--max-us', '2000', ...watch], hotinit);
    const judged = runs.filter((r) => r.blocked !== false);
    expect(judged).toHaveLength(15);
    expect(judged.map((r) => ({ ready: r.ready, listener: r.listener, code: r.code, r })), runs.stderr).toEqual(
      judged.map((r) => ({ ready: true, listener: false, code: 143, r })),
    );
    expect(runs.filter((r) => r.blocked === false && r.exe !== LAUNCHER)).toEqual([]);
  });

  it('when sent once hotinit is up', async () => {
    const runs = await race(['--runs', '3', '--after-ready', '--min-us', '0', '--max-us', '0', ...watch], hotinit);
    expect(runs.map((r) => ({ ready: r.ready, listener: r.listener, code: r.code }))).toEqual(
      runs.map(() => ({ ready: true, listener: false, code: 143 })),
    );
  });

  // Negative control: plain Node does open it, and the watch sees that.
  it('whereas plain node opens 127.0.0.1:9229 on SIGUSR1 (the check can fail)', async () => {
    const runs = await race(
      ['--runs', '2', '--after-ready', '--min-us', '0', '--max-us', '0', '--signal', String(SIGUSR1), '--netns', '--observe-port', '9229', '--observe-ms', '300', '--stop', '9'],
      [process.execPath, '-e', "console.log('up'); setInterval(() => {}, 1000)"],
    );
    expect(runs.map((r) => r.listener)).toEqual([true, true]);
  });
});
