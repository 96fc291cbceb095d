/**
 * Signal forwarding: every forwardable signal reaches the application once,
 * from hotinit; -r rewrites or drops; -g reaches the application's whole
 * process group. The application is signal-logger.py, which takes signals
 * with sigwaitinfo and prints one line per delivery ("signal N SENDER").
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { childrenOf, descendantsOf, disposeAll, FORWARDED_SIGNALS, HOTINIT, py, runInit, testEnv, type InitRun } from '../helpers/hotinit.js';

afterEach(disposeAll);

const STOP_SIGNALS = [2, 3, 15]; // INT, QUIT, TERM: forwarded, then the graceful tail
const SIGHUP = 1;
const SIGWINCH = 28;
const SIGPWR = 30;
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/** How many times the application logged signal n. */
function deliveries(run: InitRun, n: number, tag = ''): number {
  const prefix = tag ? `${tag} signal ${n} ` : `signal ${n} `;
  return run.stdout.filter((line) => line.startsWith(prefix)).length;
}

/** The sender pid of every "signal N SENDER" line. */
function senders(run: InitRun): Set<number> {
  return new Set(run.stdout.filter((l) => l.startsWith('signal ')).map((l) => Number(l.split(' ')[2])));
}

/** hotinit's pid as the application sees it (1 in its namespace). */
async function pidSeenByChild(run: InitRun): Promise<number> {
  return run.pid1 ? 1 : run.hotinitPid();
}

describe.each([true, false])('forwarding (pid1=%s)', (pid1) => {
  it('forwards each forwardable signal to the application exactly once, from hotinit', async () => {
    // Every signal but the stop signals (tested below); the last one sent also
    // ends the application, 300 ms later, so a late duplicate is still seen.
    const signals = FORWARDED_SIGNALS.filter((n) => !STOP_SIGNALS.includes(n) && n !== SIGRTMAX).concat(SIGRTMAX);
    const run = runInit(['--', ...py('signal-logger.py', '--exit-on', String(SIGRTMAX), '--linger-ms', '300')], { pid1 });
    await run.waitForStdout(/^ready /);
    for (const n of signals) {
      await run.signal(n);
      await run.waitForStdout((line) => line.startsWith(`signal ${n} `));
    }
    const exit = await run.waitForExit();
    expect(exit.code).toBe(0);
    const counts = Object.fromEntries(signals.map((n) => [n, deliveries(run, n)]));
    expect(counts).toEqual(Object.fromEntries(signals.map((n) => [n, 1])));
    expect(run.stdout.filter((l) => l.startsWith('signal ')).length).toBe(signals.length);
    expect(senders(run)).toEqual(new Set([await pidSeenByChild(run)]));
  });

  it.each(STOP_SIGNALS)('forwards stop signal %i exactly once, and exits when the application does', async (n) => {
    const run = runInit(['--', ...py('signal-logger.py', '--exit-on', String(n), '--linger-ms', '300')], { pid1 });
    await run.waitForStdout(/^ready /);
    await run.signal(n);
    const exit = await run.waitForExit();
    expect(exit.code).toBe(0);
    expect({ signal: n, deliveries: deliveries(run, n) }).toEqual({ signal: n, deliveries: 1 });
  });

  it('rewrites with -r FROM:TO', async () => {
    const run = runInit(
      ['-r', 'HUP:WINCH', '-r', 'RTMIN+1:RTMAX-1', '--', ...py('signal-logger.py', '--exit-on', String(SIGPWR))],
      { pid1 },
    );
    await run.waitForStdout(/^ready /);
    await run.signal(SIGHUP);
    await run.waitForStdout(`signal ${SIGWINCH} `);
    await run.signal(SIGRTMIN + 1);
    await run.waitForStdout(`signal ${SIGRTMAX - 1} `);
    // The sentinel is forwarded after everything sent before it.
    await run.signal(SIGPWR);
    await run.waitForExit();
    expect([deliveries(run, SIGHUP), deliveries(run, SIGRTMIN + 1)]).toEqual([0, 0]);
    expect([deliveries(run, SIGWINCH), deliveries(run, SIGRTMAX - 1)]).toEqual([1, 1]);
  });

  // Negative control for "arrives": with TO = 0 the signal is dropped, and the
  // check sees that. A later, higher-numbered sentinel proves the absence:
  // hotinit reads and forwards pending signals lowest number first.
  it('drops a signal rewritten to 0 (the check sees a signal that never arrives)', async () => {
    const run = runInit(
      ['-r', 'HUP:0', '-r', 'RTMIN+3:0', '--', ...py('signal-logger.py', '--exit-on', String(SIGPWR))],
      { pid1 },
    );
    await run.waitForStdout(/^ready /);
    await run.signal(SIGHUP);
    await run.signal(SIGWINCH);
    await run.waitForStdout(`signal ${SIGWINCH} `);
    await run.signal(SIGRTMIN + 3);
    await run.signal(SIGRTMAX);
    await run.waitForStdout(`signal ${SIGRTMAX} `);
    await run.signal(SIGPWR);
    await run.waitForExit();
    expect([deliveries(run, SIGHUP), deliveries(run, SIGRTMIN + 3)]).toEqual([0, 0]);
  });
});

