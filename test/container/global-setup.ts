/**
 * Before the container tests: find the engine, build the base images (no
 * registry needed) and the hotinit image from the Dockerfile. Images whose
 * inputs have not changed are reused (the base script checks its key, docker
 * build its layer cache).
 *
 * With CI=true a missing engine is a failure, not a skip: CI must start
 * dockerd (see docs/containers.md). Elsewhere the tests are skipped and say so.
 *
 * HOTINIT_TEST_BUILD=source builds the Dockerfile with its defaults (official
 * node images, compiled in the build stage) on a machine with a registry;
 * the default, `prebuilt`, uses this checkout's build and the local base image.
 */
import { execa } from 'execa';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

const HOTINIT_IMAGE = 'hotinit:test';
const BASE_IMAGE = 'hotinit-base:local';
const PLAIN_IMAGE = 'hotinit-plain:local';

async function engineProblem(): Promise<string | null> {
  const result = await execa('docker', ['version', '--format', '{{.Server.Version}}'], { reject: false, timeout: 15_000 });
  if (result.exitCode === 0 && result.stdout.trim() !== '') return null;
  const detail = (result.stderr || result.stdout || String(result.failed && result.shortMessage)).trim().split('\n')[0];
  return `no Docker engine answers (${detail})`;
}

async function step(what: string, file: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const started = Date.now();
  const result = await execa(file, args, { cwd: repoRoot, reject: false, all: true, env, timeout: 600_000 });
  if (result.exitCode !== 0) {
    throw new Error(`container tests: ${what} failed (exit ${result.exitCode}):\n${String(result.all).slice(-4000)}`);
  }
  console.log(`container tests: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('hotinitImage', HOTINIT_IMAGE);
  project.provide('plainImage', PLAIN_IMAGE);
  const problem = await engineProblem();
  if (problem) {
    if (process.env.CI === 'true') {
      throw new Error(`container tests: ${problem}; CI must install docker.io and start dockerd before npm run test:container`);
    }
    console.warn(`\n*** container tests SKIPPED: ${problem}. Start dockerd to run them (docs/containers.md). ***\n`);
    project.provide('dockerSkipReason', problem);
    return;
  }
  project.provide('dockerSkipReason', null);

  const node = process.execPath;
  await step('base images', join(repoRoot, 'docker/make-base-image.sh'), [], { NODE: node });
  if (process.env.HOTINIT_TEST_BUILD === 'source') {
    await step(`${HOTINIT_IMAGE} from source`, 'docker', ['build', '-q', '-t', HOTINIT_IMAGE, '.']);
  } else {
    await step('stage prebuilt /opt/hotinit', node, ['docker/assemble.mjs', '--no-node', 'docker/prebuilt/hotinit']);
    await step(`${HOTINIT_IMAGE} (prebuilt)`, 'docker', [
      'build', '-q', '-t', HOTINIT_IMAGE,
      '--build-arg', `BUILD_IMAGE=${BASE_IMAGE}`, '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '--build-arg', 'PREBUILT=1',
      '.',
    ]);
  }
}
