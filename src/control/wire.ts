/**
 * The client's side of the socket: find a hotinit among candidate paths, send
 * one request line, wait for its answer line. Every way this can go wrong is a
 * WireError whose `kind` the client turns into a message and an exit status.
 */
import { connect, type Socket } from 'node:net';
import { LineSplitter, LineTooLongError } from './lines.js';
import { PROTOCOL_VERSION, type ControlOp, type ControlResponse } from './protocol.js';

/** Answers are small, but a failed reload may carry its check's output. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export type WireErrorKind =
  /** No candidate path had a hotinit behind it. */
  | 'unreachable'
  /** The socket is there but this user may not connect (mode 0600). */
  | 'denied'
  /** No answer before the deadline. */
  | 'timeout'
  /** hotinit hung up without answering, or answered something unreadable. */
  | 'broken';

export class WireError extends Error {
  constructor(
    readonly kind: WireErrorKind,
    message: string,
    readonly path: string | null,
  ) {
    super(message);
  }
}

export interface Connected {
  socket: Socket;
  path: string;
}

const WHY: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such directory',
  ECONNREFUSED: 'nothing listening (stale socket)',
  ENOTSOCK: 'not a socket',
};

function connectTo(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Connects to the first path that answers. Permission errors stop the search:
 * the socket is there, trying elsewhere would only hide the real problem. */
export async function connectFirst(paths: readonly string[]): Promise<Connected> {
  const tried: string[] = [];
  for (const path of paths) {
    try {
      return { socket: await connectTo(path), path };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EACCES' || code === 'EPERM') {
        throw new WireError(
          'denied',
          `permission denied on ${path}: the control socket is owner-only (mode 0600); run this as the user hotinit runs as, or as root`,
          path,
        );
      }
      tried.push(`${path} (${WHY[code] ?? (code || (error as Error).message)})`);
    }
  }
  const message =
    tried.length === 1 ? `no hotinit is listening at ${tried[0]}` : `no hotinit is reachable; tried ${tried.join(', ')}`;
  throw new WireError('unreachable', `${message}; is it running with --control off, or with another --control PATH?`, null);
}

/** Sends one request on `connected` and resolves with its answer; closes the
 * socket either way. `deadlineMs` is absolute (Date.now() scale). */
export function exchange(
  connected: Connected,
  request: { id: string; op: ControlOp; stage?: string | null },
  deadlineMs: number,
  describeWait: string,
): Promise<ControlResponse> {
  const { socket, path } = connected;
  return new Promise((resolve, reject) => {
    const splitter = new LineSplitter(MAX_ANSWER_BYTES);
    let settled = false;
    const settle = (outcome: ControlResponse | WireError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof WireError) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(
      () => settle(new WireError('timeout', `no answer from hotinit at ${path} ${describeWait}`, path)),
      Math.max(0, deadlineMs - Date.now()),
    );
    const take = (line: string | null) => {
      if (line === null || line.trim() === '') return;
      settle(parseAnswer(line, path));
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const line of splitter.push(chunk)) take(line);
      } catch (error) {
        if (!(error instanceof LineTooLongError)) throw error;
        settle(new WireError('broken', `hotinit at ${path} sent an answer longer than ${MAX_ANSWER_BYTES} bytes`, path));
      }
    });
    socket.on('end', () => {
      take(splitter.flush());
      settle(new WireError('broken', `hotinit at ${path} closed the connection without answering`, path));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      settle(new WireError('broken', `lost the connection to hotinit at ${path}: ${error.code ?? error.message}`, path));
    });
    socket.write(`${JSON.stringify({ v: PROTOCOL_VERSION, ...request })}\n`);
  });
}

function parseAnswer(line: string, path: string): ControlResponse | WireError {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return new WireError('broken', `hotinit at ${path} answered something that is not JSON: ${line.slice(0, 200)}`, path);
  }
  const answer = value as Partial<ControlResponse> | null;
  if (typeof answer !== 'object' || answer === null || typeof answer.ok !== 'boolean') {
    return new WireError('broken', `hotinit at ${path} answered something that is not a response: ${line.slice(0, 200)}`, path);
  }
  return answer as ControlResponse;
}
