/**
 * The listening sockets hotinit holds for the life of the container. Created
 * once, never accepted on, never rebound: connections that arrive between two
 * generations wait in the kernel's queue. Each generation gets them at fd 3..
 * in order. Sockets hotinit itself received by socket activation are held and
 * passed on the same way, before the ones from --listen.
 */
import { closeSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { native } from './native.js';
import type { ListenSpec } from './options.js';
import { probeUnixSocket } from './unix-probe.js';

export interface HeldSocket {
  name: string;
  fd: number;
  /** What the user wrote (or "inherited"), for logs and status. */
  text: string;
  /** Where it really listens, e.g. tcp://127.0.0.1:40123 (port 0 resolved). */
  address: string;
  /** A Unix socket path hotinit created and must unlink at final exit. */
  ownedPath: string | null;
}

export class ListenError extends Error {
  constructor(spec: string, reason: string) {
    super(`--listen ${spec}: ${reason}`);
    this.name = 'ListenError';
  }
}

const BACKLOG = 4096; // the kernel caps it at net.core.somaxconn

function describeErrno(error: NodeJS.ErrnoException, port?: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'address already in use';
    case 'EACCES':
      return port !== undefined && port < 1024
        ? 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)'
        : 'permission denied';
    case 'EADDRNOTAVAIL':
      return 'address not available on this host';
    case 'ENAMETOOLONG':
      return 'path too long for a Unix socket (max 107 bytes)';
    default:
      return error.message;
  }
}

/** Why a Unix socket could not be created at path, naming the directory. */
function describeUnixErrno(error: NodeJS.ErrnoException, path: string): string {
  const dir = dirname(path);
  switch (error.code) {
    case 'ENOENT':
      return existsSync(dir) ? `cannot create a socket in ${dir}` : `directory ${dir} does not exist`;
    case 'EACCES':
      return `permission denied: cannot create files in ${dir}`;
    case 'EROFS':
      return `${dir} is on a read-only filesystem`;
    default:
      return describeErrno(error);
  }
}

/** A Unix socket path may be reused only if nothing listens there (a stale file). */
async function removeStaleUnixSocket(path: string, spec: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new ListenError(spec, `${path} exists and is not a socket; refusing to replace it`);
  // A full backlog (EAGAIN) is someone listening too: never unlink a live socket.
  const alive = (await probeUnixSocket(path)) === 'live';
  if (alive) throw new ListenError(spec, `${path} is in use by another process`);
  unlinkSync(path);
}

async function numericHost(host: string): Promise<string> {
  if (host === '') return '0.0.0.0';
  try {
    const { lookup } = await import('node:dns/promises'); // imported when needed: it slows start-up
    return (await lookup(host)).address;
  } catch {
    throw new Error(`cannot resolve host "${host}"`);
  }
}

async function openOne(spec: ListenSpec): Promise<HeldSocket> {
  const { address } = spec;
  if (address.kind === 'unix') {
    await removeStaleUnixSocket(address.path, spec.text);
    try {
      const fd = native.listenUnix(address.path, BACKLOG);
      return { name: spec.name, fd, text: spec.text, address: `unix://${address.path}`, ownedPath: address.path };
    } catch (error) {
      throw new ListenError(spec.text, describeUnixErrno(error as NodeJS.ErrnoException, address.path));
    }
  }
  let host: string;
  try {
    host = await numericHost(address.host);
  } catch (error) {
    throw new ListenError(spec.text, (error as Error).message);
  }
  try {
    const fd = native.listenInet(address.kind, host, address.port, BACKLOG);
    const info = native.socketInfo(fd);
    const shown = info.family === 'inet6' ? `[${info.address}]` : info.address;
    return { name: spec.name, fd, text: spec.text, address: `${address.kind}://${shown}:${info.port}`, ownedPath: null };
  } catch (error) {
    throw new ListenError(spec.text, describeErrno(error as NodeJS.ErrnoException, address.port));
  }
}

/** Sockets passed to hotinit itself by socket activation (LISTEN_PID is ours). */
export function inheritedSockets(env: NodeJS.ProcessEnv): HeldSocket[] {
  if (env.LISTEN_PID !== String(process.pid)) return [];
  const count = Number(env.LISTEN_FDS);
  if (!Number.isInteger(count) || count <= 0) return [];
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  const held: HeldSocket[] = [];
  for (let i = 0; i < count; i++) {
    const fd = 3 + i;
    let address = 'inherited';
    try {
      const info = native.socketInfo(fd);
      address = info.path !== undefined ? `unix://${info.path}` : `${info.type === 'dgram' ? 'udp' : 'tcp'}://${info.address}:${info.port}`;
    } catch {
      continue; // not a socket after all: leave it alone
    }
    held.push({ name: names[i] || `listen${i}`, fd, text: 'inherited', address, ownedPath: null });
  }
  return held;
}

/** Opens every --listen socket; on any failure closes the ones already opened and throws ListenError. */
export async function openSockets(specs: readonly ListenSpec[], inherited: HeldSocket[]): Promise<HeldSocket[]> {
  const held: HeldSocket[] = [...inherited];
  try {
    for (const spec of specs) held.push(await openOne(spec));
  } catch (error) {
    closeSockets(held.slice(inherited.length));
    throw error;
  }
  return held;
}

/** At final exit only: closes the fds and unlinks the Unix socket paths hotinit created. */
export function closeSockets(sockets: readonly HeldSocket[]): void {
  for (const socket of sockets) {
    try {
      closeSync(socket.fd);
    } catch {
      // already closed
    }
    if (socket.ownedPath) {
      try {
        unlinkSync(socket.ownedPath);
      } catch {
        // removed by someone else
      }
    }
  }
}
