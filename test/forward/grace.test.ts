/**
 * Forward mode with an app that upgrades itself like facebookgo/grace
 * (fork+exec of a copy that inherits the listening socket, then the parent
 * drains and exits), with hotinit as PID 1: hotinit forwards USR2 and adopts
 * each copy, under load, without one failed request. Then the failure paths:
 * no successor, a successor that dies, a stale pidfile; and apps that
 * daemonize.
 */
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Load } from '../helpers/load.js';
import { FIXTURES, freePort, get, NODE, Pid1, PYTHON, tempDir } from '../reload/harness.js';

const GRACE_APP = [NODE, join(FIXTURES, 'grace-app.mjs')];
let h: Pid1 | null = null;
const loads: Load[] = [];
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const load of loads.splice(0)) await load.stop();
  await h?.kill();
  h = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** The promise, or an error after ms (a stalled load must fail with what it saw, not hang). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('forward mode: an app that upgrades itself like facebookgo/grace', () => {
  it('adopts each new copy across 10 upgrades under load, with 0 failed requests', async () => {
    const port = await freePort();
    h = await Pid1.start({ args: ['-v', '--swap-mode', 'forward', '--ready-delay', '200ms'], command: GRACE_APP, env: { PORT: String(port) } });
    await h.waitForOutput(/^listening gen=1 /);
    const keepAlive = Load.start({ mode: 'keep-alive', port, workers: 4, maxDurationMs: 90_000 });
    const fresh = Load.start({ mode: 'new-connection', port, workers: 4, maxDurationMs: 90_000 });
    loads.push(keepAlive, fresh);
    await keepAlive.waitForResponses(20);

    for (let upgrade = 1; upgrade <= 10; upgrade++) {
      const mark = h.mark();
      await h.signal('SIGUSR2');
      const done = await h.waitForLog((l) => l.event === 'swap.done', { from: mark });
      expect(done).toMatchObject({ gen: upgrade + 1, mode: 'forward' });
      await h.waitForOutput(new RegExp(`^listening gen=${upgrade + 1} pid=${done.pid}$`), { from: mark });
      // Traffic reaches the new copy before the next upgrade.
      try {
        await within(keepAlive.waitForResponses(20), 15_000, 'keep-alive responses');
        await within(fresh.waitForResponses(20), 15_000, 'new-connection responses');
      } catch (error) {
        const state = (l: Load) => `ok=${l.ok} errors=${l.errors.length} last=${JSON.stringify(l.errors.at(-1))} lastResponse=${JSON.stringify(l.responses.at(-1))}`;
        throw new Error(`${(error as Error).message} after upgrade ${upgrade} at ${Date.now()}\nkeep-alive ${state(keepAlive)}\nnew-connection ${state(fresh)}\n${h.tail(40)}\n${execSync('ps -eo pid,ppid,pgid,stat,etimes,args').toString().split('\n').filter((l) => l.includes('grace-app') || l.includes('hotinit')).join('\n')}`);
      }
    }
    const summaries = [await keepAlive.stop(), await fresh.stop()];
    loads.length = 0;
    for (const summary of summaries) {
      expect(summary.errors).toEqual([]);
      expect(summary.badStatus).toEqual([]);
    }
    expect(summaries[0]!.ok + summaries[1]!.ok).toBeGreaterThan(400);
    const answeredBy = new Set(summaries.flatMap((s) => s.responses.map((r) => r.gen)));
    expect(answeredBy.size).toBeGreaterThanOrEqual(10);
    expect(h.lines.filter((l) => l.event === 'swap.failed')).toEqual([]);
    // Each old copy was told by its successor: hotinit never had to signal one.
    expect(h.lines.filter((l) => l.event === 'drain' && l.signal !== undefined)).toEqual([]);
    expect(h.alive).toBe(true);

    // The last copy is the main process now: its exit status is the container's.
    expect(await h.stop()).toEqual({ code: 0, signal: null });
    expect(h.lines.at(-2)).toMatchObject({ event: 'exit', gen: 11, status: 0 });
  });

  it('leaves the old process alone while it drains by itself; one that stays gets --drain-signal after --drain-timeout', async () => {
    const port = await freePort();
    h = await Pid1.start({
      args: ['--swap-mode', 'forward', '--ready-delay', '200ms', '--drain-timeout', '1s'],
      command: GRACE_APP,
      env: { PORT: String(port), GRACE_UPGRADE: 'no-notify' },
    });
    await h.waitForOutput(/^listening gen=1 /);
    await h.signal('SIGUSR2');
    const waiting = await h.waitForLog((l) => l.event === 'drain' && l.msg === 'waiting for the old process to exit by itself');
    const drained = await h.waitForLog((l) => l.event === 'drain' && l.signal === 'SIGTERM');
    expect(drained).toMatchObject({ gen: 1 });
    expect((drained.time as number) - (waiting.time as number)).toBeGreaterThanOrEqual(950);
    const done = await h.waitForLog((l) => l.event === 'swap.done');
    expect(done).toMatchObject({ gen: 2, from: 1 });
    expect(await get(port)).toBe(`gen=2 pid=${done.pid}\n`);
  });

  it('logs swap.failed when no successor appears within --ready-timeout; the old process keeps serving', async () => {
    const port = await freePort();
    h = await Pid1.start({
      args: ['--swap-mode', 'forward', '--ready-delay', '200ms', '--ready-timeout', '1s'],
      command: GRACE_APP,
      env: { PORT: String(port), GRACE_UPGRADE: 'ignore' },
    });
    await h.waitForOutput(/^listening gen=1 /);
    const before = await get(port);
    await h.signal('SIGUSR2');
    const failed = await h.waitForLog((l) => l.event === 'swap.failed');
    expect(failed.reason).toBe('no successor appeared within 1s; generation 1 keeps serving');
    expect(await get(port)).toBe(before);
    expect(h.alive).toBe(true);
  });

  it('logs swap.failed when the new copy dies before it serves; the old process keeps serving', async () => {
    const port = await freePort();
    h = await Pid1.start({
      args: ['--swap-mode', 'forward', '--ready-delay', '200ms', '--ready-timeout', '1500ms'],
      command: GRACE_APP,
      env: { PORT: String(port), GRACE_UPGRADE: 'crash' },
    });
    await h.waitForOutput(/^listening gen=1 /);
    const before = await get(port);
    await h.signal('SIGUSR2');
    await h.waitForLog((l) => l.event === 'swap.failed');
    expect(await get(port)).toBe(before);
    expect(h.lines.filter((l) => l.event === 'spawn')).toHaveLength(1);
  });

  it('never trusts a stale pidfile: a live pid that is not a new process of the app is not adopted', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const pidfile = join(dir.path, 'app.pid');
    writeFileSync(pidfile, '1\n'); // alive in the namespace: hotinit itself
    const port = await freePort();
    h = await Pid1.start({
      args: ['--swap-mode', 'forward', '--ready-delay', '200ms', '--pidfile', pidfile, '--ready-timeout', '1s'],
      command: GRACE_APP,
      env: { PORT: String(port), GRACE_UPGRADE: 'ignore' },
    });
    await h.waitForOutput(/^listening gen=1 /);
    await h.signal('SIGUSR2');
    const failed = await h.waitForLog((l) => l.event === 'swap.failed');
    expect(failed.reason).toContain(`no successor appeared within 1s (--pidfile ${pidfile})`);
    expect(h.lines.filter((l) => l.event === 'spawn')).toHaveLength(1);
  });
});

describe('apps that daemonize', () => {
  const DAEMON = [PYTHON, join(FIXTURES, 'daemon.py')];

  it('with --pidfile, adopts the daemon when the main process exits 0; the daemon’s status becomes the container’s', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const pidfile = join(dir.path, 'daemon.pid');
    h = await Pid1.start({ args: ['--pidfile', pidfile], command: [...DAEMON, pidfile] });
    const adopted = await h.waitForLog((l) => l.event === 'spawn' && l.adopted === true);
    expect(adopted.gen).toBe(2);
    const line = await h.waitForOutput(/^daemon \d+$/);
    expect(line).toBe(`daemon ${adopted.pid}`);
    expect(h.alive).toBe(true);
    expect(await h.stop()).toEqual({ code: 7, signal: null });
  });

  it('negative control: without --pidfile (handoff mode) the container ends with the main process', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    h = await Pid1.start({ args: [], command: [...DAEMON, join(dir.path, 'daemon.pid')] });
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.lines.some((l) => l.adopted === true)).toBe(false);
  });
});
