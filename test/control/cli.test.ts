/**
 * The built CLI (`node dist/cli.js status|swap|reload|health`) as a real
 * subprocess against a server in this process with a fake target: what the
 * operator reads, and the exit status a deploy script trusts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import { DEFAULT_CONTROL_PATH } from '../../src/control/paths.js';
import { deferred, FakeTarget, RawClient, recordingLog, runCli, sampleStatus, SWAP_FAILED, SWAP_OK, tempDir, until } from './helpers.js';

let dir: string;
let cleanup: () => void;
let path: string;
let target: FakeTarget;
let log: ReturnType<typeof recordingLog>;
let server: ControlServer | null;

async function start(options: { maxConnections?: number } = {}): Promise<void> {
  server = await startControlServer({ path, target, log, ...options });
}
const cli = (...args: string[]) => runCli([...args, '--control', path]);

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  path = join(dir, 'x.sock');
  target = new FakeTarget();
  log = recordingLog();
  server = null;
});
afterEach(async () => {
  await server?.close();
  cleanup();
});

describe('swap and reload', () => {
  it('a swap that works: exit 0 and one line saying what serves now', async () => {
    await start();
    expect(await cli('swap')).toMatchObject({ exitCode: 0, stdout: 'swap done: generation 3 (pid 41) serving after 1.2s', stderr: '' });
    expect(target.swaps).toEqual([{ stage: null }]);
  });

  it('a swap that fails: exit 1 and the reason, naming who keeps serving', async () => {
    target.swapWith = async () => SWAP_FAILED;
    await start();
    expect(await cli('swap')).toMatchObject({
      exitCode: 1,
      stdout: 'swap failed: new generation exited with status 1 before it was ready; generation 2 keeps serving (after 3.4s)',
    });
  });

  it('passes --stage as an absolute path, resolved where the operator stands', async () => {
    await start();
    mkdirSync(join(dir, 'work'));
    const result = await runCli(['swap', '--stage', 'server.new', '--control', path], { cwd: join(dir, 'work') });
    expect(result.exitCode).toBe(0);
    expect(target.swaps).toEqual([{ stage: join(dir, 'work', 'server.new') }]);
  });

  it('a reload that works, and one whose check refuses it', async () => {
    await start();
    expect(await cli('reload')).toMatchObject({ exitCode: 0, stdout: 'reload done: generation 2 (pid 41) reloaded after 80ms' });
    target.reloadWith = async () => ({ ok: false, action: 'reload', message: 'reload check failed (exit 1): bad config; generation 2 untouched', durationMs: 40 });
    expect(await cli('reload')).toMatchObject({ exitCode: 1, stdout: 'reload failed: reload check failed (exit 1): bad config; generation 2 untouched (after 40ms)' });
  });

  it('--timeout gives up with exit 1, and the swap it left behind goes on unharmed', async () => {
    const release = deferred<typeof SWAP_OK>();
    target.swapWith = () => release.promise;
    await start();
    const result = await cli('swap', '--timeout', '300ms');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(`hotinit swap: no answer from hotinit at ${path} within 300ms; the swap may still be running (see hotinit status)`);
    release.resolve(SWAP_OK);
    expect(await cli('health')).toMatchObject({ exitCode: 0, stdout: 'healthy' });
  });

  it('an error inside hotinit is exit 1 with its message', async () => {
    target.reloadWith = () => Promise.reject(new Error('reload state machine is confused'));
    await start();
    expect(await cli('reload')).toMatchObject({
      exitCode: 1,
      stderr: `hotinit reload: hotinit at ${path} refused the request (internal): hotinit failed to reload: reload state machine is confused`,
    });
  });
});

describe('status and health', () => {
  it('status prints a table of generations, listeners and the last outcomes', async () => {
    await start();
    const { exitCode, stdout } = await cli('status');
    expect(exitCode).toBe(0);
    expect(stdout.split('\n')).toEqual([
      'hotinit 9.9.9 (pid 1), up 1h02m, healthy',
      'a swap is in progress',
      '',
      'GEN  PID  STATE     SERVING  UPTIME',
      '2    41   ready     yes      1h00m',
      '3    57   starting  no       1.2s',
      '',
      'LISTENER  ADDRESS',
      'http      tcp://0.0.0.0:8080',
      '',
      expect.stringMatching(/^last swap: {4}done in 1\.2s, 2m0\ds ago \(.+\): generation 3 \(pid 41\) serving$/),
      'last reload:  never',
    ]);
  });

  it('status --json prints the report as the server sent it', async () => {
    await start();
    const { exitCode, stdout } = await cli('status', '--json');
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toEqual(target.report);
  });

  it('health and status --health: exit 0 healthy, exit 1 with the reason when nothing ready serves', async () => {
    await start();
    expect(await cli('health')).toMatchObject({ exitCode: 0, stdout: 'healthy' });
    target.report = { ...sampleStatus(), healthy: false, generations: [{ gen: 3, pid: 57, state: 'starting', uptimeMs: 5, serving: false }] };
    expect(await cli('health')).toMatchObject({ exitCode: 1, stdout: 'unhealthy: generation 3 (pid 57) is starting' });
    expect(await cli('status', '--health')).toMatchObject({ exitCode: 1, stdout: 'unhealthy: generation 3 (pid 57) is starting' });
    expect(await cli('health', '--json')).toMatchObject({ exitCode: 1, stdout: '{"healthy":false,"reason":"generation 3 (pid 57) is starting"}' });
  });
});

describe('reaching hotinit', () => {
  it('no hotinit at an explicit path: exit 3 naming it', async () => {
    const result = await cli('status');
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(
      `hotinit status: no hotinit is listening at ${path} (no such file); is it running with --control off, or with another --control PATH?`,
    );
  });

  it('no hotinit anywhere by default: exit 3 naming every path tried', async () => {
    const runtimeDir = join(dir, 'xdg');
    const result = await runCli(['health'], { env: { XDG_RUNTIME_DIR: runtimeDir } });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(`tried ${DEFAULT_CONTROL_PATH} (no such file), ${runtimeDir}/hotinit.sock (no such file), `);
  });

  it('usage errors are exit 2 and never reach the socket', async () => {
    await start();
    expect((await cli('swap', '--json')).exitCode).toBe(2);
    expect((await cli('status', '--timeout', 'soon')).exitCode).toBe(2);
    expect(target.swaps).toEqual([]);
  });

  it('a client told busy retries until a slot frees, then gets its answer', async () => {
    await start({ maxConnections: 1 });
    const holder = await RawClient.open(path);
    const swap = cli('swap');
    await until(() => log.lines.some((l) => l.message === 'control client refused: too many connections'));
    holder.close();
    expect(await swap).toMatchObject({ exitCode: 0, stdout: 'swap done: generation 3 (pid 41) serving after 1.2s' });
  });

  it('100 concurrent status processes all exit 0 with the table', async () => {
    await start();
    const results = await Promise.all(Array.from({ length: 100 }, () => cli('status')));
    expect(results.map((r) => r.exitCode)).toEqual(Array(100).fill(0));
    expect(results.every((r) => r.stdout.startsWith('hotinit 9.9.9 (pid 1)'))).toBe(true);
    expect(await cli('health')).toMatchObject({ exitCode: 0 });
  });
});
