/**
 * The swap (SIGUSR2), the reload (SIGUSR1) and the control socket as a user
 * meets them: `docker kill -s`, `docker exec … hotinit status`, and the
 * compose.yaml demo. Host networking; every request goes to 127.0.0.1.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LABEL, askWeb, docker, exitCodeOf, freePort, hotinitImage, parseLoad, removeTestContainers, repoRoot, run, skipReason,
  startLoad, waitFor, waitForLog, type Ran, type WebAnswer,
} from './docker.js';

/** Starts the demo image on 127.0.0.1:port and waits until generation 1 answers. */
async function startWeb(name: string, port: number): Promise<WebAnswer> {
  const run = await docker(['run', '-d', '--label', LABEL, '--name', name, '--network', 'host',
    '-e', `HOTINIT_LISTEN=tcp://127.0.0.1:${port}`, '-e', 'HOTINIT_STAGE=/app/server.mjs.next', hotinitImage]);
  expect(run.exitCode, run.stderr).toBe(0);
  return waitFor(`the web app on port ${port}`, () => askWeb(port));
}

async function stageVersion2(name: string): Promise<void> {
  const staged = await docker(['exec', name, 'cp', '/app/releases/server-v2.mjs', '/app/server.mjs.next']);
  expect(staged.exitCode, staged.stderr).toBe(0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipReason !== null)('swap and reload in a container', () => {
  let name: string;
  let port: number;

  beforeEach(async () => {
    name = `hotinit-test-web-${process.pid}-${Date.now()}`;
    port = await freePort();
  });
  afterEach(async () => {
    await docker(['rm', '-f', name]);
  });
  afterAll(removeTestContainers);

  it('docker kill -s USR2 swaps to the staged version under load with 0 errors', async () => {
    const first = await startWeb(name, port);
    expect(first).toMatchObject({ generation: 1, version: '1' });

    const load = startLoad(port, 6);
    await sleep(1500);
    await stageVersion2(name);
    expect((await docker(['kill', '-s', 'USR2', name])).exitCode).toBe(0);
    await waitForLog(name, /"event":"swap.done"/);
    await sleep(1500);
    // A second swap with nothing staged restarts the same (new) version.
    expect((await docker(['kill', '-s', 'USR2', name])).exitCode).toBe(0);
    const result = parseLoad((await load).stdout);

    console.log(`load during two swaps: ${JSON.stringify(result)}`);
    expect(result.errors, JSON.stringify(result.errorKinds)).toBe(0);
    expect(result.ok).toBeGreaterThan(1000);
    expect(Object.keys(result.versions).sort()).toEqual(['1', '2']);
    const last = await waitFor('generation 3', async () => {
      const answer = await askWeb(port);
      return answer?.generation === 3 ? answer : undefined;
    });
    expect(last.version).toBe('2');
    // The container is still the same one, still up.
    expect((await docker(['inspect', '-f', '{{.State.Running}}', name])).stdout.trim()).toBe('true');
  });

  it('docker kill -s USR1 reloads the app (it gets HUP) without a new generation', async () => {
    const before = await startWeb(name, port);
    expect(before.reloads).toBe(0);
    expect((await docker(['kill', '-s', 'USR1', name])).exitCode).toBe(0);
    const after = await waitFor('a reload', async () => {
      const answer = await askWeb(port);
      return answer && answer.reloads === 1 ? answer : undefined;
    });
    expect(after).toMatchObject({ generation: 1, pid: before.pid });
    await waitForLog(name, /"event":"reload"/);
    // And no debugger was opened on the host's loopback by the USR1 (Node's default).
    const inspector = await fetch('http://127.0.0.1:9229/json/version').then(() => 'open', () => 'closed');
    expect(inspector).toBe('closed');
  });

  it('docker exec … hotinit status shows both generations of a swap', async () => {
    const first = await startWeb(name, port);
    await stageVersion2(name);
    const swap = await docker(['exec', name, 'hotinit', 'swap']);
    expect(swap.exitCode, `${swap.stdout}${swap.stderr}`).toBe(0);
    const second = await waitFor('generation 2', async () => {
      const answer = await askWeb(port);
      return answer?.generation === 2 ? answer : undefined;
    });
    const status = await docker(['exec', name, 'hotinit', 'status']);
    const text = `${status.stdout}\n${status.stderr}`;
    console.log(`hotinit status:\n${text}`);
    expect(status.exitCode, text).toBe(0);
    expect(text).toContain(String(second.pid));
    expect(text).toContain(String(first.pid));
    expect(text).toMatch(/swap/i);
  });
});

describe.skipIf(skipReason !== null)('compose.yaml demo', () => {
  // Debian's docker-compose v1.29 where it is installed, else Compose v2.
  const compose = async (project: string, env: Record<string, string>, args: string[], timeoutMs = 60_000): Promise<Ran> => {
    const v1 = (await run('docker-compose', ['version'])).exitCode === 0;
    const [file, prefix] = v1 ? ['docker-compose', []] : ['docker', ['compose']];
    return run(file, [...prefix, '-f', join(repoRoot, 'compose.yaml'), '-p', project, ...args], {
      cwd: repoRoot, timeoutMs, env: { ...env, HOTINIT_IMAGE: hotinitImage },
    });
  };

  it('runs as the README says: up, load, stage, kill -s USR2, exec status, stop (exit 0)', async () => {
    const project = `hotinit-test-${process.pid}`;
    const port = await freePort();
    const env = { WEB_PORT: String(port), LOAD_SECONDS: '8', LOAD_CONNECTIONS: '4' };
    try {
      const up = await compose(project, env, ['up', '-d', '--no-build', 'web']);
      expect(up.exitCode, up.all).toBe(0);
      await waitFor('the compose web service', () => askWeb(port));

      const container = (await compose(project, env, ['ps', '-q', 'web'])).stdout.trim();
      const stage = await compose(project, env, ['exec', '-T', 'web', 'cp', '/app/releases/server-v2.mjs', '/app/server.mjs.next']);
      expect(stage.exitCode, stage.all).toBe(0);
      const load = compose(project, env, ['run', '--rm', '-T', 'load']);
      // The swap starts once the load generator is running: docker-compose v1
      // takes a second or two to start, more while the load has both cores.
      await waitFor('the load container', async () =>
        (await docker(['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter',
          'label=com.docker.compose.service=load'])).stdout.trim() || undefined);
      await sleep(1000);
      const kill = await compose(project, env, ['kill', '-s', 'SIGUSR2', 'web']);
      expect(kill.exitCode, kill.all).toBe(0);
      await waitForLog(container, /"event":"swap\.(done|failed)"/);
      const loaded = await load;
      const result = parseLoad(loaded.stdout);
      console.log(`compose load during a swap: ${JSON.stringify(result)}`);
      const logs = await docker(['logs', container]);
      expect(logs.stderr, logs.stderr).toMatch(/"event":"swap\.done"/);
      expect(loaded.exitCode, loaded.all).toBe(0);
      expect(result.errors).toBe(0);
      expect(result.versions['1'], 'served by version 1 before the swap').toBeGreaterThan(0);
      expect(result.versions['2'], 'served by version 2 after the swap').toBeGreaterThan(0);

      // Soft: the stop below is checked even while the control socket is missing.
      const status = await compose(project, env, ['exec', '-T', 'web', 'hotinit', 'status']);
      expect.soft(status.exitCode, status.all).toBe(0);

      const t0 = performance.now();
      const stop = await compose(project, env, ['stop']);
      expect(stop.exitCode, stop.all).toBe(0);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(await exitCodeOf(container)).toBe(0);
    } finally {
      await compose(project, {}, ['down', '--remove-orphans', '-t', '1']);
    }
  });
});

if (skipReason !== null) {
  describe('swap and reload in a container', () => {
    it.skip(`skipped: ${skipReason}`, () => {});
  });
}
