/**
 * Where the control socket lives. The default is /run/hotinit.sock; when
 * hotinit cannot create files in /run (it runs as a non-root USER, or /run is
 * read-only) the server falls back, in order, to $XDG_RUNTIME_DIR/hotinit.sock
 * and /tmp/hotinit-<uid>/hotinit.sock, and the client looks in the same
 * places. An explicit --control PATH never falls back: the user asked for it.
 */
// Synchronous calls: each is one quick syscall on a local path, and the
// asynchronous ones would start libuv's thread pool (four threads) in an init
// that otherwise never needs it.
import { accessSync, constants, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { DEFAULTS } from '../options.js';

export const DEFAULT_CONTROL_PATH: string = DEFAULTS.control;
const SOCKET_NAME = 'hotinit.sock';
/** sun_path holds 108 bytes with its terminating NUL. */
const UNIX_PATH_MAX_BYTES = 107;

/** What the fallback locations depend on; tests pass their own. */
export interface RuntimeEnv {
  uid: number;
  /** $XDG_RUNTIME_DIR, or undefined. */
  runtimeDir: string | undefined;
  tmpDir: string;
}

export function currentRuntimeEnv(): RuntimeEnv {
  // Read here rather than in options.ts: it only matters to the fallback,
  // and the client and the server must agree on it.
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  return { uid: process.getuid?.() ?? 0, runtimeDir: runtimeDir ? runtimeDir : undefined, tmpDir: '/tmp' };
}

/** The private per-uid directory under /tmp. */
export function privateTmpDir(env: RuntimeEnv): string {
  return join(env.tmpDir, `hotinit-${env.uid}`);
}

/** Fallbacks for the default path, in the order both ends try them. */
export function fallbackPaths(env: RuntimeEnv): string[] {
  const paths: string[] = [];
  if (env.runtimeDir && isAbsolute(env.runtimeDir)) paths.push(join(env.runtimeDir, SOCKET_NAME));
  paths.push(join(privateTmpDir(env), SOCKET_NAME));
  return paths;
}

export interface ChosenPath {
  path: string;
  /** Why the default was not used, when it was not. */
  fallbackReason: string | null;
}

/** The server's path: `path` itself, or for the default a fallback when its
 * directory is not writable. Throws, naming every place tried, when none is.
 * (`defaultPath` is a parameter so that tests can make the default unwritable.) */
export function chooseServerPath(path: string, env: RuntimeEnv, defaultPath = DEFAULT_CONTROL_PATH): ChosenPath {
  if (path !== defaultPath) return { path, fallbackReason: null };
  const defaultProblem = unwritableReason(dirname(path));
  if (defaultProblem === null) return { path, fallbackReason: null };
  const tried = [`${dirname(path)} ${defaultProblem}`];
  for (const candidate of fallbackPaths(env)) {
    const dir = dirname(candidate);
    if (Buffer.byteLength(candidate) > UNIX_PATH_MAX_BYTES) {
      tried.push(`${candidate} is longer than ${UNIX_PATH_MAX_BYTES} bytes`);
      continue;
    }
    const problem = dir === privateTmpDir(env) ? ensurePrivateDir(dir, env.uid) : unwritableReason(dir);
    if (problem === null) return { path: candidate, fallbackReason: tried.join('; ') };
    tried.push(`${dir} ${problem}`);
  }
  throw new Error(`no writable place for the control socket: ${tried.join('; ')} (use --control PATH or --control off)`);
}

/** Client: the paths to try for `path`, most likely first. */
export function clientPaths(path: string, env: RuntimeEnv, defaultPath = DEFAULT_CONTROL_PATH): string[] {
  if (path !== defaultPath) return [path];
  const paths = [path, ...fallbackPaths(env)];
  // Root (docker exec's default user) may talk to a hotinit that runs as any
  // USER, whose socket is in that user's /tmp/hotinit-<uid>.
  if (env.uid === 0) {
    try {
      const others = readdirSync(env.tmpDir)
        .filter((name) => /^hotinit-\d+$/.test(name))
        .sort()
        .map((name) => join(env.tmpDir, name, SOCKET_NAME));
      paths.push(...others);
    } catch {
      // No /tmp to look in: the fixed candidates are all there is.
    }
  }
  return [...new Set(paths)];
}

function unwritableReason(dir: string): string | null {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return null;
  } catch (error) {
    return describeFsError(error);
  }
}

/**
 * Creates `dir` 0700 or checks that it already is ours, a real directory, and
 * private: in a world-writable /tmp another user could have made it first, and
 * could then swap our socket for theirs. Returns the problem as a predicate
 * ("belongs to uid 7, not 1000"), or null.
 */
export function ensurePrivateDir(dir: string, uid: number): string | null {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return describeFsError(error);
  }
  try {
    const stats = lstatSync(dir);
    if (!stats.isDirectory()) return 'is not a directory';
    if (stats.uid !== uid) return `belongs to uid ${stats.uid}, not ${uid}`;
    if ((stats.mode & 0o077) !== 0) return `has mode ${(stats.mode & 0o777).toString(8)}, not 700`;
    return null;
  } catch (error) {
    return describeFsError(error);
  }
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'is not writable';
    case 'EROFS':
      return 'is on a read-only file system';
    default:
      return code ?? (error as Error).message;
  }
}
