/**
 * hotinit's exit status: the application's code, 128+N when it dies of
 * signal N, -e remapping, 126/127 when the command cannot run, 2 for bad usage.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { disposeAll, HOTINIT, inBatches, initArgv, jsonLines, runToEnd, testEnv } from '../helpers/hotinit.js';

afterEach(disposeAll);

const quiet = ['--log-level', 'error'];

describe('exit status', () => {
  it('passes every exit code 0..255 through, as a subreaper', async () => {
    const codes = Array.from({ length: 256 }, (_, i) => i);
    const statuses = await inBatches(codes, 4, async (code) => {
      const run = await runToEnd(initArgv([...quiet, '--', 'sh', '-c', `exit ${code}`], false), { timeoutMs: 30_000 });
      return run.code;
    });
    expect(statuses).toEqual(codes);
  });

  it('passes exit codes through as PID 1', async () => {
    const codes = [0, 1, 2, 3, 42, 100, 126, 127, 128, 200, 254, 255];
    const statuses = await inBatches(codes, 3, async (code) => {
      const run = await runToEnd(initArgv([...quiet, '--', 'sh', '-c', `exit ${code}`], true), { timeoutMs: 30_000 });
      return run.code;
    });
    expect(statuses).toEqual(codes);
  });

  it('turns the codes given with -e (or HOTINIT_REMAP_EXIT) into 0 and leaves the others alone', async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, number, number]> = [
      [['-e', '3', '-e', '42'], {}, 3, 0],
      [['-e', '3', '-e', '42'], {}, 42, 0],
      [['-e', '3', '-e', '42'], {}, 4, 4],
      [['--remap-exit=7'], {}, 7, 0],
      [[], { HOTINIT_REMAP_EXIT: '5,6' }, 6, 0],
      [[], { HOTINIT_REMAP_EXIT: '5,6' }, 1, 1],
    ];
    for (const [flags, env, code, expected] of cases) {
      const run = await runToEnd(initArgv([...quiet, ...flags, '--', 'sh', '-c', `exit ${code}`], false), { env: testEnv(env) });
      expect({ flags, env, code, status: run.code }).toEqual({ flags, env, code, status: expected });
    }
  });

  // As in tini, -e applies to the status, however it came about: `-e 143`
  // is how tini users make SIGTERM-killed apps (and JVMs) stop with 0.
  it('turns 128+N into 0 with -e 128+N, as tini does (checked against tini)', async () => {
    const die = ['sh', '-c', 'kill -TERM $$; sleep 5'];
    const hotinit = await runToEnd(initArgv([...quiet, '-e', '143', '--', ...die], true));
    const hotinitOther = await runToEnd(initArgv([...quiet, '-e', '137', '--', ...die], true));
    const tini = await runToEnd(['/usr/bin/tini', '-s', '-e', '143', '--', ...die]);
    expect({ hotinit: hotinit.code, hotinitOther: hotinitOther.code, tini: tini.code }).toEqual({ hotinit: 0, hotinitOther: 143, tini: 0 });
  });

  it('exits 128+N when the application dies of signal N', async () => {
    // Signals whose default action kills: each one the application sends itself.
    const signals = [1, 2, 3, 6, 9, 11, 13, 14, 15, 24, 31, 34, 50, 64];
    for (const pid1 of [false, true]) {
      const statuses = await inBatches(signals, 3, async (n) => {
        const run = await runToEnd(initArgv([...quiet, '--', 'sh', '-c', `kill -${n} $$; sleep 5`], pid1), { timeoutMs: 30_000 });
        return run.code;
      });
      expect({ pid1, statuses }).toEqual({ pid1, statuses: signals.map((n) => 128 + n) });
    }
  });
});

describe('commands that cannot run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotinit-exec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([false, true])('exits 127 with a message when the command is not found (pid1=%s)', async (pid1) => {
    for (const command of ['hotinit-no-such-command', join(dir, 'missing')]) {
      const run = await runToEnd(initArgv(['--', command], pid1));
      expect(run.code).toBe(127);
      const exit = jsonLines<{ event: string; level: number; msg?: string; status?: number }>(run.stderr).find((l) => l.status === 127);
      expect(exit).toMatchObject({ event: 'exit', level: 50 });
      expect(exit?.msg).toContain(command);
    }
  });

  it.each([false, true])('exits 126 with a message when the command cannot be executed (pid1=%s)', async (pid1) => {
    const notExecutable = join(dir, 'not-executable');
    writeFileSync(notExecutable, '#!/bin/sh\necho should not run\n');
    chmodSync(notExecutable, 0o644);
    const noFormat = join(dir, 'no-format');
    writeFileSync(noFormat, '\x7fNOT AN ELF\n');
    chmodSync(noFormat, 0o755);
    for (const command of [notExecutable, dir, noFormat]) {
      const run = await runToEnd(initArgv(['--', command], pid1));
      expect({ command, status: run.code, stderr: run.stderr }).toMatchObject({ command, status: 126 });
      expect(run.stdout).toBe('');
      const exit = jsonLines<{ event: string; msg?: string; status?: number }>(run.stderr).find((l) => l.status === 126);
      expect(exit?.event).toBe('exit');
      expect(exit?.msg).toContain(command);
    }
  });
});

describe('usage errors', () => {
  it.each([
    [['--bogus', 'true'], /^hotinit: unknown option --bogus$/],
    [['-x', 'true'], /^hotinit: unknown option -x$/],
    [['--stop-timeout', '10 sec', 'true'], /^hotinit: --stop-timeout: "10 sec" is not a duration/],
    [['-e', '256', 'true'], /^hotinit: -e: "256" is not an exit code \(0-255\)$/],
    [['-r', 'FOO:BAR', 'true'], /^hotinit: -r: "FOO" is not a signal/],
    [['-r', 'KILL:TERM', 'true'], /^hotinit: -r: "KILL:TERM": SIGKILL is never forwarded/],
    [['-p', 'NOPE', 'true'], /^hotinit: -p: "NOPE" is not a signal/],
    [['-g'], /^hotinit: missing command/],
    [['--stop-timeout'], /^hotinit: --stop-timeout needs a value$/],
  ])('exits 2 with one line for %j', async (args, message) => {
    const run = await runToEnd([HOTINIT, ...args]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toBe("Try 'hotinit --help'.");
  });

  it('names the environment variable when the bad value came from one', async () => {
    const run = await runToEnd([HOTINIT, 'true'], { env: testEnv({ HOTINIT_STOP_TIMEOUT: 'soon' }) });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(/^hotinit: HOTINIT_STOP_TIMEOUT: "soon" is not a duration/);
  });
});
