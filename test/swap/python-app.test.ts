/**
 * An app that is not Node (test/fixtures/python-app.py: standard library only,
 * socket.socket(fileno=3) and a datagram to NOTIFY_SOCKET) is swapped under
 * load like a Node one, and a late READY=1 from an old generation is never
 * taken for the new one's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { describeLoad, Load } from '../helpers/load.js';
import {
  connectionsSpanningGenerations,
  FIXTURES,
  Hotinit,
  lastGeneration,
  PYTHON,
  responsesFromDeadGenerations,
} from '../helpers/swap-harness.js';

const APP = [PYTHON, `${FIXTURES}/python-app.py`];
let hotinit: Hotinit | null = null;
const loads: Load[] = [];

afterEach(async () => {
  for (const load of loads.splice(0)) await load.stop();
  await hotinit?.stop();
  hotinit = null;
});

describe('a Python app (standard library, systemd protocol)', () => {
  it('is swapped 6 times under keep-alive and new-connection load with --ready notify: 0 errors', async () => {
    const h = (hotinit = await Hotinit.start({ args: ['-l', 'tcp://127.0.0.1:0', '--ready', 'notify'], command: APP }));
    const keepAlive = Load.start({ mode: 'keep-alive', port: h.port, workers: 4, maxDurationMs: 60_000 });
    const fresh = Load.start({ mode: 'new-connection', port: h.port, workers: 4, maxDurationMs: 60_000 });
    loads.push(keepAlive, fresh);
    await fresh.waitForResponses(50);
    for (let i = 1; i <= 6; i++) {
      const outcome = await h.swap();
      expect(outcome, h.tail()).toMatchObject({ event: 'swap.done', gen: i + 1 });
      const served = await fresh.waitForResponses(30);
      expect(served.some((r) => r.gen === i + 1)).toBe(true);
    }
    loads.splice(0);
    for (const summary of [await keepAlive.stop(), await fresh.stop()]) {
      const text = describeLoad(summary);
      expect(summary.errors, text).toEqual([]);
      expect(summary.badStatus, text).toEqual([]);
      expect(summary.ok, text).toBeGreaterThan(200);
      expect(responsesFromDeadGenerations(summary.responses, h.lines), text).toEqual([]);
      expect(connectionsSpanningGenerations(summary.responses)).toEqual([]);
      expect(lastGeneration(summary.responses)).toBe(7);
    }
    // Generation 1's READY came on the socket hotinit made for it (the app found it in NOTIFY_SOCKET).
    expect(h.events('ready').map((l) => l.gen)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  }, 90_000);

  it('a late READY=1 from the old generation (on its own and on the new one\'s socket) does not make the new one ready', async () => {
    const h = (hotinit = await Hotinit.start({
      // -v: hotinit logs the notify messages it ignores, our proof that the late READYs arrived.
      args: ['-v', '-l', 'tcp://127.0.0.1:0', '--ready', 'notify', '--ready-timeout', '1s'],
      command: APP,
      env: { PY_SILENT_FROM_GEN: '2', PY_REPEAT_READY: '1' },
    }));
    const load = Load.start({ mode: 'new-connection', port: h.port, workers: 4, maxDurationMs: 30_000 });
    loads.push(load);
    await load.waitForResponses(20);
    const from = h.mark();
    const outcome = await h.swap();
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.failed', gen: 1 });
    expect(String(outcome.reason)).toMatch(/generation 2 not ready after 1s/);
    // Negative control: generation 1's READY=1 did reach generation 2's channel, and was refused.
    const gen1 = h.pidOf(1);
    const refused = h.lines.slice(from).filter((l) => l.event === 'ready' && l.gen === 2 && l.sender === gen1);
    expect(refused.length, h.tail()).toBeGreaterThan(0);
    expect(h.lines.slice(from).filter((l) => l.event === 'ready' && l.gen === 2 && l.sender === undefined)).toEqual([]);
    // The never-ready candidate is drained; generation 1 keeps serving.
    const gone = await h.waitGone(2, { from });
    const after = await load.waitForResponses(50, Date.now());
    expect(new Set(after.map((r) => r.gen))).toEqual(new Set([1]));
    loads.splice(0);
    const summary = await load.stop();
    expect(summary.errors, describeLoad(summary)).toEqual([]);
    expect(responsesFromDeadGenerations(summary.responses, h.lines)).toEqual([]);
    expect(gone.time).toBeGreaterThanOrEqual(outcome.time);
  }, 60_000);
});
