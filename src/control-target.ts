/**
 * What the control socket may ask of the running hotinit, answered from the
 * supervisor's own state. Requests share the signal path: a `hotinit swap`
 * during a swap is coalesced exactly like a second USR2.
 */
import { isAbsolute, resolve } from 'node:path';
import type { ActionOutcome, ControlTarget, GenerationStatus, StatusReport } from './control/protocol.js';
import type { Generation } from './generation.js';
import type { HeldSocket } from './sockets.js';
import type { StagedBinary } from './stage.js';
import type { Supervisor } from './supervisor.js';

export interface ActionRunner {
  lastOutcome: (ActionOutcome & { at: string }) | null;
}

export interface ControlTargetParts {
  version: string;
  startedAtMs: number;
  supervisor: Supervisor;
  sockets: readonly HeldSocket[];
  swaps: ActionRunner & {
    readonly inProgress: boolean;
    request(source: string, stage?: StagedBinary | null): Promise<ActionOutcome>;
  };
  reloads: ActionRunner & { request(source: string): Promise<ActionOutcome> };
  /** A StagedBinary for a path named by `hotinit swap --stage PATH`. */
  stageAt(path: string): StagedBinary;
}

function describe(generation: Generation, serving: Generation | null, now: number): GenerationStatus {
  return {
    gen: generation.gen,
    pid: generation.pid,
    state: generation.state,
    uptimeMs: (generation.exit ? generation.exitedAtMs ?? now : now) - generation.startedAtMs,
    serving: generation === serving,
  };
}

export function createControlTarget(parts: ControlTargetParts): ControlTarget {
  const { supervisor } = parts;
  return {
    swap: ({ stage }) =>
      parts.swaps.request('control', stage ? parts.stageAt(isAbsolute(stage) ? stage : resolve(stage)) : null),
    reload: () => parts.reloads.request('control'),
    status: (): StatusReport => {
      const now = Date.now();
      const serving = supervisor.serving;
      const generations = [...supervisor.history, ...supervisor.live].map((g) => describe(g, serving, now));
      return {
        version: parts.version,
        pid: process.pid,
        uptimeMs: now - parts.startedAtMs,
        healthy: serving !== null && serving.state === 'ready',
        generations,
        listeners: parts.sockets.map((s) => ({ name: s.name, address: s.address })),
        lastSwap: parts.swaps.lastOutcome,
        lastReload: parts.reloads.lastOutcome,
        swapInProgress: parts.swaps.inProgress,
      };
    },
  };
}
