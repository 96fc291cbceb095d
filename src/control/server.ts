/**
 * The control server: a Unix socket, mode 0600, that answers `hotinit status |
 * swap | reload | health` (protocol.ts) by calling a ControlTarget. It owns its
 * path: it refuses to take over a socket another process still answers on,
 * replaces a stale one, and its path is unlinked on close.
 */
// Synchronous file calls: see paths.ts.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { probeUnixSocket } from '../unix-probe.js';
import type { Log } from '../log.js';
import { serveConnection } from './connection.js';
import { logControl } from './events.js';
import { chooseServerPath, currentRuntimeEnv, DEFAULT_CONTROL_PATH, type RuntimeEnv } from './paths.js';
import { encodeResponse, errorResponse, MAX_LINE_BYTES, type ControlTarget } from './protocol.js';

export interface ControlServerOptions {
  /** Default /run/hotinit.sock, which falls back (paths.ts) when /run is not writable. */
  path?: string;
  target: ControlTarget;
  log: Log;
  /** Connections beyond this get a `busy` reply and are closed (default 64). */
  maxConnections?: number;
  /** A client with no complete request line for this long is dropped (default 10 s). */
  idleTimeoutMs?: number;
  /** Where the fallback locations come from; tests pass their own. */
  runtimeEnv?: RuntimeEnv;
}

export interface ControlServer {
  /** The path actually bound (a fallback when the default was not writable). */
  path: string;
  /** Stops accepting, drops open connections, unlinks the socket. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_CONNECTIONS = 64;
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { target, log } = options;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const ownUid = process.getuid?.() ?? 0;
  const { path, fallbackReason } = chooseServerPath(options.path ?? DEFAULT_CONTROL_PATH, options.runtimeEnv ?? currentRuntimeEnv());
  await removeStaleSocket(path);

  // Every open socket, to destroy on close; only the served ones count
  // against maxConnections.
  const sockets = new Set<Socket>();
  let served = 0;
  const server = createServer({ allowHalfOpen: true });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (served >= maxConnections) {
      rejectBusy(socket, maxConnections, log);
      return;
    }
    served += 1;
    socket.on('close', () => (served -= 1));
    serveConnection(socket, { target, log, ownUid, idleTimeoutMs, maxLineBytes: MAX_LINE_BYTES });
  });
  await listen(server, path);
  server.on('error', (error: NodeJS.ErrnoException) => {
    logControl(log, 'error', { path, code: error.code ?? null, reason: error.message }, 'control socket error');
  });
  // Connections accepted before the chmod are still refused by the
  // SO_PEERCRED check in connection.ts; the mode keeps everyone else out.
  try {
    chmodSync(path, 0o600);
  } catch (error) {
    await closeServer(server, sockets);
    throw error;
  }
  logControl(log, fallbackReason ? 'warn' : 'info', { path, fallbackReason }, fallbackReason ? 'control socket listening at a fallback path' : 'control socket listening');

  let closed: Promise<void> | null = null;
  return {
    path,
    close() {
      // libuv unlinks a bound pipe's path when its handle closes.
      closed ??= closeServer(server, sockets);
      return closed;
    },
  };
}

/**
 * Makes `path` free to bind, or throws. Another server that still accepts
 * there is never displaced (two hotinits would fight over one socket); a
 * socket nobody listens on (ECONNREFUSED: its hotinit died) is removed; a
 * file that is not a socket is left alone.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) throw new Error(`control socket ${path} exists and is not a socket; refusing to replace it`);
  const state = await probeUnixSocket(path);
  if (state === 'live') {
    throw new Error(`another process is already serving the control socket ${path} (a second hotinit?); stop it, or start this one with --control PATH or --control off`);
  }
  if (state === 'denied') {
    throw new Error(`control socket ${path} exists and this user may not connect to it or replace it (permission denied); use --control PATH`);
  }
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? 'another process bound it a moment ago' : error.message;
      reject(new Error(`cannot listen on control socket ${path}: ${reason}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen({ path, backlog: 128 }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function rejectBusy(socket: Socket, maxConnections: number, log: Log): void {
  socket.on('error', () => {});
  const message = `busy: ${maxConnections} control connections are open; try again`;
  logControl(log, 'warn', { maxConnections }, 'control client refused: too many connections');
  socket.end(encodeResponse(errorResponse(null, { code: 'busy', message })));
  socket.resume(); // read (and discard) until the client's EOF, so the socket can close
  setTimeout(() => socket.destroy(), 1_000).unref();
}

function closeServer(server: Server, connections: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of connections) socket.destroy();
  });
}
