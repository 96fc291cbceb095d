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

/**
 * Only directories with this prefix are looked at by removeStale. Earlier
 * versions made plain hotinit-XXXXXX ones without owner.sock (mkdtemp's
 * suffix has no '-', so they never match): on a machine with hundreds of
 * those, stat-ing each cost a start-up ~2 MB of memory for nothing.
 */
const PREFIX = 'hotinit-run-';
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
      names = readdirSync(base).filter((name) => name.startsWith(PREFIX));
    } catch {
      return [];
    }
    // Only directories with a settled owner.sock are probed (asynchronously).
    const suspects = names.map((name) => join(base, name)).filter((dir) => dir !== this.path && hasSettledOwner(dir));
    const removed: string[] = [];
    for (const dir of suspects) {
      if ((await probeUnixSocket(join(dir, OWNER))) !== 'stale') continue;
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

function hasSettledOwner(dir: string): boolean {
  const stats = lstatSync(join(dir, OWNER), { throwIfNoEntry: false });
  return stats !== undefined && stats.isSocket() && Date.now() - stats.ctimeMs >= SETTLED_MS;
}
