/**
 * The swap machine as pure transitions: every event in every phase, then a
 * seeded random walk against a model of the generations that checks SPEC's
 * invariants — at most two generations, at most one not ready, the old one
 * drained only after the new one is ready, requests during a swap coalesced
 * into one follow-up, nothing started once stopping.
 */
import { describe, expect, it } from 'vitest';
import {
  initialSwapState,
  nextSwap,
  type SwapEffect,
  type SwapEvent,
  type SwapPhase,
  type SwapState,
} from '../../src/swap-machine.js';

const PHASES: SwapPhase[] = ['idle', 'preparing', 'starting', 'draining', 'discarding', 'stopped'];
const EVENTS: SwapEvent[] = [
  { type: 'swapRequested' },
  { type: 'stagePrepared' },
  { type: 'stageRejected', reason: 'staged x is not executable' },
  { type: 'candidateSpawnFailed', reason: 'cannot start' },
  { type: 'candidateReady' },
  { type: 'candidateExited', reason: 'exited with status 3' },
  { type: 'readyTimedOut', reason: 'not ready after 1s' },
  { type: 'oldExited' },
  { type: 'drainTimedOut' },
  { type: 'stopRequested' },
];
const IN_PROGRESS: SwapPhase[] = ['preparing', 'starting', 'draining', 'discarding'];

const types = (effects: SwapEffect[]) => effects.map((e) => e.type);
const state = (phase: SwapPhase, followUp = false): SwapState => ({ phase, followUp });

/**
 * What SPEC asks of each (phase, event), written independently of the code:
 * [next phase, effects] when no follow-up is pending; null = ignored (no change, no effect).
 */
type Expected = [SwapPhase, SwapEffect['type'][]] | null;
const TABLE: Record<SwapPhase, Record<SwapEvent['type'], Expected>> = {
  idle: {
    swapRequested: ['preparing', ['prepareStage']],
    stagePrepared: null,
    stageRejected: null,
    candidateSpawnFailed: null,
    candidateReady: null,
    candidateExited: null,
    readyTimedOut: null,
    oldExited: null,
    drainTimedOut: null,
    stopRequested: ['stopped', []],
  },
  preparing: {
    swapRequested: ['preparing', ['coalesced']],
    stagePrepared: ['starting', ['startCandidate']],
    stageRejected: ['idle', ['failed']],
    candidateSpawnFailed: null,
    candidateReady: null,
    candidateExited: null,
    readyTimedOut: null,
    oldExited: null,
    drainTimedOut: null,
    stopRequested: ['stopped', ['rollbackStage', 'failed']],
  },
  starting: {
    swapRequested: ['starting', ['coalesced']],
    stagePrepared: null,
    stageRejected: null,
    candidateSpawnFailed: ['idle', ['rollbackStage', 'failed']],
    candidateReady: ['draining', ['promoteAndDrainOld', 'commitStage', 'succeeded']],
    candidateExited: ['idle', ['rollbackStage', 'failed']],
    readyTimedOut: ['discarding', ['drainCandidate', 'rollbackStage', 'failed']],
    oldExited: null,
    drainTimedOut: null,
    stopRequested: ['stopped', ['rollbackStage', 'failed']],
  },
  draining: {
    swapRequested: ['draining', ['coalesced']],
    stagePrepared: null,
    stageRejected: null,
    candidateSpawnFailed: null,
    candidateReady: null,
    candidateExited: null,
    readyTimedOut: null,
    oldExited: ['idle', []],
    drainTimedOut: ['draining', ['killDraining']],
    stopRequested: ['stopped', []],
  },
  discarding: {
    swapRequested: ['discarding', ['coalesced']],
    stagePrepared: null,
    stageRejected: null,
    candidateSpawnFailed: null,
    candidateReady: null,
    candidateExited: ['idle', []],
    readyTimedOut: null,
    oldExited: null,
    drainTimedOut: ['discarding', ['killDraining']],
    stopRequested: ['stopped', []],
  },
  stopped: {
    swapRequested: ['stopped', ['refused']],
    stagePrepared: null,
    stageRejected: null,
    candidateSpawnFailed: null,
    candidateReady: null,
    candidateExited: null,
    readyTimedOut: null,
    oldExited: null,
    drainTimedOut: null,
    stopRequested: ['stopped', []],
  },
};

