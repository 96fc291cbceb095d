import { describe, expect, it } from 'vitest';
import {
  initialReloadState,
  nextReload,
  type ReloadConfig,
  type ReloadEffect,
  type ReloadEvent,
  type ReloadState,
} from '../../src/reload-machine.js';

const SIGNAL: ReloadConfig = { mode: 'signal', check: false };
const CHECKED: ReloadConfig = { mode: 'signal', check: true };
const SWAP: ReloadConfig = { mode: 'swap', check: true };

/** Feeds events in order; returns the final state and every effect, in order. */
function feed(config: ReloadConfig, events: ReloadEvent[], from?: ReloadState): { state: ReloadState; effects: ReloadEffect[] } {
  let state = from ?? initialReloadState(config);
  const effects: ReloadEffect[] = [];
  for (const event of events) {
    const next = nextReload(state, event);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

const types = (effects: ReloadEffect[]) => effects.map((e) => e.type);
const requested: ReloadEvent = { type: 'reloadRequested' };
const settled: ReloadEvent = { type: 'settled' };

describe('reload machine', () => {
  it('waits for a settled app first, then signals it (no check)', () => {
    const { state, effects } = feed(SIGNAL, [requested, settled]);
    expect(state.phase).toBe('signalled');
    expect(types(effects)).toEqual(['awaitSettled', 'sendSignal']);
  });

  it('runs the check before touching the app, and signals only when it passed', () => {
    const passed = feed(CHECKED, [requested, settled, { type: 'checkPassed' }]);
    expect(types(passed.effects)).toEqual(['awaitSettled', 'runCheck', 'sendSignal']);

    const failed = feed(CHECKED, [requested, settled, { type: 'checkFailed', reason: 'refused: bad config' }]);
    expect(failed.state.phase).toBe('idle');
    expect(failed.effects).toEqual([
      { type: 'awaitSettled' },
      { type: 'runCheck' },
      { type: 'failed', reason: 'refused: bad config' },
    ]);
    expect(types(failed.effects)).not.toContain('sendSignal');
  });

  it('reports "reloaded" after RELOADING=1 then READY=1', () => {
    const { state, effects } = feed(SIGNAL, [requested, settled, { type: 'reloadingNotified' }, { type: 'readyNotified' }]);
    expect(state.phase).toBe('idle');
    expect(effects.at(-1)).toEqual({ type: 'succeeded', result: 'reloaded' });
  });

  it('ignores the quiet window once the app said RELOADING=1, and fails at the timeout without READY=1', () => {
    const reloading = feed(SIGNAL, [requested, settled, { type: 'reloadingNotified' }, { type: 'quietWindowElapsed' }]);
    expect(reloading.state.phase).toBe('reloading');
    const timedOut = feed(SIGNAL, [{ type: 'reloadTimedOut', reason: 'no READY=1' }], reloading.state);
    expect(timedOut.state.phase).toBe('idle');
    expect(timedOut.effects).toEqual([{ type: 'failed', reason: 'no READY=1' }]);
  });

  it('reports "signalled" for an app that says nothing in the quiet window', () => {
    const { state, effects } = feed(SIGNAL, [requested, settled, { type: 'quietWindowElapsed' }]);
    expect(state.phase).toBe('idle');
    expect(effects.at(-1)).toEqual({ type: 'succeeded', result: 'signalled' });
    // A late READY=1 after that changes nothing.
    expect(feed(SIGNAL, [{ type: 'readyNotified' }], state).effects).toEqual([]);
  });

  it('fails when the serving generation exits during the reload', () => {
    const { effects } = feed(SIGNAL, [requested, settled, { type: 'reloadingNotified' }, { type: 'servingExited', reason: 'gone' }]);
    expect(effects.at(-1)).toEqual({ type: 'failed', reason: 'gone' });
  });

  it('fails at once when nothing is serving', () => {
    const { state, effects } = feed(SIGNAL, [requested, { type: 'nothingServing' }]);
    expect(state.phase).toBe('idle');
    expect(effects.at(-1)).toMatchObject({ type: 'failed' });
  });

  it('lets requests that arrive while waiting for a swap join that reload (applied once)', () => {
    const { state, effects } = feed(SIGNAL, [requested, requested, requested, settled]);
    expect(types(effects)).toEqual(['awaitSettled', 'joined', 'joined', 'sendSignal']);
    expect(state.followUp).toBe(false);
  });

  it('coalesces any number of requests during a reload into one follow-up', () => {
    const during = feed(CHECKED, [requested, settled, requested, { type: 'checkPassed' }, requested, requested]);
    expect(during.state).toMatchObject({ phase: 'signalled', followUp: true });
    expect(types(during.effects).filter((t) => t === 'coalesced')).toHaveLength(3);
    const after = feed(CHECKED, [{ type: 'readyNotified' }], during.state);
    expect(after.state).toMatchObject({ phase: 'waiting', followUp: false });
    expect(types(after.effects)).toEqual(['succeeded', 'awaitSettled']);
    // The follow-up runs the check again: the config may have changed since.
    expect(types(feed(CHECKED, [settled], after.state).effects)).toEqual(['runCheck']);
  });

  it('starts the follow-up after a failed reload too', () => {
    const { state, effects } = feed(CHECKED, [requested, settled, requested, { type: 'checkFailed', reason: 'bad' }]);
    expect(state.phase).toBe('waiting');
    expect(types(effects)).toEqual(['awaitSettled', 'runCheck', 'coalesced', 'failed', 'awaitSettled']);
  });

  it('reloads by a swap in swap mode, after the check', () => {
    const ok = feed(SWAP, [requested, settled, { type: 'checkPassed' }, { type: 'swapFinished', ok: true, message: 'generation 2 serving' }]);
    expect(types(ok.effects)).toEqual(['awaitSettled', 'runCheck', 'requestSwap', 'succeeded']);
    expect(ok.effects.at(-1)).toEqual({ type: 'succeeded', result: 'swapped', detail: 'generation 2 serving' });
    const failed = feed(SWAP, [requested, settled, { type: 'checkPassed' }, { type: 'swapFinished', ok: false, message: 'not ready' }]);
    expect(failed.effects.at(-1)).toEqual({ type: 'failed', reason: 'not ready' });
  });

  it('ignores facts that do not belong to the current phase', () => {
    const idle = initialReloadState(CHECKED);
    const stray: ReloadEvent[] = [
      settled,
      { type: 'checkPassed' },
      { type: 'checkFailed', reason: 'x' },
      { type: 'reloadingNotified' },
      { type: 'readyNotified' },
      { type: 'quietWindowElapsed' },
      { type: 'reloadTimedOut', reason: 'x' },
      { type: 'servingExited', reason: 'x' },
      { type: 'swapFinished', ok: true, message: 'x' },
    ];
    for (const event of stray) expect(nextReload(idle, event)).toEqual({ state: idle, effects: [] });
    // A READY=1 during the check is not the reload's answer: the app was not signalled yet.
    const checking = feed(CHECKED, [requested, settled]).state;
    expect(nextReload(checking, { type: 'readyNotified' }).effects).toEqual([]);
  });

  it('on stop fails the running reload, drops the follow-up and refuses new requests', () => {
    const running = feed(SIGNAL, [requested, settled, requested]).state;
    const stopped = feed(SIGNAL, [{ type: 'stopRequested' }], running);
    expect(stopped.state).toMatchObject({ phase: 'stopped', followUp: false });
    expect(stopped.effects).toEqual([{ type: 'failed', reason: 'the container is stopping' }]);
    expect(nextReload(stopped.state, requested).effects).toEqual([{ type: 'refused', reason: 'the container is stopping' }]);
    expect(nextReload(stopped.state, { type: 'readyNotified' }).effects).toEqual([]);
    // Stopping while idle fails nothing.
    expect(feed(SIGNAL, [{ type: 'stopRequested' }]).effects).toEqual([]);
  });

  it('keeps its invariant over random event sequences: one reload at a time, app touched only after a passed check', () => {
    const events: ReloadEvent[] = [
      requested,
      settled,
      { type: 'nothingServing' },
      { type: 'checkPassed' },
      { type: 'checkFailed', reason: 'x' },
      { type: 'reloadingNotified' },
      { type: 'readyNotified' },
      { type: 'quietWindowElapsed' },
      { type: 'reloadTimedOut', reason: 'x' },
      { type: 'servingExited', reason: 'x' },
      { type: 'swapFinished', ok: true, message: 'x' },
    ];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const config of [SIGNAL, CHECKED, SWAP]) {
      for (let run = 0; run < 200; run++) {
        let state = initialReloadState(config);
        let running = false;
        for (let step = 0; step < 40; step++) {
          const event = events[Math.floor(random() * events.length)]!;
          const { state: next, effects } = nextReload(state, event);
          for (const effect of effects) {
            if (effect.type === 'awaitSettled') {
              expect(running).toBe(false); // never two at once
              running = true;
            }
            if (effect.type === 'sendSignal' || effect.type === 'requestSwap') {
              // The app is touched straight after settling (no check) or right after the check passed.
              const allowed = config.check ? state.phase === 'checking' && event.type === 'checkPassed' : state.phase === 'waiting';
              expect(allowed).toBe(true);
            }
            if (effect.type === 'succeeded' || effect.type === 'failed') running = false;
          }
          expect(running).toBe(next.phase !== 'idle');
          state = next;
        }
      }
    }
  });
});
