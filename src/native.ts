/**
 * The only module that loads the addon. Its interface is declared once here;
 * every other module imports these typed functions, never the binary.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ExitRecord {
  pid: number;
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** Signal number that killed it, or null. */
  signal: number | null;
}

export interface SpawnRequest {
  /** Absolute or relative path: PATH lookup is done before (see command.ts). */
  file: string;
  argv: string[];
  /** "KEY=value" entries. */
  env: string[];
  cwd?: string;
  /** Child fd i receives parent fd fds[i]; -1 closes slot i in the child. */
  fds: number[];
  /** Give the child's process group the terminal on fd 0. */
  foreground?: boolean;
  /** Add LISTEN_PID=<the child's own pid> to its environment. */
  listenPid?: boolean;
}

export interface SignalState {
  /** True when started by the launcher: held signals are blocked in every thread. */
  holding: boolean;
  held: number[];
  inheritedBlocked: number[];
  inheritedIgnored: number[];
}

export interface ReaderHandle {
  fd: number;
  handle: unknown;
}

export interface SocketInfo {
  family: 'inet' | 'inet6' | 'unix' | 'other';
  type: 'stream' | 'dgram' | 'other';
  listening: boolean;
  address?: string;
  port?: number;
  path?: string;
}

export interface NativeBinding {
  spawn(request: SpawnRequest): number;
  /** One exited child, not reaped; null: none exited yet; false: no children at all. */
  peekExited(): ExitRecord | null | false;
  reap(pid: number): ExitRecord | null;
  setChildSubreaper(): void;
  setParentDeathSignal(signo: number): void;
  takeTerminal(fd: number): void;
  /** isatty(fd), without loading node:tty. */
  isTerminal(fd: number): boolean;
  openSignalReader(onSignal: (signo: number, senderPid: number, code: number) => void): ReaderHandle;
  signalState(): SignalState;
  listenInet(kind: 'tcp' | 'udp', host: string, port: number, backlog: number): number;
  listenUnix(path: string, backlog: number): number;
  socketInfo(fd: number): SocketInfo;
  openDatagramReader(path: string, onMessage: (senderPid: number, text: string) => void): ReaderHandle;
  openPipeReader(onData: (text: string | null) => void): ReaderHandle & { writeFd: number };
  closeReader(handle: unknown): void;
  /** Credentials of the peer of a connected Unix socket (SO_PEERCRED). */
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
}

function loadBinding(): NativeBinding {
  const require = createRequire(import.meta.url);
  const here = dirname(fileURLToPath(import.meta.url));
  // Repository layout (dist/ beside build/), then the image layout (lib/hotinit beside bin/).
  const candidates = [
    resolve(here, '../build/Release/hotinit.node'),
    resolve(here, '../../bin/hotinit.node'),
    resolve(here, '../build/Debug/hotinit.node'),
  ];
  const failures: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) {
      failures.push(`${path}: not found`);
      continue;
    }
    try {
      return require(path) as NativeBinding;
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message}`);
    }
  }
  throw new Error(
    `cannot load hotinit's native addon; tried:\n  ${failures.join('\n  ')}\n` +
      `rebuild it with: npm rebuild (needs python3, make and a C compiler)`,
  );
}

export const native: NativeBinding = loadBinding();

/** Closes a reader exactly once (the addon frees it on close). */
export function closeReader(reader: ReaderHandle | null): void {
  if (reader && reader.handle !== null) {
    native.closeReader(reader.handle);
    reader.handle = null;
  }
}

