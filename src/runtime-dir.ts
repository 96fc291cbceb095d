/**
 * A private directory for hotinit's own sockets (one NOTIFY_SOCKET per
 * generation): /run when writable (containers), else $XDG_RUNTIME_DIR or the
 * temp dir. Mode 0700, removed at exit.
 *
 * A hotinit that is SIGKILLed (docker kill, the OOM killer, a stop timeout)
 * cannot remove it, and a restarted container keeps /run. So each directory
 * holds owner.sock, a Unix socket listening for hotinit's whole life and
 * never accepted on: when nobody listens there any more (ECONNREFUSED), the
 * directory is stale and the next hotinit removes it (removeStale).
 */
import { accessSync, closeSync, constants, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { native } from './native.js';
import { probeUnixSocket } from './unix-probe.js';

const PREFIX = 'hotinit-';
const OWNER = 'owner.sock';
/**
 * bind() creates owner.sock a moment before listen() makes it answer; a
 * socket this old that refuses connections has lost its owner.
 */
const SETTLED_MS = 1_000;

function writable(dir: string | undefined): dir is string {
  if (!dir) return false;
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class RuntimeDir {
  readonly path: string;
  private ownerFd: number | null;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const base = [env.HOTINIT_RUNTIME_DIR, '/run', env.XDG_RUNTIME_DIR, tmpdir()].find(writable) ?? tmpdir();
    this.path = mkdtempSync(join(base, PREFIX)); // mkdtemp creates it 0700
    this.ownerFd = native.listenUnix(this.file(OWNER), 1);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  remove(): void {
    if (this.ownerFd !== null) closeSync(this.ownerFd);
    this.ownerFd = null;
    rmSync(this.path, { recursive: true, force: true });
  }

  /**
   * Removes the directories beside ours whose owner.sock nobody listens on.
   * A directory without owner.sock (being created, or not hotinit's) and one
   * this user may not remove are left alone. Returns the paths removed.
   */
  async removeStale(): Promise<string[]> {
    const base = dirname(this.path);
    let names: string[];
    try {
      names = readdirSync(base).filter((name) => name.startsWith(PREFIX) && join(base, name) !== this.path);
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const name of names) {
      const dir = join(base, name);
      if (!(await ownerIsGone(join(dir, OWNER)))) continue;
      try {
        rmSync(dir, { recursive: true });
        removed.push(dir);
      } catch {
        // Another user's, or removed meanwhile by another hotinit.
      }
    }
    return removed;
  }
}

async function ownerIsGone(socketPath: string): Promise<boolean> {
  try {
    const stats = lstatSync(socketPath);
    if (!stats.isSocket() || Date.now() - stats.ctimeMs < SETTLED_MS) return false;
  } catch {
    return false;
  }
  return (await probeUnixSocket(socketPath)) === 'stale';
}
