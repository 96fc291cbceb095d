/**
 * Reaping: orphans re-parented to hotinit never stay zombies, whether it is
 * PID 1 or a subreaper, in a trickle or a storm, and reaping them never steals
 * the exit of a child that libuv (execa) owns.
 *
 * orphans.py counts zombies from inside: as PID 1's child in a PID namespace
 * with its own /proc, every zombie in /proc is one hotinit failed to reap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { disposeAll, fixture, jsonLines, py, runInit, runToEnd, type LogLine } from '../helpers/hotinit.js';

afterEach(disposeAll);

interface OrphanReport {
  orphans: number;
  pids: number[];
  zombies: number;
  reap_ms: number;
}

function report(stdout: string[]): OrphanReport {
  const line = stdout.find((l) => l.startsWith('{'));
  if (!line) throw new Error(`orphans.py printed no report; stdout:\n${stdout.join('\n')}`);
  return JSON.parse(line) as OrphanReport;
}

const reapWarnings = (logs: LogLine[]): number[] =>
  logs.filter((l) => l.event === 'reap' && l.level === 40).map((l) => l.pid!).sort((a, b) => a - b);

describe('orphans', () => {
  it('reaps 100 orphans left by the application as PID 1, and -w logs each one', async () => {
    const run = runInit(['-w', '--', ...py('orphans.py', '--count', '100')], { pid1: true });
    const exit = await run.waitForExit(30_000);
    expect(exit.code).toBe(0);
    const result = report(run.stdout);
    expect(result.orphans).toBe(100);
    expect(result.zombies).toBe(0);
    expect(reapWarnings(run.logs)).toEqual(result.pids);
  });

  it('registers as a child subreaper by itself when not PID 1, and says so at debug level', async () => {
    const run = runInit(['-v', '--', 'true'], { pid1: false });
    const line = await run.waitForLog((l) => l.event === 'start' && l.subreaper === true);
    expect(line).toMatchObject({ level: 20, requested: false });
    expect((await run.waitForExit()).code).toBe(0);
  });

  it('reaps 100 orphans as a subreaper (not PID 1)', async () => {
    const run = runInit(['-w', '--', ...py('orphans.py', '--count', '100', '--scope', 'orphans')], { pid1: false });
    const exit = await run.waitForExit(30_000);
    expect(exit.code).toBe(0);
    const result = report(run.stdout);
    expect(result.orphans).toBe(100);
    expect(result.zombies).toBe(0);
    expect(reapWarnings(run.logs)).toEqual(result.pids);
  });

  // Negative control: the same workload with nothing that reaps as PID 1 (the
  // workload is PID 1 itself) leaves every orphan a zombie. (A plain `sh -c`
  // as PID 1 would not do: dash reaps any child while it waits for a job.)
  // The 500 ms wait is the fixed part of proving something does not happen;
  // hotinit reaps them within milliseconds.
  it('without an init the same 100 orphans stay zombies', async () => {
    const run = runInit([], { pid1: true, program: py('orphans.py', '--count', '100', '--wait-ms', '500') });
    await run.waitForExit(30_000);
    const result = report(run.stdout);
    expect(result.orphans).toBe(100);
    expect(result.zombies).toBe(100);
  });

  it('reaps a double-fork storm of 2,000 orphans as PID 1', async () => {
    const run = runInit(['--', ...py('orphans.py', '--count', '2000', '--batch', '100', '--linger-ms', '0')], { pid1: true });
    const exit = await run.waitForExit(60_000);
    expect(exit.code).toBe(0);
    const result = report(run.stdout);
    expect(result.orphans).toBe(2000);
    expect(result.zombies).toBe(0);
  });

  it('reaps a double-fork storm of 2,000 orphans as a subreaper', async () => {
    const run = runInit(
      ['--', ...py('orphans.py', '--count', '2000', '--batch', '100', '--linger-ms', '0', '--scope', 'orphans')],
      { pid1: false },
    );
    const exit = await run.waitForExit(60_000);
    expect(exit.code).toBe(0);
    expect(report(run.stdout)).toMatchObject({ orphans: 2000, zombies: 0 });
  });

  // Negative control for the storm (fixed 500 ms wait: see above).
  it('without an init the storm leaves 2,000 zombies', async () => {
    const run = runInit([], {
      pid1: true,
      program: py('orphans.py', '--count', '2000', '--batch', '100', '--linger-ms', '0', '--wait-ms', '500'),
    });
    await run.waitForExit(60_000);
    expect(report(run.stdout)).toMatchObject({ orphans: 2000, zombies: 2000 });
  });
});

describe('reaping next to libuv children', () => {
  // libuv-storm.mjs runs hotinit's Reaper (dist/reaper.js) as PID 1, on each
  // SIGCHLD and on every turn of the event loop (so that any race with libuv
  // that can be lost is lost), raises a storm of 3,000 orphans with a shell,
  // and meanwhile runs 300 execa helpers, one every 1 ms. Not reachable from
  // the CLI yet, hence the script.
  const storm = (mode: string, lostMs: number) =>
    runToEnd(
      ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, fixture('libuv-storm.mjs'), mode, '3000', '300', '1', String(lostMs)],
      { timeoutMs: 60_000 },
    );

  it('every helper run through Helpers.run during an orphan storm gets its exit, and no zombie is left', async () => {
    const run = await storm('helpers', 10_000);
    expect(run.code).toBe(0);
    const [result] = jsonLines(run.stdout);
    expect(result).toEqual({ helpers: 300, resolved: 300, zombies: 0, orphansReaped: 3000 });
  });

  // Negative control: the same helpers started with plain execa, unknown to
  // the reaper; it reaps some of them before libuv can (about a quarter), and
  // their 'exit' never comes. 2 s is ample for an `echo` (milliseconds).
  it('helpers the reaper does not know about lose their exit', async () => {
    const run = await storm('unregistered', 2_000);
    expect(run.code).toBe(0);
    const [result] = jsonLines<{ helpers: number; resolved: number }>(run.stdout);
    expect(result!.resolved).toBeLessThan(result!.helpers);
  });
});
