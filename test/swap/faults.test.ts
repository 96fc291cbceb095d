/**
 * SPEC "Swap", failure paths: a swap that fails (staged binary invalid, new
 * generation exits, never ready) leaves the old generation serving, untouched,
 * is logged as swap.failed with the reason and the new generation's exit
 * status, and puts the previous binary back. Each runs under load (keep-alive
 * and new-connection at once) and must cost no request.
 */
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { describeLoad, Load } from '../helpers/load.js';
import {
  FIXTURES,
  Hotinit,
  isAlive,
  nodeAppScript,
  responsesFromDeadGenerations,
  tempDir,
} from '../helpers/swap-harness.js';

const HTTP_APP = ['node', `${FIXTURES}/http-app.mjs`];
const VERSIONED_APP = ['node', `${FIXTURES}/versioned-app.mjs`];
let hotinit: Hotinit | null = null;
let loads: Load[] = [];
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const load of loads.splice(0)) await load.stop();
  await hotinit?.stop();
  hotinit = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function startWithLoad(args: string[], command: string[], env: Record<string, string> = {}): Promise<Hotinit> {
  const h = (hotinit = await Hotinit.start({ args: ['-l', 'tcp://127.0.0.1:0', ...args], command, env }));
  loads = [
    Load.start({ mode: 'keep-alive', port: h.port, workers: 4, maxDurationMs: 60_000 }),
    Load.start({ mode: 'new-connection', port: h.port, workers: 4, maxDurationMs: 60_000 }),
  ];
  await Promise.all(loads.map((load) => load.waitForResponses(20)));
  return h;
}

/** After the failure has settled: the next responses, on both kinds of connection, all come from `gen`. */
async function expectServedOnlyBy(gen: number, body?: RegExp): Promise<void> {
  const since = Date.now();
  for (const load of loads) {
    const after = await load.waitForResponses(30, since);
    expect(new Set(after.map((r) => r.gen))).toEqual(new Set([gen]));
    if (body) for (const r of after) expect(r.body).toMatch(body);
  }
}

/** Stops the load: not one error, every response from a generation alive at the time. */
async function expectNoErrors(h: Hotinit): Promise<void> {
  for (const load of loads.splice(0)) {
    const summary = await load.stop();
    const text = describeLoad(summary);
    expect(summary.errors, text).toEqual([]);
    expect(summary.badStatus, text).toEqual([]);
    expect(responsesFromDeadGenerations(summary.responses, h.lines), text).toEqual([]);
  }
}

/** A temp dir with the command `app` (version 1) and a staged `app.new` (version 2, with `env2`). */
function stagedApp(env1: Record<string, string> = {}, env2: Record<string, string> = {}) {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const app = nodeAppScript(`${dir.path}/app`, 'versioned-app.mjs', { APP_VERSION: '1', ...env1 });
  const stage = nodeAppScript(`${dir.path}/app.new`, 'versioned-app.mjs', { APP_VERSION: '2', ...env2 });
  const v1 = readFileSync(app, 'utf8');
  const v2 = readFileSync(stage, 'utf8');
  return { dir: dir.path, app, stage, v1, v2 };
}

function expectRolledBack(files: ReturnType<typeof stagedApp>, h: Hotinit, from: number): void {
  expect(readFileSync(files.app, 'utf8')).toBe(files.v1);
  expect(readFileSync(`${files.stage}.rejected`, 'utf8')).toBe(files.v2);
  expect(existsSync(files.stage)).toBe(false);
  expect(h.events('rollback', from).length, h.tail()).toBe(1);
}