// Negative control for "exactly once": the same counting sees a duplicate.
it('counts a signal delivered twice as two (the duplicate check can fail)', async () => {
  const child = spawn(py('signal-logger.py')[0]!, py('signal-logger.py', '--exit-on', String(SIGPWR)).slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const lines = new Promise<string[]>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.startsWith('ready ') && !out.includes('sent')) {
        out += 'sent\n';
        process.kill(child.pid!, SIGRTMIN + 1);
        process.kill(child.pid!, SIGRTMIN + 1);
        process.kill(child.pid!, SIGPWR);
      }
    });
    child.on('close', () => resolve(out.split('\n')));
  });
  const seen = await lines;
  expect(seen.filter((l) => l.startsWith(`signal ${SIGRTMIN + 1} `))).toHaveLength(2);
});

describe.each([true, false])('process group (pid1=%s)', (pid1) => {
  // group-relay.py: the application, with a grandchild in its process group.
  // On each signal it logs "child signal N" and sends the grandchild WINCH as
  // a sentinel; anything sent to the group reached the grandchild before that.
  async function hupThroughRelay(args: string[], env = testEnv()): Promise<InitRun> {
    const run = runInit([...args, '--', ...py('group-relay.py')], { pid1, env });
    await run.waitForStdout(/^child ready /);
    await run.signal(SIGHUP);
    await run.waitForStdout(`grandchild signal ${SIGWINCH} `);
    return run;
  }

  it('-g delivers a forwarded signal to a grandchild in the group, once', async () => {
    const run = await hupThroughRelay(['-g']);
    expect(deliveries(run, SIGHUP, 'grandchild')).toBe(1);
    expect(run.stdout.filter((l) => l === `child signal ${SIGHUP}`)).toHaveLength(1);
  });

  it('TINI_KILL_PROCESS_GROUP=1 does the same as -g', async () => {
    const run = await hupThroughRelay([], testEnv({ TINI_KILL_PROCESS_GROUP: '1' }));
    expect(deliveries(run, SIGHUP, 'grandchild')).toBe(1);
  });

  // Negative control: without -g only the application itself gets it.
  it('without -g the grandchild does not get the signal', async () => {
    const run = await hupThroughRelay([]);
    expect(run.stdout).toContain(`child signal ${SIGHUP}`);
    expect(deliveries(run, SIGHUP, 'grandchild')).toBe(0);
  });
});

describe('parent death signal', () => {
  // hotinit runs under a shell that the test kills; with -p HUP the kernel
  // sends hotinit HUP when its parent dies, and hotinit forwards it.
  async function killParent(hotinitArgs: string[]): Promise<InitRun> {
    const logger = py('signal-logger.py', '--exit-on', String(SIGWINCH)).map((a) => `'${a}'`).join(' ');
    const run = runInit([], { pid1: false, program: ['sh', '-c', `'${HOTINIT}' ${hotinitArgs.join(' ')} -- ${logger} & wait`] });
    await run.waitForStdout(/^ready /);
    const [hotinit] = childrenOf(run.process.pid!);
    onTestFinished(() => {
      for (const pid of [...descendantsOf(hotinit!), hotinit!]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already: the usual case
        }
      }
    });
    process.kill(run.process.pid!, 'SIGKILL');
    await run.waitForExit();
    // A sentinel sent afterwards: a HUP from the parent's death came first.
    process.kill(hotinit!, SIGWINCH);
    await run.waitForStdout(`signal ${SIGWINCH} `);
    return run;
  }

  it('-p HUP: hotinit gets HUP when its parent dies and forwards it', async () => {
    const run = await killParent(['-p', 'HUP']);
    expect(deliveries(run, SIGHUP)).toBe(1);
  });

  // Negative control: without -p the parent's death sends nothing.
  it('without -p the parent’s death sends nothing', async () => {
    const run = await killParent([]);
    expect(deliveries(run, SIGHUP)).toBe(0);
  });
});
