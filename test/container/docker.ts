/**
 * Helpers for tests against a real Docker engine: run the docker CLI, find
 * the images globalSetup built, wait on container logs and HTTP answers.
 * Every container these tests start carries the label `hotinit.test`, so a
 * failed run leaves nothing behind that `removeTestContainers()` misses.
 */
import { execa } from 'execa';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const LABEL = 'hotinit.test';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why the container tests are skipped (outside CI only), or null: they run. */
    dockerSkipReason: string | null;
    /** The hotinit image built from the Dockerfile. */
    hotinitImage: string;
    /** The base rootfs without Node.js (busybox + glibc + libstdc++). */
    plainImage: string;
  }
}

export const skipReason = inject('dockerSkipReason');
export const hotinitImage = inject('hotinitImage');
export const plainImage = inject('plainImage');

/** What a finished command left: never thrown, the test looks at it. */
export interface Ran {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved. */
  all: string;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  cwd?: string;
  env?: Record<string, string>;
}

/** Runs FILE ARGS to the end; a non-zero exit, a signal or a timeout is in the result, not thrown. */
export async function run(file: string, args: string[], options: RunOptions = {}): Promise<Ran> {
  const result = await execa(file, args, {
    reject: false,
    all: true,
    timeout: options.timeoutMs ?? 60_000,
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    exitCode: result.exitCode,
    stdout: text(result.stdout),
    stderr: text(result.stderr) || (result.exitCode === undefined ? text(result.shortMessage) : ''),
    all: text(result.all),
  };
}

/** `docker ARGS` (see run). */
export function docker(args: string[], options: RunOptions = {}): Promise<Ran> {
  return run('docker', args, options);
}

/** `docker run --rm` with the test label and no network unless given. */
export function dockerRun(runArgs: string[], command: string[] = [], options: RunOptions = {}): Promise<Ran> {
  const network = runArgs.some((a) => a.startsWith('--network')) ? [] : ['--network', 'none'];
  return docker(['run', '--rm', '--label', LABEL, ...network, ...runArgs, ...command], options);
}

export async function removeTestContainers(): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${LABEL}`])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await docker(['rm', '-f', ...ids]);
}

export async function exitCodeOf(container: string): Promise<number> {
  const result = await docker(['inspect', '-f', '{{.State.ExitCode}}', container]);
  return Number(result.stdout.trim());
}

/** Polls `probe` every 50 ms until it returns a value other than undefined. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the container's logs (stdout and stderr) match `pattern`. */
export function waitForLog(container: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return waitFor(`${pattern} in the logs of ${container}`, async () => {
    const { stdout, stderr } = await docker(['logs', container]);
    const text = `${stdout}\n${stderr}`;
    return pattern.test(text) ? text : undefined;
  }, timeoutMs);
}

/** A TCP port free on 127.0.0.1 right now (containers here use the host's network). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface WebAnswer {
  generation: number;
  pid: number;
  version: string;
  reloads: number;
}

/** One GET to the demo app on 127.0.0.1:port; undefined while it does not answer. */
export async function askWeb(port: number): Promise<WebAnswer | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    const match = /^generation (\d+) pid (\d+) version (\S+)/.exec(await response.text());
    if (!match) return undefined;
    return {
      generation: Number(match[1]),
      pid: Number(match[2]),
      version: match[3]!,
      reloads: Number(response.headers.get('x-reloads')),
    };
  } catch {
    return undefined;
  }
}

export interface LoadResult {
  ok: number;
  errors: number;
  errorKinds: Record<string, number>;
  versions: Record<string, number>;
  generations: Record<string, number>;
}

export function parseLoad(stdout: string): LoadResult {
  const line = stdout.trim().split('\n').findLast((l) => l.startsWith('{'));
  if (!line) throw new Error(`load generator printed no result: ${stdout}`);
  return JSON.parse(line) as LoadResult;
}

/** The demo's load generator on this host, against 127.0.0.1:port. */
export function startLoad(port: number, seconds: number, connections = 16): Promise<Ran> {
  return run(process.execPath, [join(repoRoot, 'docker/load.mjs'), '--url', `http://127.0.0.1:${port}/`,
    '--seconds', String(seconds), '--connections', String(connections)], { timeoutMs: (seconds + 30) * 1000 });
}
