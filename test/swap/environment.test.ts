/**
 * SPEC "Environment the child gets": each generation sees exactly its fds —
 * 0, 1, 2, the listening sockets at 3.. (the same sockets in every
 * generation), then its own readiness pipe — and LISTEN_PID is its own pid.
 *
 * The app is `sh -c` (no script file held open). Its fds are listed by a
 * child shell that does the redirection itself, so the listing is exactly
 * the app's. Fds the test runner itself leaks to its children pass through
 * hotinit, as SPEC says ("as under tini"): they are measured and allowed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Hotinit, PYTHON, tempDir } from '../helpers/swap-harness.js';

const REPORT = `
out="$REPORT_DIR/gen-$HOTINIT_GENERATION"
echo "pid=$$ LISTEN_PID=$LISTEN_PID LISTEN_FDS=$LISTEN_FDS LISTEN_FDNAMES=$LISTEN_FDNAMES HOTINIT_READY_FD=$HOTINIT_READY_FD NOTIFY_SOCKET=$NOTIFY_SOCKET" > "$out.env"
sh -c 'ls -l /proc/$1/fd > "$2"' lister $$ "$out.fds"
if [ -n "$HOTINIT_READY_FD" ]; then
  echo READY=1 >&"$HOTINIT_READY_FD"
else
  # The generation itself sends (a helper that exits at once may be refused: see readiness.test.ts).
  exec "$PYTHON" -c 'import os, socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", os.environ["NOTIFY_SOCKET"]); os.execvp("sleep", ["sleep", "600"])'
fi
exec sleep 600
`;

interface Report {
  env: Record<string, string>;
  /** fd number → what it is (socket:[inode], pipe:[inode], /dev/null, …). */
  fds: Map<number, string>;
}

function readReport(dir: string, gen: number): Report {
  const env: Record<string, string> = {};
  for (const pair of readFileSync(`${dir}/gen-${gen}.env`, 'utf8').trim().split(' ')) {
    const eq = pair.indexOf('=');
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const fds = new Map<number, string>();
  for (const line of readFileSync(`${dir}/gen-${gen}.fds`, 'utf8').split('\n')) {
    const match = / (\d+) -> (.*)$/.exec(line);
    if (match) fds.set(Number(match[1]), match[2]!);
  }
  return { env, fds };
}

/** Fds above 2 that any child of this test process inherits (the runner's own leaks). */
function inheritedFromRunner(): number[] {
  const listing = execFileSync('/bin/sh', ['-c', 'ls /proc/$$/fd'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  return listing
    .split(/\s+/)
    .filter((fd) => /^\d+$/.test(fd))
    .map(Number)
    .filter((fd) => fd > 2);
}

let hotinit: Hotinit | null = null;
const cleanups: Array<() => void> = [];

afterEach(async () => {
  await hotinit?.stop();
  hotinit = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('what a generation is given', () => {
  it.each([
    { mode: 'fd', readyFd: true, notify: false },
    { mode: 'notify', readyFd: false, notify: true },
    { mode: 'auto (default)', readyFd: true, notify: true },
  ])('--ready $mode: exactly 0-2, the two listening sockets and its own channel; LISTEN_PID is its pid, in generation 1 and 2', async ({ mode, readyFd, notify }) => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const readyArgs = mode === 'auto (default)' ? ['--ready-delay', '30s'] : ['--ready', mode];
    const h = (hotinit = await Hotinit.start({
      args: ['-l', 'web=tcp://127.0.0.1:0', '-l', `admin=unix://${dir.path}/admin.sock`, ...readyArgs],
      command: ['/bin/sh', '-c', REPORT],
      env: { REPORT_DIR: dir.path, PYTHON },
    }));
    expect(await h.swap(), h.tail()).toMatchObject({ event: 'swap.done', gen: 2 });

    const stray = inheritedFromRunner();
    const expectedFds = [...(readyFd ? [0, 1, 2, 3, 4, 5] : [0, 1, 2, 3, 4]), ...stray].sort((a, b) => a - b);
    const reports = [readReport(dir.path, 1), readReport(dir.path, 2)];
    for (const [i, { env, fds }] of reports.entries()) {
      const gen = i + 1;
      expect(Number(env.pid)).toBe(h.pidOf(gen));
      expect(env.LISTEN_PID).toBe(env.pid);
      expect(env.LISTEN_FDS).toBe('2');
      expect(env.LISTEN_FDNAMES).toBe('web:admin');
      expect([...fds.keys()].sort((a, b) => a - b), [...fds].join('\n')).toEqual(expectedFds);
      expect(fds.get(3)).toMatch(/^socket:\[\d+\]$/);
      expect(fds.get(4)).toMatch(/^socket:\[\d+\]$/);
      if (readyFd) {
        expect(env.HOTINIT_READY_FD).toBe('5');
        expect(fds.get(5)).toMatch(/^pipe:\[\d+\]$/);
      } else {
        expect(env.HOTINIT_READY_FD).toBe('');
      }
      if (notify) expect(env.NOTIFY_SOCKET).not.toBe('');
      else expect(env.NOTIFY_SOCKET).toBe('');
    }
    const [one, two] = reports as [Report, Report];
    // The same listening sockets, in the same order; readiness channels of their own.
    expect(two.fds.get(3)).toBe(one.fds.get(3));
    expect(two.fds.get(4)).toBe(one.fds.get(4));
    if (readyFd) expect(two.fds.get(5)).not.toBe(one.fds.get(5));
    if (notify) expect(two.env.NOTIFY_SOCKET).not.toBe(one.env.NOTIFY_SOCKET);
  });
});
