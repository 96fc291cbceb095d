/**
 * SPEC "Swap": under continuous HTTP load, swap after swap loses nothing —
 * no failed request, no connection error — and every response comes from a
 * generation that was alive, one generation per connection, ending on the last.
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { describeLoad, Load, type LoadMode, type LoadOptions, type LoadSummary } from '../helpers/load.js';
import {
  connectionsSpanningGenerations,
  FIXTURES,
  Hotinit,
  lastGeneration,
  responsesFromDeadGenerations,
  tempDir,
} from '../helpers/swap-harness.js';

const APP = ['node', `${FIXTURES}/http-app.mjs`];
let hotinit: Hotinit | null = null;
let load: Load | null = null;
const cleanups: Array<() => void> = [];

afterEach(async () => {
  await load?.stop();
  await hotinit?.stop();
  load = hotinit = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Runs `swaps` swaps back to back, each once the previous one has drained and the new generation has served. */
async function swapRepeatedly(h: Hotinit, running: Load, swaps: number): Promise<void> {
  for (let i = 1; i <= swaps; i++) {
    const outcome = await h.swap();
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.done', gen: i + 1, from: i });
    // The new generation really serves before the next swap.
    const served = await running.waitForResponses(40);
    expect(served.some((r) => r.gen === i + 1)).toBe(true);
  }
}

function expectFlawless(summary: LoadSummary, h: Hotinit, lastGen: number): void {
  const text = describeLoad(summary);
  expect(summary.errors, text).toEqual([]);
  expect(summary.badStatus, text).toEqual([]);
  expect(summary.ok, text).toBeGreaterThan(1000);
  expect(responsesFromDeadGenerations(summary.responses, h.lines), text).toEqual([]);
  expect(connectionsSpanningGenerations(summary.responses), text).toEqual([]);
  expect(lastGeneration(summary.responses)).toBe(lastGen);
  const seen = new Set(summary.responses.map((r) => r.gen));
  expect([...seen].sort((a, b) => a! - b!)).toEqual(Array.from({ length: lastGen }, (_, i) => i + 1));
  expect(h.events('swap.failed')).toEqual([]);
  expect(h.events('spawn').map((l) => l.gen)).toEqual(Array.from({ length: lastGen }, (_, i) => i + 1));
}

async function runSwaps(mode: LoadMode, swaps: number, listen: string, target: (h: Hotinit) => Partial<LoadOptions>) {
  hotinit = await Hotinit.start({ args: ['-l', listen, '--ready', 'fd'], command: APP });
  load = Load.start({ mode, workers: 8, maxDurationMs: 90_000, ...target(hotinit) });
  await load.waitForResponses(100);
  await swapRepeatedly(hotinit, load, swaps);
  const summary = await load.stop();
  load = null;
  expectFlawless(summary, hotinit, swaps + 1);
}

describe('swap under continuous load', () => {
  it.each<LoadMode>(['keep-alive', 'new-connection'])(
    '20 swaps in a row over TCP with %s connections: 0 failed requests, every response from a live generation',
    async (mode) => {
      await runSwaps(mode, 20, 'tcp://127.0.0.1:0', (h) => ({ port: h.port }));
    },
    120_000,
  );

  it.each<LoadMode>(['keep-alive', 'new-connection'])(
    '10 swaps in a row over a Unix socket with %s connections: 0 failed requests',
    async (mode) => {
      const dir = tempDir();
      cleanups.push(dir.remove);
      const path = `${dir.path}/app.sock`;
      await runSwaps(mode, 10, `unix://${path}`, () => ({ socketPath: path }));
      // hotinit owns the path: kept across generations, unlinked at final exit.
      expect(existsSync(path)).toBe(true);
      await hotinit!.stop();
      expect(existsSync(path)).toBe(false);
    },
    120_000,
  );

  it('negative control: the same load and swaps with an app that drains by plain server.close() do fail requests', async () => {
    // NOTES.md: closing idle keep-alive connections races the client's next request on them.
    hotinit = await Hotinit.start({
      args: ['-l', 'tcp://127.0.0.1:0', '--ready', 'fd'],
      command: ['node', `${FIXTURES}/versioned-app.mjs`],
      env: { APP_BEHAVIOUR: 'naive-drain' },
    });
    load = Load.start({ mode: 'keep-alive', workers: 8, maxDurationMs: 60_000, port: hotinit.port });
    await load.waitForResponses(100);
    for (let i = 1; i <= 10 && load.errors.length === 0; i++) {
      expect(await hotinit.swap()).toMatchObject({ event: 'swap.done', gen: i + 1 });
      await load.waitForResponses(40);
    }
    const summary = await load.stop();
    load = null;
    expect(summary.errors.length, describeLoad(summary)).toBeGreaterThan(0);
    expect(summary.errors[0]!.code).toMatch(/^E[A-Z]+$/);
  }, 60_000);
});
