/**
 * hotinit as the ENTRYPOINT of a real container: exit statuses, docker stop,
 * zombies, a terminal, and /opt/hotinit copied into an image without Node.js.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LABEL, docker, dockerRun, exitCodeOf, hotinitImage, plainImage, removeTestContainers, repoRoot, run, skipReason, waitForLog,
} from './docker.js';

const quiet = ['-e', 'HOTINIT_LOG_LEVEL=warn'];

describe.skipIf(skipReason !== null)('hotinit as a container entrypoint', () => {
  afterAll(removeTestContainers);

  describe('docker run exit status', () => {
    it.each([
      ['exits 0 when the app exits 0', 'exit 0', 0],
      ['exits 7 when the app exits 7', 'exit 7', 7],
      ['exits 143 (128+15) when the app dies of SIGTERM', 'kill -TERM $$', 143],
      ['exits 129 (128+1) when the app dies of SIGHUP', 'kill -HUP $$', 129],
    ])('%s', async (_title, script, status) => {
      const result = await dockerRun(quiet, [hotinitImage, 'sh', '-c', script]);
      expect(result.stderr).not.toMatch(/internal error/);
      expect(result.exitCode).toBe(status);
    });

    it('exits 127 for a command that does not exist and 126 for one that cannot run', async () => {
      expect((await dockerRun(quiet, [hotinitImage, '/no/such/command'])).exitCode).toBe(127);
      expect((await dockerRun(quiet, [hotinitImage, '/etc/passwd'])).exitCode).toBe(126);
    });
  });

  describe('docker stop', () => {
    it('forwards TERM to the app and finishes well before the 10 s grace period', async () => {
      const name = `hotinit-test-stop-${process.pid}`;
      const started = await docker(['run', '-d', '--label', LABEL, '--network', 'none', '--name', name, hotinitImage,
        'sh', '-c', 'trap "echo got-TERM; exit 0" TERM; echo up; while :; do sleep 0.1; done']);
      expect(started.exitCode, started.stderr).toBe(0);
      await waitForLog(name, /^up$/m);
      const t0 = performance.now();
      const stop = await docker(['stop', '-t', '10', name]);
      const elapsedMs = performance.now() - t0;
      expect(stop.exitCode, stop.stderr).toBe(0);
      console.log(`docker stop took ${elapsedMs.toFixed(0)} ms`);
      expect(elapsedMs).toBeLessThan(3000);
      expect(await exitCodeOf(name)).toBe(0);
      expect((await docker(['logs', name])).stdout).toMatch(/^got-TERM$/m);
    });

    it('SIGKILLs an app that ignores TERM at --stop-timeout, before Docker would, and exits 137', async () => {
      const name = `hotinit-test-stubborn-${process.pid}`;
      await docker(['run', '-d', '--label', LABEL, '--network', 'none', '--name', name, '-e', 'HOTINIT_STOP_TIMEOUT=1s',
        hotinitImage, 'sh', '-c', 'trap "" TERM; echo up; while :; do sleep 0.1; done']);
      await waitForLog(name, /^up$/m);
      const t0 = performance.now();
      await docker(['stop', '-t', '10', name]);
      const elapsedMs = performance.now() - t0;
      console.log(`docker stop (app ignores TERM, --stop-timeout 1s) took ${elapsedMs.toFixed(0)} ms`);
      expect(elapsedMs).toBeGreaterThan(900);
      expect(elapsedMs).toBeLessThan(5000);
      expect(await exitCodeOf(name)).toBe(137);
    });
  });

  describe('zombies', () => {
    // 20 grandchildren are orphaned (their parent sh exits at once) and exit
    // 200 ms later; a second after that the script counts zombies.
    const orphans = 'for i in $(seq 20); do sh -c "sleep 0.2 &"; done; sleep 1; ' +
      'echo zombies=$(grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l)';

    it('reaps every orphan inside the container', async () => {
      const result = await dockerRun(quiet, [hotinitImage, 'sh', '-c', orphans]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/zombies=0\b/);
    });

    it('negative control: with Node itself as PID 1 the same orphans stay zombies', async () => {
      const spawnAndWait = `require("child_process").spawnSync("sh", ["-c", ${JSON.stringify(orphans)}], { stdio: "inherit" })`;
      const result = await dockerRun(['--entrypoint', 'node'], [hotinitImage, '-e', spawnAndWait]);
      expect(result.stdout).toMatch(/zombies=20\b/);
    });
  });

  describe('docker run -t', () => {
    const driver = join(repoRoot, 'test/container/pty-driver.py');
    const drive = async (steps: object[], command: string[]) => {
      const result = await run('python3', [driver, JSON.stringify({ steps, timeout: 30 }), '--', 'docker', 'run', '-it',
        '--rm', '--label', LABEL, '--network', 'none', ...quiet, hotinitImage, ...command], { timeoutMs: 40_000 });
      expect(result.exitCode, result.all).toBe(0);
      return JSON.parse(result.stdout) as { status: number | null; output: string; failed: string | null };
    };

    it('delivers one Ctrl-C to the app exactly once', async () => {
      const result = await drive([{ expect: '(?m)^READY', delay: 0.3, send: '\u0003' }], ['sh', '-c',
        'trap "echo INT-CAUGHT" INT; echo READY; i=0; while [ $i -lt 15 ]; do sleep 0.1; i=$((i+1)); done; echo DONE']);
      expect(result.failed, result.output).toBeNull();
      expect(result.output.match(/INT-CAUGHT/g), result.output).toHaveLength(1);
      expect(result.output).toMatch(/DONE/);
      expect(result.status).toBe(0);
    });

    it('gives an interactive shell job control: Ctrl-C stops the foreground job, the shell lives on', async () => {
      const prompt = '\\$ ';
      const result = await drive([
        { expect: prompt, send: 'sleep 30\r' },
        { delay: 0.5, send: '\u0003' },
        { expect: prompt, send: 'echo alive=$?\r' },
        { expect: 'alive=\\d+', send: 'exit 3\r' },
      ], ['sh', '-i']);
      expect(result.failed, result.output).toBeNull();
      expect(result.output).not.toMatch(/job control turned off/);
      expect(result.output).toMatch(/alive=130/);
      expect(result.status).toBe(3);
    });
  });

  describe('COPY --from=hotinit /opt/hotinit into an image without Node.js', () => {
    const copied = 'hotinit-copied:test';

    it('builds from the documented recipe and works there as PID 1', async () => {
      const dockerfile = [
        `FROM ${plainImage}`,
        `COPY --from=${hotinitImage} /opt/hotinit /opt/hotinit`,
        'ENTRYPOINT ["/opt/hotinit/bin/hotinit", "--"]',
        '',
      ].join('\n');
      const build = await docker(['build', '-q', '-t', copied, '-'], { input: dockerfile, timeoutMs: 120_000 });
      expect(build.exitCode, build.stderr).toBe(0);

      const noNode = await dockerRun(['--entrypoint', 'sh'], [copied, '-c', 'command -v node || echo no-node']);
      expect(noNode.stdout.trim()).toBe('no-node');

      const run = await dockerRun(quiet, [copied, 'sh', '-c', 'echo pid=$$ ppid=$PPID; exit 5']);
      expect(run.stdout).toMatch(/ppid=1\b/);
      expect(run.exitCode, run.stderr).toBe(5);

      const version = await dockerRun(['--entrypoint', '/opt/hotinit/bin/hotinit'], [copied, '--version']);
      expect(version.stdout).toMatch(/^hotinit \d+\.\d+\.\d+/);
    });
  });
});

if (skipReason !== null) {
  describe('hotinit as a container entrypoint', () => {
    it.skip(`skipped: ${skipReason}`, () => {});
  });
}
