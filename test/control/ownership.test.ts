/**
 * Who may use the socket and who owns its path: live sockets are never
 * stolen, stale ones are replaced, other users are refused by the file mode
 * and, behind it, by SO_PEERCRED; a non-root hotinit falls back to a private
 * directory that the client then finds by itself.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import { ask, FakeTarget, FIXTURES, NOBODY, recordingLog, runCli, tempDir } from './helpers.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
let cleanup: () => void;
let path: string;
let servers: ControlServer[];
let children: ChildProcess[];

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  path = join(dir, 'control.sock');
  servers = [];
  children = [];
});
afterEach(async () => {
  await Promise.all(children.map(stop));
  await Promise.all(servers.map((s) => s.close()));
  cleanup();
});

async function start(at = path, log = recordingLog(), target = new FakeTarget()): Promise<ControlServer> {
  const server = await startControlServer({ path: at, target, log });
  servers.push(server);
  return server;
}

/** The fixture server in its own process; resolves once it has bound. */
async function spawnServer(at: string, options: { uid?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ child: ChildProcess; path: string }> {
  const child = spawn(process.execPath, [join(FIXTURES, 'serve.mjs'), at], {
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    env: { PATH: process.env.PATH, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    child.stderr!.once('data', (chunk: Buffer) => reject(new Error(chunk.toString())));
    child.once('exit', (code) => reject(new Error(`fixture server exited ${code}`)));
  });
  return { child, path: (JSON.parse(line) as { path: string }).path };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

describe('the socket path', () => {
  it('a second server refuses to steal a live socket, naming the path, and the first serves on', async () => {
    await start();
    await expect(start()).rejects.toThrow(`another process is already serving the control socket ${path}`);
    expect((await ask(path, { v: 1, op: 'health' })).ok).toBe(true);
  });

  it('a second server process refuses too, and exits', async () => {
    await start();
    const second = await execa(process.execPath, [join(FIXTURES, 'serve.mjs'), path], { reject: false });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(`already serving the control socket ${path}`);
  });

  it('replaces a stale socket left by a server that was killed', async () => {
    const { child } = await spawnServer(path);
    await stop(child);
    expect(lstatSync(path).isSocket()).toBe(true);
    expect((await runCli(['status', '--control', path])).stderr).toContain('nothing listening (stale socket)');
    await start();
    expect((await ask(path, { v: 1, op: 'health' })).ok).toBe(true);
  });

  it('leaves alone a file that is not a socket', async () => {
    writeFileSync(path, 'precious');
    await expect(start()).rejects.toThrow(`control socket ${path} exists and is not a socket`);
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });
});

describe.runIf(isRoot)('other users', () => {
  beforeEach(() => chmodSync(dir, 0o755));

  it('are kept out by the 0600 mode: exit 3 and a message naming the path', async () => {
    await start();
    const asNobody = await runCli(['status', '--control', path], { uid: NOBODY, gid: NOBODY });
    expect(asNobody.exitCode).toBe(3);
    expect(asNobody.stderr).toBe(
      `hotinit status: permission denied on ${path}: the control socket is owner-only (mode 0600); run this as the user hotinit runs as, or as root`,
    );
    expect((await runCli(['status', '--control', path])).exitCode).toBe(0); // negative control: the owner gets in
  });

  it('are refused by the peer-credential check when the mode would let them in', async () => {
    const log = recordingLog();
    const target = new FakeTarget();
    await start(path, log, target);
    chmodSync(path, 0o666);
    const asNobody = await runCli(['swap', '--control', path], { uid: NOBODY, gid: NOBODY });
    expect(asNobody.exitCode).toBe(3);
    expect(asNobody.stderr).toBe(
      `hotinit swap: hotinit at ${path} refused the connection: permission denied: uid ${NOBODY} is neither hotinit's uid 0 nor root`,
    );
    expect(log.lines.find((l) => l.fields.code === 'permission-denied')).toMatchObject({ level: 'warn', fields: { peerUid: NOBODY } });
    expect(target.swaps).toEqual([]);
  });

  it('a non-root hotinit admits its own uid and root', async () => {
    const runtimeDir = join(dir, 'xdg');
    mkdirSync(runtimeDir, { mode: 0o700 });
    chownSync(runtimeDir, NOBODY, NOBODY);
    const explicit = join(runtimeDir, 'own.sock');
    await spawnServer(explicit, { uid: NOBODY });
    expect((await runCli(['health', '--control', explicit], { uid: NOBODY, gid: NOBODY })).stdout).toBe('healthy');
    expect((await runCli(['health', '--control', explicit])).stdout).toBe('healthy');
  });
});

describe.runIf(isRoot)('fallback when /run is not writable', () => {
  it('uses $XDG_RUNTIME_DIR, and a client of the same user finds it without --control', async () => {
    const runtimeDir = join(dir, 'xdg');
    mkdirSync(runtimeDir, { mode: 0o700 });
    chownSync(runtimeDir, NOBODY, NOBODY);
    chmodSync(dir, 0o755);
    const env = { XDG_RUNTIME_DIR: runtimeDir };
    const server = await spawnServer('default', { uid: NOBODY, env });
    expect(server.path).toBe(join(runtimeDir, 'hotinit.sock'));
    expect(statSync(server.path).mode & 0o777).toBe(0o600);
    const status = await runCli(['status'], { uid: NOBODY, gid: NOBODY, env });
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain('hotinit fixture');
  });

  it('uses a private /tmp/hotinit-<uid>, which root finds without --control', async () => {
    const privateDir = `/tmp/hotinit-${NOBODY}`;
    rmSync(privateDir, { recursive: true, force: true });
    try {
      const server = await spawnServer('default', { uid: NOBODY });
      expect(server.path).toBe(`${privateDir}/hotinit.sock`);
      expect(statSync(privateDir)).toMatchObject({ uid: NOBODY });
      expect(statSync(privateDir).mode & 0o777).toBe(0o700);
      const health = await runCli(['health'], { env: { XDG_RUNTIME_DIR: '' } });
      expect(health).toMatchObject({ exitCode: 0, stdout: 'healthy' });
    } finally {
      await Promise.all(children.map(stop));
      rmSync(privateDir, { recursive: true, force: true });
    }
    expect(existsSync(privateDir)).toBe(false);
  });
});
