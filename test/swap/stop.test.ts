/**
 * SPEC "Swap": TERM during a swap stops every generation, and hotinit exits
 * with the status of the serving generation (SPEC "Exit status": the main
 * child's; the serving generation is the main child until a swap completes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, Hotinit, isAlive, nodeAppScript, PYTHON, tempDir, waitForFile } from '../helpers/swap-harness.js';

let hotinit: Hotinit | null = null;
const cleanups: Array<() => void> = [];

afterEach(async () => {
  await hotinit?.stop();
  hotinit = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Command `app` (version 1) and staged `app.new` (version 2); each generation exits 10+gen once drained. */
function stagedApp(env1: Record<string, string>, env2: Record<string, string>) {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const base = { APP_DRAIN_EXIT_BASE: '10' };
  const app = nodeAppScript(`${dir.path}/app`, 'versioned-app.mjs', { APP_VERSION: '1', ...base, ...env1 });
  const stage = nodeAppScript(`${dir.path}/app.new`, 'versioned-app.mjs', { APP_VERSION: '2', ...base, ...env2 });
  return { dir: dir.path, app, stage, v1: readFileSync(app, 'utf8'), v2: readFileSync(stage, 'utf8') };
}

describe('TERM in the middle of a swap', () => {
  it('while the new generation is starting: both stop, the exit status is generation 1\'s, the stage is rolled back', async () => {
    const files = stagedApp({}, { APP_BEHAVIOUR: 'never-ready' });
    const h = (hotinit = await Hotinit.start({
      args: ['-l', 'tcp://127.0.0.1:0', '--ready', 'fd', '--stage', files.stage, '--stop-timeout', '5s'],
      command: [files.app],
    }));
    const from = h.mark();
    h.signal('SIGUSR2');
    await h.waitFor((l) => l.event === 'spawn' && l.gen === 2, { from });
    const [gen1, gen2] = [h.pidOf(1), h.pidOf(2)];
    h.signal('SIGTERM');
    const exit = await h.exited;
    expect(exit, h.tail()).toEqual({ code: 11, signal: null });
    const failed = h.events('swap.failed', from);
    expect(failed.length, h.tail()).toBe(1);
    expect(String(failed[0]!.reason)).toMatch(/stopping/);
    expect(h.events('swap.done', from)).toEqual([]);
    expect(isAlive(gen1)).toBe(false);
    expect(isAlive(gen2)).toBe(false);
    expect(readFileSync(files.app, 'utf8')).toBe(files.v1);
    expect(readFileSync(`${files.stage}.rejected`, 'utf8')).toBe(files.v2);
    expect(existsSync(files.stage)).toBe(false);
  });

  it('while the old generation is draining: both stop, the exit status is generation 2\'s (it serves now)', async () => {
    // Generation 1 ignores its drain signal (and TERM), so it is still there when TERM comes.
    const files = stagedApp({ APP_BEHAVIOUR: 'ignore-drain' }, {});
    const h = (hotinit = await Hotinit.start({
      args: ['-l', 'tcp://127.0.0.1:0', '--ready', 'fd', '--stage', files.stage, '--drain-timeout', '30s', '--stop-timeout', '1s'],
      command: [files.app],
    }));
    const from = h.mark();
    h.signal('SIGUSR2');
    await h.waitFor((l) => l.event === 'swap.done' && l.gen === 2, { from });
    await h.waitFor((l) => l.event === 'drain' && l.gen === 1 && l.signal === 'SIGTERM', { from });
    const [gen1, gen2] = [h.pidOf(1), h.pidOf(2)];
    h.signal('SIGTERM');
    const exit = await h.exited;
    expect(exit, h.tail()).toEqual({ code: 12, signal: null });
    expect(isAlive(gen1)).toBe(false); // SIGKILLed at --stop-timeout
    expect(isAlive(gen2)).toBe(false);
    expect(readFileSync(files.app, 'utf8')).toBe(files.v2);
    expect(readFileSync(`${files.app}.prev`, 'utf8')).toBe(files.v1);
  });

  it('while --verify runs: the staged binary is not installed once the container is stopping', async () => {
    const files = stagedApp({}, {});
    const marker = `${files.dir}/verifying`;
    // A verifier that outlives the TERM hotinit's graceful tail sends it, then approves.
    const verify = `trap '' TERM; touch '${marker}'; sleep 1; true`;
    const h = (hotinit = await Hotinit.start({
      args: ['-l', 'tcp://127.0.0.1:0', '--ready', 'fd', '--stage', files.stage, '--verify', verify, '--stop-timeout', '5s'],
      command: [files.app],
    }));
    const from = h.mark();
    h.signal('SIGUSR2');
    await waitForFile(marker);
    h.signal('SIGTERM');
    const exit = await h.exited;
    expect(exit, h.tail()).toEqual({ code: 11, signal: null });
    expect(h.events('spawn', from)).toEqual([]);
    expect(readFileSync(files.app, 'utf8'), 'the command\'s binary was replaced by the staged one').toBe(files.v1);
  });

  it('a USR2 that arrives while stopping starts no swap and is not forwarded to the app', async () => {
    // Generation 1 ignores TERM (it stays until --stop-timeout) and has no USR2 listener:
    // a forwarded USR2 would kill it (exit 140) instead of the SIGKILL at --stop-timeout (137).
    const files = stagedApp({ APP_BEHAVIOUR: 'ignore-drain' }, {});
    const h = (hotinit = await Hotinit.start({
      args: ['-v', '-l', 'tcp://127.0.0.1:0', '--ready', 'fd', '--stage', files.stage, '--stop-timeout', '1s'],
      command: [files.app],
    }));
    const from = h.mark();
    h.signal('SIGTERM');
    // (-v) the graceful tail has begun: hotinit knows it is stopping.
    await h.waitFor((l) => l.event === 'exit' && /SIGTERM/.test(String(l.reason)), { from });
    h.signal('SIGUSR2');
    const exit = await h.exited;
    expect(exit, h.tail()).toEqual({ code: 128 + 9, signal: null });
    expect(h.events('spawn', from)).toEqual([]);
    expect(readFileSync(files.app, 'utf8')).toBe(files.v1);
    expect(readFileSync(files.stage, 'utf8')).toBe(files.v2);
  });
});

describe('stopping', () => {
  it('the serving generation gets TERM once, not once forwarded and again from the graceful tail', async () => {
    const h = (hotinit = await Hotinit.start({
      args: ['--ready', 'fd'],
      command: [PYTHON, `${FIXTURES}/term-counter.py`],
    }));
    h.signal('SIGTERM');
    // term-counter exits 10 + the number of TERMs it received.
    expect(await h.exited, h.tail()).toEqual({ code: 11, signal: null });
  });
});
