/**
 * The graceful tail: when the application exits (or TERM/INT/QUIT arrives),
 * hotinit signals what is left, waits for it, exits the moment the last
 * process is gone with the application's status, and SIGKILLs leftovers at
 * --stop-timeout. Timings come from hotinit's own log lines (epoch ms).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { disposeAll, isAlive, py, runInit, type InitRun } from '../helpers/hotinit.js';

afterEach(disposeAll);

/** ms from the application's exit to hotinit's own last line. */
function tailMs(run: InitRun): number {
  const appExit = run.logs.find((l) => l.event === 'exit' && l.msg === 'application exited');
  const lastLine = run.logs.filter((l) => l.event === 'exit').at(-1);
  if (!appExit || !lastLine) throw new Error(`missing exit lines:\n${JSON.stringify(run.logs, null, 1)}`);
  return (lastLine.time as number) - (appExit.time as number);
}

/** The application: starts worker.py in the background, waits for it to be ready, exits 3. */
const leavesWorker = (...workerArgs: string[]) => ['--', ...py('spawn-and-exit.py', '3', ...py('worker.py', ...workerArgs))];

describe.each([true, false])('after the application exits (pid1=%s)', (pid1) => {
  it("lets a grandchild's 300 ms TERM handler finish, then exits with the application's status at once", async () => {
    const run = runInit(leavesWorker('--stop-ms', '300'), { pid1 });
    const exit = await run.waitForExit(20_000);
    expect(exit.code).toBe(3);
    expect(run.stdout).toEqual(expect.arrayContaining(['parent exiting 3', 'worker stopping', 'worker finished']));
    const ms = tailMs(run);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(3000); // the default --stop-timeout is 8 s: no waiting for it
  });

  // Negative control: the same check fails when the handler is cut short.
  it('a --stop-timeout shorter than the handler cuts it short', async () => {
    const run = runInit(['--stop-timeout', '100ms', ...leavesWorker('--stop-ms', '300')], { pid1 });
    const exit = await run.waitForExit(20_000);
    expect(exit.code).toBe(3);
    expect(run.stdout).toContain('worker stopping');
    expect(run.stdout).not.toContain('worker finished');
  });

  it('SIGKILLs a grandchild that ignores TERM at --stop-timeout, not before, and exits then', async () => {
    const run = runInit(['--stop-timeout', '1s', ...leavesWorker('--ignore-term')], { pid1 });
    const ready = await run.waitForStdout(/^worker ready /);
    const workerPid = Number(ready.split(' ')[2]);
    const exit = await run.waitForExit(20_000);
    expect(exit.code).toBe(3);
    expect(run.stdout).toContain('worker ignored TERM');
    const ms = tailMs(run);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThanOrEqual(3000);
    // As a subreaper nothing outlives hotinit either (as PID 1 the kernel
    // would kill the namespace anyway; there the pid is the namespace's).
    if (!pid1) expect(isAlive(workerPid)).toBe(false);
  });
});

// Negative control for "nothing outlives": tini exits as soon as its child
// does and leaves the TERM-ignoring worker running.
it('tini, by contrast, leaves the worker running (the survivor check can fail)', async () => {
  const run = runInit([], { pid1: false, program: ['tini', '-s', ...leavesWorker('--ignore-term')] });
  const ready = await run.waitForStdout(/^worker ready /);
  const workerPid = Number(ready.split(' ')[2]);
  const exit = await run.waitForExit(20_000);
  expect(exit.code).toBe(3);
  try {
    expect(isAlive(workerPid)).toBe(true);
  } finally {
    process.kill(workerPid, 'SIGKILL');
  }
});

describe.each([true, false])('on TERM (pid1=%s)', (pid1) => {
  it("waits for the application's TERM handler and exits with its status", async () => {
    const run = runInit(['--', ...py('worker.py', '--stop-ms', '300')], { pid1 });
    await run.waitForStdout(/^worker ready /);
    await run.signal('SIGTERM');
    const exit = await run.waitForExit(20_000);
    expect(exit.code).toBe(0);
    expect(run.stdout).toContain('worker finished');
  });

  it('SIGKILLs an application that ignores TERM at --stop-timeout and exits 137', async () => {
    const run = runInit(['--stop-timeout', '1s', '--', ...py('worker.py', '--ignore-term')], { pid1 });
    await run.waitForStdout(/^worker ready /);
    const sentAt = Date.now();
    await run.signal('SIGTERM');
    const exit = await run.waitForExit(20_000);
    expect(exit.code).toBe(137);
    expect(exit.at - sentAt).toBeGreaterThanOrEqual(950);
    expect(exit.at - sentAt).toBeLessThan(4000);
  });
});
