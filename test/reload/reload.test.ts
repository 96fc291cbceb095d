/**
 * SPEC "Reload (SIGUSR1)" with hotinit as PID 1: the check first, the reload
 * signal to the serving generation, systemd's RELOADING=1/READY=1 handshake,
 * reloads that never overlap, a USR1 during a swap applied once to the
 * generation serving after it, and --reload-mode swap.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, Pid1, PYTHON, tempDir, type LogLine } from './harness.js';

const APP = [PYTHON, join(FIXTURES, 'reload-app.py')];
const CHECK = join(FIXTURES, 'check-config.sh');
let h: Pid1 | null = null;
const cleanups: Array<() => void> = [];

afterEach(async () => {
  await h?.kill();
  h = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function configFile(text: string): string {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const path = join(dir.path, 'app.conf');
  writeFileSync(path, `${text}\n`);
  return path;
}

const isReload = (l: LogLine) => l.event === 'reload' && typeof l.result === 'string';
const hups = (p: Pid1) => p.output.filter((line) => line.startsWith('hup '));

describe('reload on SIGUSR1', () => {
  it('sends SIGHUP to the app once it is ready, and reports "signalled" when it has no notify channel', async () => {
    h = await Pid1.start({ args: ['--ready', 'delay:500ms'], command: APP });
    // Sent before the app is ready: the reload waits (a HUP before its handler would kill it).
    await h.signal('SIGUSR1');
    const reload = await h.waitForLog(isReload);
    const ready = h.lines.findIndex((l) => l.event === 'ready');
    expect(ready).toBeGreaterThanOrEqual(0);
    expect(h.lines.indexOf(reload)).toBeGreaterThan(ready);
    expect(reload).toMatchObject({ gen: 1, result: 'signalled', signal: 'SIGHUP' });
    await h.waitForOutput(/^hup 1 /);
    expect(await h.stop()).toEqual({ code: 0, signal: null });
  });

  it('refuses a reload whose --reload-check fails, logs its output, and leaves the app untouched', async () => {
    // Default readiness (both notify channels offered, ready after --ready-delay).
    const config = configFile('broken: [');
    h = await Pid1.start({
      args: ['--ready-delay', '100ms', '--reload-check', `${CHECK} ${config}`],
      command: APP,
      env: { APP_CONFIG: config },
    });
    await h.waitForLog((l) => l.event === 'ready');
    await h.signal('SIGUSR1');
    const failed = await h.waitForLog((l) => l.event === 'reload.failed');
    expect(failed.reason).toMatch(/^refused: --reload-check exited with 1: .*syntax error near 'broken'; generation 1 untouched$/);
    expect(failed.output).toContain("syntax error near 'broken'");

    // Fixed: the next reload passes the check, and it is the app's first HUP.
    writeFileSync(config, 'good: true\n');
    const mark = h.mark();
    await h.signal('SIGUSR1');
    const reload = await h.waitForLog(isReload, { from: mark });
    expect(await h.waitForOutput(/^hup /)).toMatch(/^hup 1 good: true /);
    // It has a notify channel but says nothing: "signalled" after the quiet window (1 s).
    expect(reload).toMatchObject({ gen: 1, result: 'signalled' });
    expect(reload.durationMs as number).toBeGreaterThanOrEqual(950);
    expect(hups(h)).toHaveLength(1);
  });

  it('follows RELOADING=1 … READY=1 (Type=notify-reload) and reports "reloaded"', async () => {
    h = await Pid1.start({ args: ['--ready', 'notify'], command: APP, env: { RELOAD_BEHAVIOUR: 'notify' } });
    await h.waitForLog((l) => l.event === 'ready');
    await h.signal('SIGUSR1');
    const reload = await h.waitForLog(isReload);
    expect(reload).toMatchObject({ gen: 1, result: 'reloaded' });
    // The fixture takes 200 ms between RELOADING=1 and READY=1: the reload waited for it.
    expect(reload.durationMs as number).toBeGreaterThanOrEqual(180);
    expect(hups(h)).toHaveLength(1);
  });

  it('fails a reload when the app sends RELOADING=1 but no READY=1 within --reload-timeout', async () => {
    h = await Pid1.start({
      args: ['--ready', 'notify', '--reload-timeout', '1s'],
      command: APP,
      env: { RELOAD_BEHAVIOUR: 'never-ready' },
    });
    await h.waitForLog((l) => l.event === 'ready');
    await h.signal('SIGUSR1');
    const failed = await h.waitForLog((l) => l.event === 'reload.failed');
    expect(failed.reason).toBe('generation 1 sent RELOADING=1 but no READY=1 within 1s');
    expect(failed.durationMs as number).toBeGreaterThanOrEqual(950);
    expect(h.alive).toBe(true);
  });

  it('never overlaps reloads: USR1s during a reload become one follow-up', async () => {
    h = await Pid1.start({ args: ['--ready', 'notify', '-v'], command: APP, env: { RELOAD_BEHAVIOUR: 'notify' } });
    await h.waitForLog((l) => l.event === 'ready');
    await h.signal('SIGUSR1');
    await h.waitForLog((l) => l.event === 'reload' && l.msg === 'reload signal sent');
    const coalesced = (l: LogLine) => l.event === 'reload' && l.msg === 'reload already running: one more will follow';
    for (let count = 1; count <= 3; count++) {
      await h.signal('SIGUSR1'); // one at a time: the kernel merges a standard signal sent twice while pending
      await h.waitForLogs(coalesced, count);
    }
    const reloads = await h.waitForLogs(isReload, 2);
    expect(reloads.map((l) => l.result)).toEqual(['reloaded', 'reloaded']);
    expect(await h.stop()).toEqual({ code: 0, signal: null });
    // Exactly two reloads reached the app, one after the other, and no third was pending.
    expect(hups(h).map((line) => line.split(' ')[1])).toEqual(['1', '2']);
    expect(h.lines.filter(isReload)).toHaveLength(2);
    expect(h.lines.filter((l) => l.event === 'reload.failed')).toEqual([]);
  });

  it('applies a USR1 sent during a swap once, to the generation serving when the swap ends', async () => {
    h = await Pid1.start({ args: ['--ready', 'delay:300ms'], command: APP });
    await h.waitForLog((l) => l.event === 'ready' && l.gen === 1);
    await h.signal('SIGUSR2');
    await h.waitForLog((l) => l.event === 'spawn' && l.gen === 2);
    await h.signal('SIGUSR1');
    await h.waitForLog((l) => l.event === 'reload' && l.phase === 'waiting');
    await h.signal('SIGUSR1');
    const done = await h.waitForLog((l) => l.event === 'swap.done');
    const reload = await h.waitForLog(isReload);
    expect(h.lines.indexOf(reload)).toBeGreaterThan(h.lines.indexOf(done));
    const gen2 = h.lines.find((l) => l.event === 'spawn' && l.gen === 2)!;
    expect(reload).toMatchObject({ gen: 2, pid: gen2.pid });
    expect(await h.stop()).toEqual({ code: 0, signal: null });
    expect(hups(h)).toEqual([`hup 1 - ${gen2.pid}`]);
  });

  it('--reload-mode swap reloads by a swap, after the check', async () => {
    const config = configFile('good: true');
    h = await Pid1.start({
      args: ['--ready', 'delay:200ms', '--reload-mode', 'swap', '--reload-check', `${CHECK} ${config}`],
      command: APP,
    });
    await h.waitForLog((l) => l.event === 'ready');
    await h.signal('SIGUSR1');
    const reload = await h.waitForLog(isReload);
    expect(reload).toMatchObject({ gen: 2, result: 'swapped' });
    expect(h.lines.some((l) => l.event === 'swap.done' && l.gen === 2)).toBe(true);

    writeFileSync(config, 'broken\n');
    const mark = h.mark();
    await h.signal('SIGUSR1');
    await h.waitForLog((l) => l.event === 'reload.failed', { from: mark });
    expect(h.logsSince(mark, 'swap.begin')).toEqual([]);
    expect(hups(h)).toEqual([]);
  });
});
