/**
 * hotinit/app — what a Node server needs to be swapped without one failed
 * request. No dependencies; works without hotinit too (it listens on a port).
 *
 *   import { createServer } from 'node:http';
 *   import { serve } from 'hotinit/app';
 *   const server = createServer(handler);
 *   await serve(server, { port: 8080 });   // inherited socket under hotinit, port 8080 without
 *
 * Why a helper: plain server.close() closes idle keep-alive connections at
 * once (Node ≥ 19), racing the client's next request on them — measured at
 * hundreds of errors per swap. Draining right means: stop accepting, answer
 * the next request on each connection with `Connection: close`, and close
 * only what is still idle after a grace period.
 */
import { writeSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ServeOptions {
  /** Port (or path) to listen on when not started by hotinit. */
  port?: number | string;
  host?: string;
  /** Which inherited socket (LISTEN_FDNAMES name); default the first. */
  name?: string;
  /** Signal that starts the drain (hotinit's --drain-signal). Default SIGTERM. */
  drainSignal?: NodeJS.Signals;
  /** After this, connections still open are closed. Default 10 s. */
  graceMs?: number;
  /** Called when the drain is complete; default process.exit(0). */
  onDrained?: () => void;
}

/** The fd of an inherited socket (systemd protocol), or null when none is addressed to us. */
export function inheritedFd(name?: string, env: NodeJS.ProcessEnv = process.env): number | null {
  if (env.LISTEN_PID !== String(process.pid)) return null;
  const count = Number(env.LISTEN_FDS);
  if (!Number.isInteger(count) || count < 1) return null;
  if (name === undefined) return 3;
  const index = (env.LISTEN_FDNAMES ?? '').split(':').indexOf(name);
  return index >= 0 && index < count ? 3 + index : null;
}

/** Tells hotinit (or any s6-style supervisor) that this process is ready. */
export function notifyReady(env: NodeJS.ProcessEnv = process.env): boolean {
  const fd = Number(env.HOTINIT_READY_FD);
  if (!Number.isInteger(fd) || fd < 3) return false;
  try {
    writeSync(fd, 'READY=1\n');
    return true;
  } catch {
    return false;
  }
}

/** Drains `server` on the drain signal; returns a function that starts the drain by hand. */
export function drainOnSignal(server: Server, options: ServeOptions = {}): () => void {
  const idle = new Set<Socket>();
  const all = new Set<Socket>();
  let draining = false;
  const graceMs = options.graceMs ?? 10_000;
  const onDrained = options.onDrained ?? (() => process.exit(0));

  const finishIfDone = () => {
    if (draining && all.size === 0) onDrained();
  };
  server.on('connection', (socket: Socket) => {
    all.add(socket);
    idle.add(socket);
    socket.once('close', () => {
      all.delete(socket);
      idle.delete(socket);
      finishIfDone();
    });
  });
  // Before the application's own handler, so the header can still be set.
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    idle.delete(socket);
    if (draining) response.setHeader('Connection', 'close');
    response.once('finish', () => {
      if (draining) return; // Node closes it after this response
      idle.add(socket);
    });
  });

  const drain = () => {
    if (draining) return;
    draining = true;
    // net.Server's close stops accepting without http.Server's closeIdleConnections().
    (Object.getPrototypeOf(Object.getPrototypeOf(server)) as { close: (this: Server) => void }).close.call(server);
    const timer = setTimeout(() => {
      for (const socket of all) socket.destroy();
    }, graceMs);
    timer.unref();
    // Idle connections are not closed here: the client may be sending on one
    // right now. Each gets `Connection: close` with its next response, and the
    // server's keepAliveTimeout or the grace period ends the truly idle ones.
    finishIfDone();
  };
  // `on`, not `once`: a second drain signal (an impatient operator) must not
  // fall through to the default action and kill the process mid-drain.
  process.on(options.drainSignal ?? 'SIGTERM', drain);
  return drain;
}

/** Listens on the inherited socket (or the port), drains on the drain signal, then says ready. */
export async function serve(server: Server, options: ServeOptions = {}): Promise<void> {
  const fd = inheritedFd(options.name);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (fd !== null) server.listen({ fd }, resolve);
    else if (typeof options.port === 'string') server.listen(options.port, resolve);
    else server.listen(options.port ?? 0, options.host, resolve);
  });
  drainOnSignal(server, options);
  notifyReady();
}