describe('a failed swap leaves the old generation serving', () => {
  it('new generation crashes at start: swap.failed with its exit status, generation 1 serves on', async () => {
    const h = await startWithLoad(['--ready', 'fd'], HTTP_APP, { APP_BEHAVIOUR: 'crash-at-start' });
    const outcome = await h.swap();
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.failed', gen: 1 });
    expect(String(outcome.reason)).toMatch(/generation 2 exited with status 3 before it was ready/);
    await expectServedOnlyBy(1);
    await expectNoErrors(h);
    expect(isAlive(h.pidOf(1))).toBe(true);
  });

  it('new generation never ready: fails at --ready-timeout, the candidate is drained, generation 1 serves on', async () => {
    const h = await startWithLoad(['--ready', 'fd', '--ready-timeout', '1s'], HTTP_APP, { APP_BEHAVIOUR: 'never-ready' });
    const from = h.mark();
    const outcome = await h.swap();
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.failed', gen: 1 });
    expect(String(outcome.reason)).toMatch(/generation 2 not ready after 1s/);
    // It listened and may hold connections: it gets the drain signal, not SIGKILL.
    const signalled = await h.waitFor((l) => l.event === 'drain' && l.gen === 2 && l.signal === 'SIGTERM', { from });
    const gone = await h.waitGone(2, { from });
    expect(gone).toMatchObject({ event: 'drain', gen: 2, exit: 'status 0' });
    expect(signalled).toBeDefined();
    expect(h.events('ready', from)).toEqual([]);
    await expectServedOnlyBy(1);
    await expectNoErrors(h);
  });

  it('new generation says ready, then crashes before the old one is drained: generation 1 serves on', async () => {
    const h = await startWithLoad(['--ready', 'fd'], HTTP_APP, { APP_BEHAVIOUR: 'ready-then-crash' });
    const from = h.mark();
    h.signal('SIGUSR2');
    const outcome = await h.waitFor((l) => l.event === 'swap.done' || l.event === 'swap.failed', { from });
    if (outcome.event === 'swap.done') await h.exited; // the container died with it: show the whole story
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.failed', gen: 1 });
    expect(String(outcome.reason)).toMatch(/status 4/);
    expect(h.exit).toBeNull();
    await expectServedOnlyBy(1);
    await expectNoErrors(h);
  });

  it('old generation ignores the drain signal: SIGKILLed at --drain-timeout, and gone', async () => {
    // Not http-app.mjs's ignore-drain: that one exits by itself once drained (its event loop empties).
    const h = await startWithLoad(['--ready', 'fd', '--drain-timeout', '1s'], VERSIONED_APP, {
      APP_BEHAVIOUR: 'ignore-drain',
      APP_FAULT_GEN: '1',
    });
    const gen1 = h.pidOf(1);
    const from = h.mark();
    h.signal('SIGUSR2');
    const done = await h.waitFor((l) => l.event === 'swap.done', { from });
    expect(done).toMatchObject({ gen: 2, from: 1 });
    const drainSent = await h.waitFor((l) => l.event === 'drain' && l.gen === 1 && l.signal === 'SIGTERM', { from });
    const gone = await h.waitGone(1, { from, timeoutMs: 10_000 });
    expect(gone).toMatchObject({ event: 'drain', gen: 1, exit: 'signal SIGKILL' });
    expect(gone.time - drainSent.time).toBeGreaterThanOrEqual(950);
    expect(gone.time - drainSent.time).toBeLessThan(3000);
    expect(isAlive(gen1)).toBe(false);
    await expectServedOnlyBy(2);
    await expectNoErrors(h);
  });

  it('10 USR2 within 100 ms: one swap and one coalesced follow-up, no more', async () => {
    // slow-start: each swap takes > 300 ms, so all ten arrive during the first.
    const h = await startWithLoad(['--ready', 'fd'], HTTP_APP, { APP_BEHAVIOUR: 'slow-start' });
    const from = h.mark();
    for (let i = 0; i < 10; i++) {
      h.signal('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const second = await h.waitFor((l) => l.event === 'swap.done' && l.gen === 3, { from });
    expect(second.from).toBe(2);
    await h.waitGone(2, { from });
    // A marker swap: had a third one been queued, it would take generation 4 first.
    const marker = h.mark();
    const outcome = await h.swap();
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.done', gen: 4, from: 3 });
    expect(h.events('spawn', from).map((l) => l.gen)).toEqual([2, 3, 4]);
    expect(h.events('swap.done', from).map((l) => l.gen)).toEqual([2, 3, 4]);
    expect(h.events('swap.failed', from)).toEqual([]);
    expect(h.events('spawn', marker).map((l) => l.gen)).toEqual([4]);
    await expectNoErrors(h);
  });
});

describe('staged binary (--stage, --verify)', () => {
  it('a staged binary that passes --verify is installed: generation 2 runs version 2, the old one is kept as .prev', async () => {
    const files = stagedApp({}, { APP_SIGNED: 'SIGNED' });
    const h = await startWithLoad(['--ready', 'fd', '--stage', files.stage, '--verify', 'grep -q SIGNED'], [files.app]);
    const outcome = await h.swap();
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.done', gen: 2 });
    await expectServedOnlyBy(2, /version=2/);
    expect(readFileSync(files.app, 'utf8')).toBe(files.v2);
    expect(readFileSync(`${files.app}.prev`, 'utf8')).toBe(files.v1);
    expect(existsSync(files.stage)).toBe(false);
    expect(h.events('rollback')).toEqual([]);
    // Nothing staged any more: the next swap restarts the same (new) binary.
    expect(await h.swap()).toMatchObject({ event: 'swap.done', gen: 3 });
    await expectServedOnlyBy(3, /version=2/);
    await expectNoErrors(h);
  });

  it('a staged file that is not executable is refused before anything starts; the binary is untouched', async () => {
    const files = stagedApp();
    chmodSync(files.stage, 0o644);
    const h = await startWithLoad(['--ready', 'fd', '--stage', files.stage], [files.app]);
    const from = h.mark();
    const outcome = await h.swap();
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.failed', gen: 1 });
    expect(String(outcome.reason)).toMatch(/not executable/);
    expect(h.events('spawn', from)).toEqual([]);
    expect(readFileSync(files.app, 'utf8')).toBe(files.v1);
    expect(existsSync(`${files.app}.prev`)).toBe(false);
    await expectServedOnlyBy(1, /version=1/);
    await expectNoErrors(h);
  });

  it('a staged binary that fails --verify is refused with the verifier\'s status; the binary is untouched', async () => {
    const files = stagedApp(); // version 2 is not SIGNED
    const h = await startWithLoad(['--ready', 'fd', '--stage', files.stage, '--verify', 'grep -q SIGNED'], [files.app]);
    const from = h.mark();
    const outcome = await h.swap();
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.failed', gen: 1 });
    expect(String(outcome.reason)).toMatch(/--verify exited with 1/);
    expect(h.events('spawn', from)).toEqual([]);
    expect(readFileSync(files.app, 'utf8')).toBe(files.v1);
    await expectServedOnlyBy(1, /version=1/);
    await expectNoErrors(h);
  });

  it.each([
    { name: 'not executable', args: [], prepare: (stage: string) => chmodSync(stage, 0o644) },
    { name: 'refused by --verify', args: ['--verify', 'grep -q SIGNED'], prepare: () => {} },
  ])('a staged file $name is moved aside to <stage>.rejected, like one whose generation failed', async ({ args, prepare }) => {
    const files = stagedApp();
    prepare(files.stage);
    const h = await startWithLoad(['--ready', 'fd', '--stage', files.stage, ...args], [files.app]);
    expect(await h.swap()).toMatchObject({ event: 'swap.failed', gen: 1 });
    expect(readFileSync(files.app, 'utf8')).toBe(files.v1);
    expect(existsSync(`${files.stage}.rejected`), 'no <stage>.rejected').toBe(true);
    expect(readFileSync(`${files.stage}.rejected`, 'utf8')).toBe(files.v2);
    expect(existsSync(files.stage)).toBe(false);
    await expectNoErrors(h);
  });

  it('a staged binary that crashes at start is rolled back (kept as <stage>.rejected); USR2 then restarts version 1', async () => {
    const files = stagedApp({}, { APP_BEHAVIOUR: 'crash-at-start' });
    const h = await startWithLoad(['--ready', 'fd', '--stage', files.stage], [files.app]);
    const from = h.mark();
    const outcome = await h.swap();
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.failed', gen: 1 });
    expect(String(outcome.reason)).toMatch(/generation 2 exited with status 3/);
    expectRolledBack(files, h, from);
    await expectServedOnlyBy(1, /version=1/);
    // The stage path is empty now: the next swap is a plain restart of the restored binary.
    expect(await h.swap()).toMatchObject({ event: 'swap.done', gen: 3, from: 1 });
    await expectServedOnlyBy(3, /version=1/);
    await expectNoErrors(h);
  });

  it('a staged binary that is never ready is rolled back, and its generation drained', async () => {
    const files = stagedApp({}, { APP_BEHAVIOUR: 'never-ready' });
    const h = await startWithLoad(['--ready', 'fd', '--ready-timeout', '1s', '--stage', files.stage], [files.app]);
    const from = h.mark();
    const outcome = await h.swap();
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.failed', gen: 1 });
    expect(String(outcome.reason)).toMatch(/not ready after 1s/);
    await h.waitGone(2, { from });
    expectRolledBack(files, h, from);
    await expectServedOnlyBy(1, /version=1/);
    await expectNoErrors(h);
  });

  it('two staged swaps in a row, then a failing one: the rollback restores the binary that was serving, not an older one', async () => {
    const files = stagedApp();
    const h = await startWithLoad(['--ready', 'fd', '--stage', files.stage], [files.app]);
    expect(await h.swap()).toMatchObject({ event: 'swap.done', gen: 2 });
    const v3 = readFileSync(nodeAppScript(files.stage, 'versioned-app.mjs', { APP_VERSION: '3' }), 'utf8');
    expect(await h.swap()).toMatchObject({ event: 'swap.done', gen: 3 });
    await expectServedOnlyBy(3, /version=3/);
    expect(readFileSync(`${files.app}.prev`, 'utf8')).toBe(files.v2);
    const v4 = readFileSync(nodeAppScript(files.stage, 'versioned-app.mjs', { APP_VERSION: '4', APP_BEHAVIOUR: 'crash-at-start' }), 'utf8');
    const from = h.mark();
    expect(await h.swap()).toMatchObject({ event: 'swap.failed', gen: 3 });
    expect(readFileSync(files.app, 'utf8')).toBe(v3);
    expect(readFileSync(`${files.stage}.rejected`, 'utf8')).toBe(v4);
    expect(h.events('rollback', from).length).toBe(1);
    await expectServedOnlyBy(3, /version=3/);
    await expectNoErrors(h);
  });
});

describe('the serving generation dies during a swap', () => {
  it('the container ends with its status; the candidate is stopped and the staged binary rolled back', async () => {
    const files = stagedApp({}, { APP_BEHAVIOUR: 'never-ready', APP_DRAIN_EXIT_BASE: '10' });
    const h = (hotinit = await Hotinit.start({
      args: ['-l', 'tcp://127.0.0.1:0', '--ready', 'fd', '--stage', files.stage, '--stop-timeout', '5s'],
      command: [files.app],
    }));
    const from = h.mark();
    h.signal('SIGUSR2');
    await h.waitFor((l) => l.event === 'spawn' && l.gen === 2, { from });
    const [gen1, gen2] = [h.pidOf(1), h.pidOf(2)];
    process.kill(gen1, 'SIGKILL');
    const exit = await h.exited;
    expect(exit, h.tail()).toEqual({ code: 128 + 9, signal: null });
    expect(isAlive(gen2)).toBe(false);
    expect(h.events('swap.done', from)).toEqual([]);
    expect(readFileSync(files.app, 'utf8')).toBe(files.v1);
  });
});
