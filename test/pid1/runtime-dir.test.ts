/**
 * hotinit's runtime directory (its notify sockets) outlives a SIGKILLed
 * hotinit; the next hotinit that starts beside it removes it, and never the
 * directory of one that is still running.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { disposeAll, pollFor, runInit, testEnv, type InitRun } from '../helpers/hotinit.js';

const base = mkdtempSync(join(tmpdir(), 'hotinit-rundirs-'));
const runs: InitRun[] = [];
afterEach(() => {
  for (const run of runs.splice(0)) run.dispose();
  disposeAll();
});

const args = ['--control', 'off', '--', 'sleep', '60'];
const env = testEnv({ HOTINIT_RUNTIME_DIR: base });
const dirs = () => new Set(readdirSync(base).filter((name) => name.startsWith('hotinit-run-')));

/** Starts a hotinit (PID 1 of its own namespace) and returns it with the runtime directory it made. */
async function start(): Promise<{ run: InitRun; dir: string }> {
  const before = dirs();
  const run = runInit(args, { pid1: true, env });
  runs.push(run);
  await run.waitForLog((line) => line.event === 'spawn');
  const made = [...dirs()].filter((name) => !before.has(name));
  expect(made).toHaveLength(1);
  return { run, dir: join(base, made[0]!) };
}

it('removes the directory of a SIGKILLed hotinit, not that of a live one or a foreign one', async () => {
  try {
    const killed = await start();
    const live = await start();
    const foreign = join(base, 'hotinit-run-not-ours');
    mkdirSync(foreign);

    await killed.run.signal('SIGKILL');
    await killed.run.waitForExit();
    expect(dirs()).toEqual(new Set([basename(killed.dir), basename(live.dir), basename(foreign)])); // the killed one's stays

    // A socket bound less than a second ago may not be listening yet, so the
    // sweep only judges older ones: wait until the killed one's is.
    const owner = join(killed.dir, 'owner.sock');
    await pollFor('owner.sock to be a second old', () => Date.now() - lstatSync(owner).ctimeMs > 1_100);

    const sweeper = await start();
    const removed = await sweeper.run.waitForLog((line) => Array.isArray(line.removed));
    expect(removed.removed).toEqual([killed.dir]);
    expect([...dirs()].map((name) => join(base, name)).sort()).toEqual([foreign, live.dir, sweeper.dir].sort());
    expect(live.run.hasExited).toBe(false);

    // And a hotinit that exits removes its own.
    await live.run.signal('SIGTERM');
    expect((await live.run.waitForExit()).code).toBe(143);
    expect(dirs().has(basename(live.dir))).toBe(false);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