describe('nextSwap: every event in every phase', () => {
  const cases = PHASES.flatMap((phase) => EVENTS.map((event) => ({ phase, event, name: `${phase} + ${event.type}` })));

  it.each(cases)('$name', ({ phase, event }) => {
    const expected = TABLE[phase][event.type];
    const before = state(phase);
    const { state: after, effects } = nextSwap(before, event);
    if (expected === null) {
      expect(after).toEqual(before);
      expect(effects).toEqual([]);
      return;
    }
    expect(after).toEqual(state(expected[0], phase !== 'stopped' && phase !== 'idle' && event.type === 'swapRequested'));
    expect(types(effects)).toEqual(expected[1]);
  });

  it.each(cases)('$name, with a follow-up pending', ({ phase, event }) => {
    if (phase === 'idle' || phase === 'stopped') return; // no swap running: nothing to follow up
    const expected = TABLE[phase][event.type];
    const before = state(phase, true);
    const { state: after, effects } = nextSwap(before, event);
    if (expected === null) {
      expect(after).toEqual(before);
      expect(effects).toEqual([]);
      return;
    }
    const [nextPhase, nextEffects] = expected;
    if (nextPhase === 'idle') {
      // Settled: the follow-up starts at once, as one new swap.
      expect(after).toEqual(state('preparing', false));
      expect(types(effects)).toEqual([...nextEffects, 'prepareStage']);
    } else if (nextPhase === 'stopped') {
      expect(after).toEqual(state('stopped', false));
      expect(types(effects)).toEqual(nextEffects);
    } else {
      expect(after).toEqual(state(nextPhase, true));
      expect(types(effects)).toEqual(nextEffects);
    }
  });

  it('starts idle with no follow-up', () => {
    expect(initialSwapState).toEqual(state('idle'));
  });

  it('failures carry their reason; a stop during a swap says the container is stopping', () => {
    for (const event of EVENTS) {
      if (!('reason' in event)) continue;
      for (const phase of PHASES) {
        for (const effect of nextSwap(state(phase), event).effects) {
          if (effect.type === 'failed') expect(effect.reason).toBe(event.reason);
        }
      }
    }
    for (const phase of ['preparing', 'starting'] as const) {
      const failed = nextSwap(state(phase), { type: 'stopRequested' }).effects.find((e) => e.type === 'failed');
      expect(failed).toMatchObject({ reason: expect.stringMatching(/stopping/) });
    }
    const refused = nextSwap(state('stopped'), { type: 'swapRequested' }).effects[0];
    expect(refused).toMatchObject({ type: 'refused', reason: expect.stringMatching(/stopping/) });
  });

  it('does not mutate the state it is given', () => {
    for (const phase of PHASES) {
      for (const event of EVENTS) {
        const before = Object.freeze(state(phase, true));
        expect(() => nextSwap(before, event)).not.toThrow();
        expect(before).toEqual(state(phase, true));
      }
    }
  });
});

describe('coalescing', () => {
  it('any number of requests during a swap make exactly one follow-up swap', () => {
    let s = nextSwap(initialSwapState, { type: 'swapRequested' }).state;
    for (let i = 0; i < 10; i++) {
      const t = nextSwap(s, { type: 'swapRequested' });
      expect(types(t.effects)).toEqual(['coalesced']);
      s = t.state;
    }
    s = nextSwap(s, { type: 'stagePrepared' }).state;
    s = nextSwap(s, { type: 'candidateReady' }).state;
    const settled = nextSwap(s, { type: 'oldExited' });
    expect(settled.state).toEqual(state('preparing', false));
    expect(types(settled.effects)).toEqual(['prepareStage']);
    s = nextSwap(settled.state, { type: 'stagePrepared' }).state;
    s = nextSwap(s, { type: 'candidateReady' }).state;
    const done = nextSwap(s, { type: 'oldExited' });
    expect(done.state).toEqual(state('idle'));
    expect(done.effects).toEqual([]);
  });

  it('a follow-up waits until a discarded candidate is gone', () => {
    let s = nextSwap(initialSwapState, { type: 'swapRequested' }).state;
    s = nextSwap(s, { type: 'stagePrepared' }).state;
    s = nextSwap(s, { type: 'swapRequested' }).state;
    const timedOut = nextSwap(s, { type: 'readyTimedOut', reason: 'late' });
    expect(types(timedOut.effects)).not.toContain('prepareStage');
    const gone = nextSwap(timedOut.state, { type: 'candidateExited', reason: 'discarded' });
    expect(types(gone.effects)).toEqual(['prepareStage']);
  });

  it('a stop drops the pending follow-up', () => {
    let s = nextSwap(initialSwapState, { type: 'swapRequested' }).state;
    s = nextSwap(s, { type: 'swapRequested' }).state;
    s = nextSwap(s, { type: 'stopRequested' }).state;
    for (const event of EVENTS) expect(types(nextSwap(s, event).effects)).not.toContain('prepareStage');
  });
});

/**
 * A model of the world the machine drives: which generations exist and
 * whether each is ready. Effects change it; it offers the events that can
 * really happen next.
 */
interface Gen {
  id: number;
  ready: boolean;
  role: 'serving' | 'candidate' | 'draining-old' | 'draining-candidate';
}

class World {
  gens: Gen[] = [{ id: 1, ready: true, role: 'serving' }];
  preparing = false;
  nextId = 2;
  lastEvent: SwapEvent['type'] | null = null;
  requestsSinceSwapStarted = 0;
  swapsStarted = 0;

