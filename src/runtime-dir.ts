/**
 * A private directory for hotinit's own sockets (one NOTIFY_SOCKET per
 * generation): /run when writable (containers), else $XDG_RUNTIME_DIR or the
 * temp dir. Mode 0700, removed at exit.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const base = [env.HOTINIT_RUNTIME_DIR, '/run', env.XDG_RUNTIME_DIR, tmpdir()].find(writable) ?? tmpdir();
    this.path = mkdtempSync(join(base, 'hotinit-')); // mkdtemp creates it 0700
  }

  file(name: string): string {
    return join(this.path, name);
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
