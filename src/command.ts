/**
 * Finds the program to run the way execvp would (PATH from the child's
 * environment), so that "not found" (127) and "cannot execute" (126) are
 * told apart with a clear message before anything is forked.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export class CommandError extends Error {
  readonly exitStatus: 126 | 127;
  constructor(message: string, exitStatus: 126 | 127) {
    super(message);
    this.name = 'CommandError';
    this.exitStatus = exitStatus;
  }
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function isExecutableFile(path: string): 'ok' | 'missing' | 'not-executable' {
  try {
    if (!statSync(path).isFile()) return 'not-executable';
    accessSync(path, constants.X_OK);
    return 'ok';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR'
      ? 'missing'
      : 'not-executable';
  }
}

/** The path to exec for `name`; throws CommandError (126/127) with a one-line reason. */
export function resolveCommand(name: string, pathVariable: string | undefined): string {
  if (name.includes('/')) {
    const state = isExecutableFile(name);
    if (state === 'ok') return name;
    if (state === 'missing') throw new CommandError(`${name}: no such file`, 127);
    throw new CommandError(`${name}: not an executable file (permission denied)`, 126);
  }
  let sawNotExecutable = false;
  for (const dir of (pathVariable || DEFAULT_PATH).split(delimiter)) {
    const candidate = join(dir || '.', name);
    const state = isExecutableFile(candidate);
    if (state === 'ok') return candidate;
    if (state === 'not-executable') sawNotExecutable = true;
  }
  if (sawNotExecutable) throw new CommandError(`${name}: found on PATH but not executable`, 126);
  throw new CommandError(`${name}: command not found on PATH`, 127);
}

/** Exit status for an execve failure the addon reported (errno code). */
export function execFailureStatus(code: string | undefined): 126 | 127 {
  return code === 'ENOENT' || code === 'ENOTDIR' ? 127 : 126;
}
