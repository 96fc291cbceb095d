import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseServerPath, clientPaths, DEFAULT_CONTROL_PATH, ensurePrivateDir, type RuntimeEnv } from '../../src/control/paths.js';
import { tempDir } from '../control/helpers.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
let cleanup: () => void;
let env: RuntimeEnv;
/** A default whose directory does not exist, so the server must fall back. */
let missingDefault: string;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  mkdirSync(join(dir, 'tmp'));
  mkdirSync(join(dir, 'xdg'), { mode: 0o700 });
  env = { uid: process.getuid!(), runtimeDir: join(dir, 'xdg'), tmpDir: join(dir, 'tmp') };
  missingDefault = join(dir, 'run', 'hotinit.sock');
});
afterEach(() => cleanup());

describe('chooseServerPath', () => {
  it('uses an explicit path as given, even where it cannot be created', () => {
    expect(chooseServerPath('/nonexistent/x.sock', env, missingDefault)).toEqual({ path: '/nonexistent/x.sock', fallbackReason: null });
  });
  it('uses the default when its directory is writable', () => {
    mkdirSync(join(dir, 'run'));
    expect(chooseServerPath(missingDefault, env, missingDefault)).toEqual({ path: missingDefault, fallbackReason: null });
  });
  it('falls back to $XDG_RUNTIME_DIR, then to a private /tmp/hotinit-<uid>, and says why', () => {
    expect(chooseServerPath(missingDefault, env, missingDefault)).toEqual({
      path: join(dir, 'xdg', 'hotinit.sock'),
      fallbackReason: `${join(dir, 'run')} does not exist`,
    });
    const chosen = chooseServerPath(missingDefault, { ...env, runtimeDir: undefined }, missingDefault);
    const privateDir = join(dir, 'tmp', `hotinit-${env.uid}`);
    expect(chosen.path).toBe(join(privateDir, 'hotinit.sock'));
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
  });
  it('names every place tried when none will do', () => {
    const blocked = { ...env, runtimeDir: join(dir, 'gone'), tmpDir: join(dir, 'gone-too') };
    expect(() => chooseServerPath(missingDefault, blocked, missingDefault)).toThrow(
      `no writable place for the control socket: ${join(dir, 'run')} does not exist; ${join(dir, 'gone')} does not exist; ` +
        `${join(dir, 'gone-too', `hotinit-${env.uid}`)} does not exist (use --control PATH or --control off)`,
    );
  });
  it('skips a fallback path too long for a Unix socket', () => {
    const chosen = chooseServerPath(missingDefault, { ...env, runtimeDir: `/${'d'.repeat(120)}` }, missingDefault);
    expect(chosen.path).toBe(join(dir, 'tmp', `hotinit-${env.uid}`, 'hotinit.sock'));
    expect(chosen.fallbackReason).toContain('is longer than 107 bytes');
  });
});

describe('ensurePrivateDir', () => {
  it('creates the directory 0700, and accepts it again', () => {
    const target = join(dir, 'private');
    expect(ensurePrivateDir(target, env.uid)).toBeNull();
    expect(ensurePrivateDir(target, env.uid)).toBeNull();
    expect(statSync(target).mode & 0o777).toBe(0o700);
  });
  it('refuses one that others can enter, a symlink, or a file', () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(ensurePrivateDir(open, env.uid)).toBe('has mode 777, not 700');
    const link = join(dir, 'link');
    symlinkSync(join(dir, 'xdg'), link);
    expect(ensurePrivateDir(link, env.uid)).toBe('is not a directory');
  });
  it.runIf(isRoot)('refuses one that another user made first', () => {
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    expect(ensurePrivateDir(theirs, 0)).toBe('belongs to uid 65534, not 0');
  });
});

describe('clientPaths', () => {
  it('tries an explicit path only', () => {
    expect(clientPaths('/srv/x.sock', env)).toEqual(['/srv/x.sock']);
  });
  it('tries the default, then the fallbacks in the server order, then (as root) other users\' private dirs', () => {
    mkdirSync(join(env.tmpDir, 'hotinit-1000'));
    mkdirSync(join(env.tmpDir, 'unrelated'));
    const asUser = clientPaths(DEFAULT_CONTROL_PATH, { ...env, uid: 1000 });
    expect(asUser).toEqual([DEFAULT_CONTROL_PATH, join(dir, 'xdg', 'hotinit.sock'), join(env.tmpDir, 'hotinit-1000', 'hotinit.sock')]);
    const asRoot = clientPaths(DEFAULT_CONTROL_PATH, { ...env, uid: 0, runtimeDir: undefined });
    expect(asRoot).toEqual([DEFAULT_CONTROL_PATH, join(env.tmpDir, 'hotinit-0', 'hotinit.sock'), join(env.tmpDir, 'hotinit-1000', 'hotinit.sock')]);
  });
});