  apply(effect: SwapEffect): void {
    switch (effect.type) {
      case 'prepareStage':
        expect(this.preparing).toBe(false);
        this.preparing = true;
        this.swapsStarted++;
        break;
      case 'startCandidate':
        expect(this.gens.filter((g) => !g.ready)).toEqual([]);
        this.gens.push({ id: this.nextId++, ready: false, role: 'candidate' });
        break;
      case 'promoteAndDrainOld': {
        // The old generation is drained only after the new one said it is ready.
        expect(this.lastEvent).toBe('candidateReady');
        const candidate = this.gens.find((g) => g.role === 'candidate')!;
        expect(candidate.ready).toBe(true);
        for (const g of this.gens) if (g.role === 'serving') g.role = 'draining-old';
        candidate.role = 'serving';
        break;
      }
      case 'drainCandidate': {
        const candidate = this.gens.find((g) => g.role === 'candidate')!;
        expect(candidate).toBeDefined();
        candidate.role = 'draining-candidate';
        break;
      }
      default:
        break;
    }
    this.check();
  }

  check(): void {
    expect(this.gens.length).toBeLessThanOrEqual(2);
    expect(this.gens.filter((g) => !g.ready).length).toBeLessThanOrEqual(1);
    expect(this.gens.filter((g) => g.role === 'serving').length).toBe(1);
  }

  /** Events that can happen now (the outside world's facts). */
  possible(): SwapEvent[] {
    const events: SwapEvent[] = [{ type: 'swapRequested' }];
    if (this.preparing) events.push({ type: 'stagePrepared' }, { type: 'stageRejected', reason: 'bad stage' });
    const candidate = this.gens.find((g) => g.role === 'candidate');
    if (candidate) {
      events.push(
        { type: 'candidateReady' },
        { type: 'candidateExited', reason: 'crashed' },
        { type: 'readyTimedOut', reason: 'too slow' },
        { type: 'candidateSpawnFailed', reason: 'ENOENT' },
      );
    }
    if (this.gens.some((g) => g.role === 'draining-old')) events.push({ type: 'oldExited' }, { type: 'drainTimedOut' });
    if (this.gens.some((g) => g.role === 'draining-candidate')) {
      events.push({ type: 'candidateExited', reason: 'discarded' }, { type: 'drainTimedOut' });
    }
    return events;
  }

  /** The outside world's side of an event, before the machine sees it. */
  happen(event: SwapEvent): void {
    this.lastEvent = event.type;
    const candidate = this.gens.find((g) => g.role === 'candidate');
    switch (event.type) {
      case 'stagePrepared':
      case 'stageRejected':
        this.preparing = false;
        break;
      case 'candidateReady':
        candidate!.ready = true;
        break;
      case 'candidateSpawnFailed':
      case 'candidateExited':
        if (candidate) this.gens = this.gens.filter((g) => g !== candidate);
        else this.gens = this.gens.filter((g) => g.role !== 'draining-candidate');
        break;
      case 'oldExited':
        this.gens = this.gens.filter((g) => g.role !== 'draining-old');
        break;
      default:
        break;
    }
  }
}

/** mulberry32: a tiny seeded PRNG, so a failing walk can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('invariants over random walks', () => {
  it.each(Array.from({ length: 20 }, (_, i) => i + 1))('seed %i: 500 events', (seed) => {
    const next = random(seed);
    const world = new World();
    let s = initialSwapState;
    let requestedDuringSwap = false;
    for (let step = 0; step < 500; step++) {
      const options = world.possible();
      const event = options[Math.floor(next() * options.length)]!;
      const wasInProgress = IN_PROGRESS.includes(s.phase);
      world.happen(event);
      const t = nextSwap(s, event);
      for (const effect of t.effects) world.apply(effect);
      if (event.type === 'swapRequested' && wasInProgress) requestedDuringSwap = true;
      // A settled swap with requests pending starts exactly one more at once.
      if (wasInProgress && !IN_PROGRESS.includes(t.state.phase)) {
        expect(t.state.phase).toBe('idle');
        expect(requestedDuringSwap).toBe(false);
      }
      if (types(t.effects).includes('prepareStage') && wasInProgress) requestedDuringSwap = false;
      expect(t.state.followUp).toBe(requestedDuringSwap);
      s = t.state;
    }
    expect(world.swapsStarted).toBeGreaterThan(10);
  });

  it('after a stop nothing is ever started again', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = random(seed);
      const world = new World();
      let s = initialSwapState;
      const stopAt = Math.floor(next() * 50);
      for (let step = 0; step < 100; step++) {
        const options = world.possible();
        const event: SwapEvent = step === stopAt ? { type: 'stopRequested' } : options[Math.floor(next() * options.length)]!;
        world.happen(event);
        const t = nextSwap(s, event);
        if (step > stopAt) {
          expect(t.state.phase).toBe('stopped');
          expect(types(t.effects)).not.toContain('prepareStage');
          expect(types(t.effects)).not.toContain('startCandidate');
          expect(types(t.effects)).not.toContain('promoteAndDrainOld');
        }
        for (const effect of t.effects) world.apply(effect);
        s = t.state;
      }
    }
  });
});
