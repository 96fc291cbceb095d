/**
 * What the application starts with: the signal mask and ignored set hotinit
 * inherited (not hotinit's own, not reset), and no fd of hotinit's own — only
 * 0-2 plus what is passed on purpose (listen fds, the readiness fd) and what
 * the runtime passed to hotinit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { disposeAll, initArgv, jsonLines, py, runToEnd, testEnv } from '../helpers/hotinit.js';

afterEach(disposeAll);

const SIGHUP = 1;
const SIGUSR1 = 10;
const SIGRTMIN = 34;

const hex = (...signals: number[]): string =>
  signals.reduce((bits, n) => bits | (1n << BigInt(n - 1)), 0n).toString(16).padStart(16, '0');

/** SigBlk and SigIgn of the application (grep reading its own /proc/self/status). */
async function childSignalState(state: string[], pid1: boolean, via: string[] = []): Promise<Record<string, string>> {
  const argv = [
    ...py('with-signal-state.py', ...state, '--'),
    ...initArgv(['--log-level', 'error', '--', ...via, 'grep', '-E', '^Sig(Blk|Ign):', '/proc/self/status'], pid1),
  ];
  const run = await runToEnd(argv);
  expect(run.code, run.stderr).toBe(0);
  return Object.fromEntries(run.stdout.trim().split('\n').map((l) => l.split(/:\s+/) as [string, string]));
}

describe.each([true, false])('signal state (pid1=%s)', (pid1) => {
  it('starts the application with the mask and ignored set hotinit inherited', async () => {
    const state = await childSignalState(['--block', String(SIGUSR1), '--block', String(SIGRTMIN), '--ignore', String(SIGHUP)], pid1);
    expect(state).toEqual({ SigBlk: hex(SIGUSR1, SIGRTMIN), SigIgn: hex(SIGHUP) });
  });

  it('starts the application with nothing blocked or ignored when nothing was inherited', async () => {
    const state = await childSignalState([], pid1);
    expect(state).toEqual({ SigBlk: hex(), SigIgn: hex() });
  });
});

// Negative control: a Node parent that starts the application with plain
// child_process.spawn (libuv resets both sets) fails the same check.
it('a child started through child_process.spawn loses the inherited state (the check can fail)', async () => {
  const relay = [process.execPath, '-e', "require('child_process').spawn(process.argv[1], process.argv.slice(2), { stdio: 'inherit' }).on('exit', (c) => process.exit(c))"];
  const state = await childSignalState(['--block', String(SIGUSR1), '--ignore', String(SIGHUP)], false, relay);
  expect(state).toEqual({ SigBlk: hex(), SigIgn: hex() });
});

interface FdReport {
  fds: number[];
  listen_fds: number;
  ready_fd: number | null;
}

/** The application's open fds, with hotinit started holding only 0-2 (and --pipe-at ones). */
async function childFds(hotinitArgs: string[], pid1: boolean, pipes: number[] = [], env = testEnv()): Promise<FdReport> {
  const argv = [
    ...py('with-fds.py', ...pipes.flatMap((fd) => ['--pipe-at', String(fd)]), '--'),
    ...initArgv(['--log-level', 'error', ...hotinitArgs, '--', ...py('open-fds.py')], pid1),
  ];
  const run = await runToEnd(argv, { env });
  expect(run.code, run.stderr).toBe(0);
  return jsonLines<FdReport>(run.stdout)[0]!;
}

/** 0-2, the listen fds from 3, then the readiness fd: what hotinit passes on purpose. */
function intended(report: FdReport): number[] {
  const fds = [0, 1, 2];
  for (let i = 0; i < report.listen_fds; i++) fds.push(3 + i);
  if (report.ready_fd !== null) fds.push(report.ready_fd);
  return fds;
}

describe.each([true, false])('file descriptors (pid1=%s)', (pid1) => {
  it('gives the application 0-2 and the readiness fd, nothing of hotinit’s own (control socket on)', async () => {
    const env = testEnv();
    delete env.HOTINIT_CONTROL; // the default: a control socket exists, and must not leak
    const report = await childFds([], pid1, [], env);
    expect(report.fds).toEqual(intended(report));
    expect(report.fds.filter((fd) => fd > 2).length).toBeLessThanOrEqual(1);
  });

  it('adds exactly the listening socket at fd 3 with --listen', async () => {
    const report = await childFds(['--listen', 'tcp://127.0.0.1:0'], pid1);
    expect(report.listen_fds).toBe(1);
    expect(report.fds).toEqual(intended(report));
  });

  it('passes an fd it inherited from the runtime through, as tini does', async () => {
    const report = await childFds([], pid1, [5]);
    expect(report.fds).toEqual([...intended(report), 5].sort((a, b) => a - b));
  });
});

// Negative control: the probe does see an fd beyond 0-2 (tini passes one on).
it('sees an extra fd when one is there (tini passing an inherited one)', async () => {
  const argv = [...py('with-fds.py', '--pipe-at', '5', '--'), 'tini', '-s', '--', ...py('open-fds.py')];
  const run = await runToEnd(argv);
  expect(jsonLines<FdReport>(run.stdout)[0]!.fds).toEqual([0, 1, 2, 5]);
});

it('exposes no fd of its own with -g -w -v either (debug logging, warn on reap)', async () => {
  const report = await childFds(['-g', '-w', '-v'], true);
  expect(report.fds).toEqual(intended(report));
});
