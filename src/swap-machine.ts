/**
 * The swap, as pure transitions: next(state, event) → { state, effects }.
 *
 * Invariant: at most two generations at once, at most one of them not ready.
 * The old generation is drained only after the new one is ready; a swap that
 * fails leaves the serving generation untouched. A request that arrives while
 * a swap runs is coalesced into one follow-up swap, started when this one has
 * fully settled (old drained, or failed candidate gone).
 *
 * Phases:
 *   idle       one generation, serving
 *   preparing  checking / verifying / installing the staged binary
 *   starting   candidate spawned, not ready yet
 *   draining   candidate promoted; the old generation is draining
 *   discarding the candidate failed but is still alive: it is being drained
 *   stopped    the container is stopping: no more swaps
 */
export type SwapPhase = 'idle' | 'preparing' | 'starting' | 'draining' | 'discarding' | 'stopped';

export interface SwapState {
  phase: SwapPhase;
  /** A request arrived during this swap: run one more when it settles. */
  followUp: boolean;
}

export type SwapEvent =
  | { type: 'swapRequested' }
  | { type: 'stagePrepared' }
  | { type: 'stageRejected'; reason: string }
  | { type: 'candidateSpawnFailed'; reason: string }
  | { type: 'candidateReady' }
  | { type: 'candidateExited'; reason: string }
  | { type: 'readyTimedOut'; reason: string }
  | { type: 'oldExited' }
  | { type: 'drainTimedOut' }
  | { type: 'stopRequested' };

export type SwapEffect =
  | { type: 'prepareStage' }
  | { type: 'startCandidate' }
  /** Candidate becomes the serving generation; the old one gets the drain signal. */
  | { type: 'promoteAndDrainOld' }
  /** The failed candidate is still alive: send it the drain signal (it may hold connections). */
  | { type: 'drainCandidate' }
  | { type: 'killDraining' }
  | { type: 'commitStage' }
  | { type: 'rollbackStage' }
  | { type: 'succeeded' }
  | { type: 'failed'; reason: string }
  /** A request was refused or merged; reason says which. */
  | { type: 'coalesced' }
  | { type: 'refused'; reason: string };

export interface Transition {
  state: SwapState;
  effects: SwapEffect[];
}

export const initialSwapState: SwapState = { phase: 'idle', followUp: false };

/** When a swap has settled: start the follow-up if one was asked for. */
function settle(followUp: boolean, effects: SwapEffect[]): Transition {
  if (followUp) return { state: { phase: 'preparing', followUp: false }, effects: [...effects, { type: 'prepareStage' }] };
  return { state: { phase: 'idle', followUp: false }, effects };
}

export function nextSwap(state: SwapState, event: SwapEvent): Transition {
  const stay: Transition = { state, effects: [] };
  const { phase, followUp } = state;

  if (event.type === 'stopRequested') {
    const effects: SwapEffect[] = [];
    if (phase === 'preparing' || phase === 'starting') {
      effects.push({ type: 'rollbackStage' }, { type: 'failed', reason: 'the container is stopping' });
    }
    return { state: { phase: 'stopped', followUp: false }, effects };
  }
  if (phase === 'stopped') {
    return event.type === 'swapRequested'
      ? { state, effects: [{ type: 'refused', reason: 'the container is stopping' }] }
      : stay;
  }

  switch (event.type) {
    case 'swapRequested':
      if (phase === 'idle') return { state: { phase: 'preparing', followUp: false }, effects: [{ type: 'prepareStage' }] };
      return { state: { phase, followUp: true }, effects: [{ type: 'coalesced' }] };

    case 'stagePrepared':
      return phase === 'preparing' ? { state: { phase: 'starting', followUp }, effects: [{ type: 'startCandidate' }] } : stay;

    case 'stageRejected':
      return phase === 'preparing' ? settle(followUp, [{ type: 'failed', reason: event.reason }]) : stay;

    case 'candidateSpawnFailed':
      return phase === 'starting'
        ? settle(followUp, [{ type: 'rollbackStage' }, { type: 'failed', reason: event.reason }])
        : stay;

    case 'candidateReady':
      return phase === 'starting'
        ? {
            state: { phase: 'draining', followUp },
            effects: [{ type: 'promoteAndDrainOld' }, { type: 'commitStage' }, { type: 'succeeded' }],
          }
        : stay;

    case 'candidateExited':
      if (phase === 'starting') return settle(followUp, [{ type: 'rollbackStage' }, { type: 'failed', reason: event.reason }]);
      if (phase === 'discarding') return settle(followUp, []);
      return stay;

    case 'readyTimedOut':
      return phase === 'starting'
        ? {
            state: { phase: 'discarding', followUp },
            effects: [{ type: 'drainCandidate' }, { type: 'rollbackStage' }, { type: 'failed', reason: event.reason }],
          }
        : stay;

    case 'oldExited':
      return phase === 'draining' ? settle(followUp, []) : stay;

    case 'drainTimedOut':
      return phase === 'draining' || phase === 'discarding' ? { state, effects: [{ type: 'killDraining' }] } : stay;
  }
}
