/**
 * `hotinit status | swap | reload | health`: ask the running hotinit over its
 * control socket, print the answer, and return the exit status: 0 success,
 * 1 failure (swap/reload failed, unhealthy, no answer in time, hotinit refused
 * the request), 3 no hotinit reachable — including "permission denied", since
 * then the request never reached it. (2, usage, is decided by options.ts.)
 *
 * The answer goes to stdout — `swap done: …`, `swap failed: …`, `healthy`,
 * the status table; trouble talking to hotinit goes to stderr.
 */
import { resolve } from 'node:path';
import { formatDuration } from '../durations.js';
import type { ParsedCommand } from '../options.js';
import { formatHealth, formatOutcome, formatStatus } from './format.js';
import { clientPaths, currentRuntimeEnv } from './paths.js';
import type { ActionOutcome, ControlOp, ControlResponse, HealthReport, StatusReport } from './protocol.js';
import { connectFirst, exchange, WireError } from './wire.js';

export type ControlCommand = Extract<ParsedCommand, { kind: 'control' }>;

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const STATUS_WAIT_MS = 10_000;
/** swap/reload without --timeout: the server's own timeouts end them first. */
const ACTION_WAIT_MS = 10 * 60_000;
const BUSY_RETRY_FIRST_MS = 50;
const BUSY_RETRY_MAX_MS = 1_000;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_UNREACHABLE = 3;

const stdio: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export async function runControlCommand(command: ControlCommand, output: Output = stdio): Promise<number> {
  const op: ControlOp = command.action;
  const isAction = op === 'swap' || op === 'reload';
  const waitMs = command.timeoutMs ?? (isAction ? ACTION_WAIT_MS : STATUS_WAIT_MS);
  const describeWait = `within ${formatDuration(waitMs)}${isAction ? `; the ${op} may still be running (see hotinit status)` : ''}`;
  const request = {
    id: `${process.pid}-${Date.now()}`,
    op,
    // The server resolves paths against its own working directory, not ours.
    ...(op === 'swap' && command.stage !== null ? { stage: resolve(command.stage) } : {}),
  };
  try {
    const { response, path } = await ask(clientPaths(command.control, currentRuntimeEnv()), request, Date.now() + waitMs, describeWait);
    return show(command, response, path, output);
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    output.err(`hotinit ${op}: ${error.message}\n`);
    return error.kind === 'unreachable' || error.kind === 'denied' ? EXIT_UNREACHABLE : EXIT_FAILED;
  }
}

/** Sends the request, retrying while hotinit answers `busy` and time is left. */
async function ask(
  paths: readonly string[],
  request: { id: string; op: ControlOp; stage?: string },
  deadlineMs: number,
  describeWait: string,
): Promise<{ response: ControlResponse; path: string }> {
  let candidates = paths;
  for (let pauseMs = BUSY_RETRY_FIRST_MS; ; pauseMs = Math.min(pauseMs * 2, BUSY_RETRY_MAX_MS)) {
    const connected = await connectFirst(candidates);
    const response = await exchange(connected, request, deadlineMs, describeWait);
    const busy = !response.ok && response.error?.code === 'busy';
    if (!busy || Date.now() + pauseMs >= deadlineMs) return { response, path: connected.path };
    candidates = [connected.path];
    await new Promise((wake) => setTimeout(wake, pauseMs));
  }
}

function show(command: ControlCommand, response: ControlResponse, path: string, output: Output): number {
  const op = command.action;
  if (!response.ok) {
    const error = response.error ?? { code: 'unknown', message: 'no reason given' };
    if (error.code === 'permission-denied') {
      output.err(`hotinit ${op}: hotinit at ${path} refused the connection: ${error.message}\n`);
      return EXIT_UNREACHABLE;
    }
    output.err(`hotinit ${op}: hotinit at ${path} refused the request (${error.code}): ${error.message}\n`);
    return EXIT_FAILED;
  }
  const result: unknown = response.result;
  switch (op) {
    case 'status':
      if (!isStatus(result)) return malformed(command, path, output);
      output.out(command.json ? `${JSON.stringify(result, null, 2)}\n` : formatStatus(result, Date.now()));
      return EXIT_OK;
    case 'health':
      if (!isHealth(result)) return malformed(command, path, output);
      output.out(command.json ? `${JSON.stringify(result)}\n` : `${formatHealth(result)}\n`);
      return result.healthy ? EXIT_OK : EXIT_FAILED;
    case 'swap':
    case 'reload':
      if (!isOutcome(result)) return malformed(command, path, output);
      output.out(`${formatOutcome(result)}\n`);
      return result.ok ? EXIT_OK : EXIT_FAILED;
  }
}

function malformed(command: ControlCommand, path: string, output: Output): number {
  output.err(`hotinit ${command.action}: hotinit at ${path} sent a result this client does not understand (a different version?)\n`);
  return EXIT_FAILED;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
function isStatus(value: unknown): value is StatusReport {
  return isRecord(value) && Array.isArray(value.generations) && Array.isArray(value.listeners) && typeof value.uptimeMs === 'number';
}
function isHealth(value: unknown): value is HealthReport {
  return isRecord(value) && typeof value.healthy === 'boolean';
}
function isOutcome(value: unknown): value is ActionOutcome {
  return isRecord(value) && typeof value.ok === 'boolean' && typeof value.message === 'string' && typeof value.durationMs === 'number';
}
