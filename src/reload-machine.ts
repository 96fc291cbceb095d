/**
 * The reload, as pure transitions: nextReload(state, event) → { state, effects }.
 *
 * Invariant: one reload at a time, and the application is touched only after
 * the check passed — by one reload signal (or one swap) to the generation that
 * serves once no swap is running. A request that arrives before the app was
 * touched joins the reload being prepared; one that arrives later is
 * coalesced into one follow-up reload, started when this one has settled.
 *
 * Phases:
 *   idle       nothing running
 *   waiting    for a running swap to end (and the serving generation to be ready)
 *   checking   --reload-check is running
 *   signalled  the reload signal was sent; listening for RELOADING=1 / READY=1
 *   reloading  the app said RELOADING=1; waiting for READY=1 until --reload-timeout
 *   swapping   --reload-mode swap: a swap runs for this reload
 *   stopped    the container is stopping: no more reloads
 */
export type ReloadPhase = 'idle' | 'waiting' | 'checking' | 'signalled' | 'reloading' | 'swapping' | 'stopped';

export interface ReloadConfig {
  mode: 'signal' | 'swap';
  /** --reload-check was given. */
  check: boolean;
}

export interface ReloadState {
  phase: ReloadPhase;
  /** A request arrived after the app was touched: run one more reload when this one settles. */
  followUp: boolean;
  config: ReloadConfig;
}

/** How a successful reload came about (the outcome's message and log field say it). */
export type ReloadResult = 'reloaded' | 'signalled' | 'swapped';

export type ReloadEvent =
  | { type: 'reloadRequested' }
  /** No swap is running and the serving generation is ready (or gave up waiting). */
  | { type: 'settled' }
  | { type: 'nothingServing' }
  | { type: 'checkPassed' }
  | { type: 'checkFailed'; reason: string }
  /** The app sent RELOADING=1 on its notify channel. */
  | { type: 'reloadingNotified' }
  /** The app sent READY=1 (after RELOADING=1, or alone). */
  | { type: 'readyNotified' }
  /** The short window after the signal passed without any message. */
  | { type: 'quietWindowElapsed' }
  | { type: 'reloadTimedOut'; reason: string }
  | { type: 'servingExited'; reason: string }
  | { type: 'swapFinished'; ok: boolean; message: string }
  | { type: 'stopRequested' };

export type ReloadEffect =
  /** Wait until no swap runs and the serving generation is ready, then report `settled`. */
  | { type: 'awaitSettled' }
  | { type: 'runCheck' }
  /** Listen for notify messages, send the reload signal, start the quiet window and the timeout. */
  | { type: 'sendSignal' }
  | { type: 'requestSwap' }
  | { type: 'succeeded'; result: ReloadResult; detail?: string }
  | { type: 'failed'; reason: string }
  /** The request joins the reload being prepared (the app was not touched yet). */
  | { type: 'joined' }
  /** The request will be served by one follow-up reload. */
  | { type: 'coalesced' }
  | { type: 'refused'; reason: string };

export interface ReloadTransition {
  state: ReloadState;
  effects: ReloadEffect[];
}

export function initialReloadState(config: ReloadConfig): ReloadState {
  return { phase: 'idle', followUp: false, config };
}

/** Once a reload has settled: start the follow-up if one was asked for. */
function settle(state: ReloadState, effects: ReloadEffect[]): ReloadTransition {
  if (state.followUp) {
    return { state: { ...state, phase: 'waiting', followUp: false }, effects: [...effects, { type: 'awaitSettled' }] };
  }
  return { state: { ...state, phase: 'idle', followUp: false }, effects };
}

/** The step that touches the app: a signal, or a swap. */
function apply(state: ReloadState): ReloadTransition {
  return state.config.mode === 'swap'
    ? { state: { ...state, phase: 'swapping' }, effects: [{ type: 'requestSwap' }] }
    : { state: { ...state, phase: 'signalled' }, effects: [{ type: 'sendSignal' }] };
}

export function nextReload(state: ReloadState, event: ReloadEvent): ReloadTransition {
  const stay: ReloadTransition = { state, effects: [] };
  const { phase } = state;

  if (event.type === 'stopRequested') {
    const effects: ReloadEffect[] = phase === 'idle' || phase === 'stopped' ? [] : [{ type: 'failed', reason: 'the container is stopping' }];
    return { state: { ...state, phase: 'stopped', followUp: false }, effects };
  }
  if (phase === 'stopped') {
    return event.type === 'reloadRequested' ? { state, effects: [{ type: 'refused', reason: 'the container is stopping' }] } : stay;
  }

  switch (event.type) {
    case 'reloadRequested':
      if (phase === 'idle') return { state: { ...state, phase: 'waiting' }, effects: [{ type: 'awaitSettled' }] };
      if (phase === 'waiting') return { state, effects: [{ type: 'joined' }] };
      return { state: { ...state, followUp: true }, effects: [{ type: 'coalesced' }] };

    case 'settled':
      if (phase !== 'waiting') return stay;
      return state.config.check ? { state: { ...state, phase: 'checking' }, effects: [{ type: 'runCheck' }] } : apply(state);

    case 'nothingServing':
      return phase === 'waiting' ? settle(state, [{ type: 'failed', reason: 'no generation is serving' }]) : stay;

    case 'checkPassed':
      return phase === 'checking' ? apply(state) : stay;

    case 'checkFailed':
      return phase === 'checking' ? settle(state, [{ type: 'failed', reason: event.reason }]) : stay;

    case 'reloadingNotified':
      return phase === 'signalled' ? { state: { ...state, phase: 'reloading' }, effects: [] } : stay;

    case 'readyNotified':
      return phase === 'signalled' || phase === 'reloading'
        ? settle(state, [{ type: 'succeeded', result: 'reloaded' }])
        : stay;

    case 'quietWindowElapsed':
      return phase === 'signalled' ? settle(state, [{ type: 'succeeded', result: 'signalled' }]) : stay;

    case 'reloadTimedOut':
      // In `signalled` the app said nothing at all: that is a plain signalled reload.
      if (phase === 'signalled') return settle(state, [{ type: 'succeeded', result: 'signalled' }]);
      return phase === 'reloading' ? settle(state, [{ type: 'failed', reason: event.reason }]) : stay;

    case 'servingExited':
      return phase === 'signalled' || phase === 'reloading' ? settle(state, [{ type: 'failed', reason: event.reason }]) : stay;

    case 'swapFinished':
      if (phase !== 'swapping') return stay;
      return settle(state, [event.ok ? { type: 'succeeded', result: 'swapped', detail: event.message } : { type: 'failed', reason: event.message }]);
  }
}
