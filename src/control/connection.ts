/**
 * One control connection: check who is on the other end, then answer its
 * request lines one at a time. Nothing a client does here — garbage, a line
 * that never ends, silence, hanging up in the middle of a swap — can throw out
 * of this module or reach the serving generation: every failure ends in an
 * error reply, a dropped connection and a log line.
 */
import type { Socket } from 'node:net';
import type { Log } from '../log.js';
import { native } from '../native.js';
import { logControl, type ControlLogLevel } from './events.js';
import { LineSplitter, LineTooLongError } from './lines.js';
import {
  PROTOCOL_VERSION,
  assessHealth,
  encodeResponse,
  errorResponse,
  parseRequest,
  type ControlError,
  type ControlErrorCode,
  type ControlRequest,
  type ControlResponse,
  type ControlTarget,
  type RequestId,
} from './protocol.js';

export interface ConnectionSettings {
  target: ControlTarget;
  log: Log;
  /** hotinit's own uid: peers must have it, or be root. */
  ownUid: number;
  /** Drop a client that sends no complete line for this long. */
  idleTimeoutMs: number;
  maxLineBytes: number;
}

/** After an error that closes, how long the client has to read it. */
const LINGER_MS = 1_000;

/**
 * The peer's credentials (SO_PEERCRED), or null when they cannot be read.
 * Node has no public API for a net.Socket's descriptor: `_handle` is the
 * libuv pipe wrap and its `fd` getter is uv_fileno() (Unix only, -1 when
 * closed). Should that ever change we get null and refuse everyone — failing
 * closed, and loudly in the tests — rather than trusting the file mode alone.
 */
export function peerOf(socket: Socket): { pid: number; uid: number } | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    const { pid, uid } = native.peerCredentials(fd);
    return { pid, uid };
  } catch {
    return null;
  }
}

export function serveConnection(socket: Socket, settings: ConnectionSettings): void {
  const { target, ownUid } = settings;
  const peer = peerOf(socket);
  const log = settings.log.child({ peerPid: peer?.pid ?? null, peerUid: peer?.uid ?? null });
  const splitter = new LineSplitter(settings.maxLineBytes);
  const queue: string[] = [];
  let answering = false;
  let ended = false;
  let closing = false;
  let idleTimer: NodeJS.Timeout | null = null;

  socket.on('error', (error: NodeJS.ErrnoException) => {
    logControl(log, 'debug', { code: error.code ?? null }, 'control client connection error');
  });
  socket.on('close', () => stopIdleTimer());

  /** Writes an answer; a client that hung up is noticed here (EPIPE), and
   * only logged: whatever it asked for has happened regardless. */
  const send = (response: ControlResponse): void => {
    const wentAway = () => logControl(log, 'info', { id: response.id }, 'control client went away before its answer');
    if (socket.destroyed || !socket.writable) {
      if (!closing) wentAway();
      return;
    }
    socket.write(encodeResponse(response), (error) => {
      if (error && !closing) wentAway();
    });
  };

  const refuseAndClose = (id: RequestId, code: ControlErrorCode, message: string, level: ControlLogLevel): void => {
    if (closing) return;
    closing = true;
    stopIdleTimer();
    queue.length = 0;
    logControl(log, level, { code, reason: message }, 'control client dropped');
    send(errorResponse(id, { code, message }));
    socket.end();
    socket.resume(); // discard what else comes until the client's EOF closes the socket
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };

  const startIdleTimer = (): void => {
    stopIdleTimer();
    idleTimer = setTimeout(() => {
      refuseAndClose(null, 'timeout', `no complete request line within ${settings.idleTimeoutMs} ms`, 'info');
    }, settings.idleTimeoutMs);
    idleTimer.unref();
  };
  function stopIdleTimer(): void {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
  }

  if (peer === null || (peer.uid !== ownUid && peer.uid !== 0)) {
    const who = peer === null ? 'the peer credentials could not be read' : `uid ${peer.uid} is neither hotinit's uid ${ownUid} nor root`;
    refuseAndClose(null, 'permission-denied', `permission denied: ${who}`, 'warn');
    return;
  }

  const answerNext = async (): Promise<void> => {
    if (answering || closing) return;
    answering = true;
    socket.pause();
    try {
      for (let line = queue.shift(); line !== undefined && !closing; line = queue.shift()) {
        stopIdleTimer();
        send(await answer(line, target, log));
      }
    } finally {
      answering = false;
    }
    if (closing) return;
    if (ended) {
      socket.end();
      return;
    }
    socket.resume();
    startIdleTimer();
  };

  socket.on('data', (chunk: Buffer) => {
    if (closing) return;
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      refuseAndClose(null, 'line-too-long', `request line longer than ${error.limitBytes} bytes`, 'warn');
      return;
    }
    queue.push(...lines.filter((line) => line.trim() !== ''));
    if (queue.length > 0) void answerNext();
  });

  // allowHalfOpen: a client may send its request and shut its side
  // (`printf … | nc -U`); it still gets every answer before we close.
  socket.on('end', () => {
    ended = true;
    let last: string | null = null;
    try {
      last = splitter.flush();
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      refuseAndClose(null, 'line-too-long', `request line longer than ${error.limitBytes} bytes`, 'warn');
      return;
    }
    if (last !== null && last.trim() !== '') queue.push(last);
    if (queue.length > 0) void answerNext();
    else if (!answering && !closing) socket.end();
  });

  startIdleTimer();
}

/** One request line → its response. Never throws. */
async function answer(line: string, target: ControlTarget, log: Log): Promise<ControlResponse> {
  const parsed = parseRequest(line);
  if (!parsed.ok) {
    logControl(log, 'info', { code: parsed.error.code, reason: parsed.error.message }, 'bad control request');
    return errorResponse(parsed.id, parsed.error);
  }
  const { request } = parsed;
  logControl(log, 'debug', { op: request.op, id: request.id }, 'control request');
  try {
    return { v: PROTOCOL_VERSION, id: request.id, ok: true, result: await perform(request, target) };
  } catch (error) {
    const failure: ControlError = { code: 'internal', message: `hotinit failed to ${request.op}: ${(error as Error)?.message ?? String(error)}` };
    logControl(log, 'error', { op: request.op, err: (error as Error)?.stack ?? String(error) }, 'control request failed inside hotinit');
    return errorResponse(request.id, failure);
  }
}

function perform(request: ControlRequest, target: ControlTarget) {
  switch (request.op) {
    case 'status':
      return target.status();
    case 'health':
      return assessHealth(target.status());
    case 'swap':
      return target.swap({ stage: request.stage });
    case 'reload':
      return target.reload();
  }
}
