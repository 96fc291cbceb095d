// The addon against the real kernel: each function does its one syscall job,
// and errors are shaped like Node's own (code, errno, syscall).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeReader, native } from '../../dist/native.js';

const dir = mkdtempSync(join(tmpdir(), 'hotinit-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves with the first value `probe` returns that is not undefined (polling a syscall, not time). */
async function until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function thrown(action: () => unknown): NodeJS.ErrnoException {
  try {
    action();
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error('expected an error');
}

/** fds this test process leaves open across exec (the runner's own): they pass through, as under tini. */
function inheritableFds(): number[] {
  const listing = spawnSync('sh', ['-c', 'ls /proc/$$/fd'], { stdio: ['ignore', 'pipe', 'ignore'] });
  return String(listing.stdout).split(/\s+/).filter(Boolean).map(Number).filter((fd) => fd > 2);
}

function spawnShell(script: string, fds = [0, 1, 2], extra: Partial<Parameters<typeof native.spawn>[0]> = {}): number {
  return native.spawn({ file: '/bin/sh', argv: ['sh', '-c', script], env: ['PATH=/usr/bin:/bin'], fds, ...extra });
}

/** Waits for pid's exit by peeking (WNOWAIT) until it shows up, then reaps that pid only. */
async function exitOf(pid: number) {
  await until(() => {
    const peeked = native.peekExited();
    return peeked && peeked.pid === pid ? peeked : undefined;
  });
  return native.reap(pid);
}

describe('spawn', () => {
  it('runs the program in its own process group and reports its exit code', async () => {
    const pid = spawnShell('[ "$(ps -o pgid= -p $$ | tr -d " ")" = "$$" ] && exit 7 || exit 1');
    expect(await exitOf(pid)).toEqual({ pid, code: 7, signal: null });
  });

  it('reports death by signal as the signal number', async () => {
    const pid = spawnShell('kill -TERM $$');
    expect(await exitOf(pid)).toEqual({ pid, code: null, signal: 15 });
  });

  it('throws a Node-shaped error when the file cannot be executed', () => {
    expect(thrown(() => native.spawn({ file: join(dir, 'missing'), argv: ['x'], env: [], fds: [0, 1, 2] }))).toMatchObject({
      code: 'ENOENT',
      errno: -2,
      syscall: 'execve',
    });
    const plainFile = join(dir, 'not-executable');
    writeFileSync(plainFile, '#!/bin/sh\n', { mode: 0o644 });
    expect(thrown(() => native.spawn({ file: plainFile, argv: ['x'], env: [], fds: [0, 1, 2] }))).toMatchObject({
      code: 'EACCES',
      syscall: 'execve',
    });
  });

  it('lays out fds exactly as asked and sets LISTEN_PID to the child\u2019s own pid', async () => {
    let received = '';
    const pipe = native.openPipeReader((text) => {
      if (text !== null) received += text;
    });
    // fd 3 of the child is our pipe; fd 4 is closed.
    // `exec ls` keeps the pid and the fds; a $(…) would open a pipe of its own.
    const script = 'if [ -e /proc/$$/fd/4 ]; then s=open; else s=closed; fi; echo "pid=$$ listen=$LISTEN_PID fd4=$s" >&3; exec ls /proc/self/fd >&3';
    const pid = spawnShell(script, [0, 1, 2, pipe.writeFd, -1], {
      listenPid: true,
    });
    closeSync(pipe.writeFd);
    await exitOf(pid);
    await until(() => (received === null ? undefined : received.includes('\n0\n') ? true : undefined));
    closeReader(pipe);
    const [first, ...listing] = received.trim().split('\n');
    const [, self, listen, fd4] = /pid=(\d+) listen=(\d+) fd4=(\w+)/.exec(first ?? '') ?? [];
    expect(fd4).toBe('closed');
    const fds = listing.join(' ');
    expect(listen).toBe(self);
    expect(Number(self)).toBe(pid);
    // 0-3 as asked; 4 is the directory `ls` opens (the lowest free fd, since
    // slot 4 was closed); nothing else but fds this test process would pass to
    // any child (the runner's own).
    const passedThrough = new Set(inheritableFds());
    const seen = fds.trim().split(' ').map(Number).filter((fd) => !passedThrough.has(fd));
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('peekExited and reap', () => {
  it('peeking does not reap: the same exit is seen until that pid is reaped', async () => {
    const pid = spawnShell('exit 3');
    const first = await until(() => {
      const peeked = native.peekExited();
      return peeked && peeked.pid === pid ? peeked : undefined;
    });
    expect(native.peekExited()).toEqual(first);
    expect(native.reap(pid)).toEqual({ pid, code: 3, signal: null });
    expect(thrown(() => native.reap(pid))).toMatchObject({ code: 'ECHILD', errno: -10, syscall: 'waitpid' });
  });

  it('reap returns null for a child that is still running', async () => {
    const pid = spawnShell('read x');
    expect(native.reap(pid)).toBeNull();
    process.kill(pid, 'SIGKILL');
    expect(await exitOf(pid)).toEqual({ pid, code: null, signal: 9 });
  });
});

describe('listening sockets', () => {
  it('holds a TCP listener nobody accepts on: connections queue in the kernel', async () => {
    const fd = native.listenInet('tcp', '127.0.0.1', 0, 16);
    const info = native.socketInfo(fd);
    expect(info).toMatchObject({ family: 'inet', type: 'stream', listening: true, address: '127.0.0.1' });
    // The kernel completes the handshake without anyone calling accept().
    await new Promise<void>((resolve, reject) => {
      const socket = connect(info.port!, '127.0.0.1', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
    closeSync(fd);
  });

  it('refuses a port in use with EADDRINUSE from bind', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    expect(thrown(() => native.listenInet('tcp', '127.0.0.1', port, 16))).toMatchObject({ code: 'EADDRINUSE', syscall: 'bind' });
    server.close();
  });

  it('listens on a Unix path and on IPv6, and binds UDP without listening', () => {
    const path = join(dir, 'u.sock');
    const unixFd = native.listenUnix(path, 16);
    expect(native.socketInfo(unixFd)).toMatchObject({ family: 'unix', listening: true, path });
    const v6 = native.listenInet('tcp', '::1', 0, 16);
    expect(native.socketInfo(v6)).toMatchObject({ family: 'inet6', address: '::1', listening: true });
    const udp = native.listenInet('udp', '127.0.0.1', 0, 0);
    expect(native.socketInfo(udp)).toMatchObject({ type: 'dgram', listening: false });
    for (const fd of [unixFd, v6, udp]) closeSync(fd);
  });

  it('rejects a host that is not a numeric address (name lookups are the caller\u2019s)', () => {
    expect(thrown(() => native.listenInet('tcp', 'localhost', 0, 16))).toMatchObject({ code: 'EINVAL' });
  });
});

describe('notify datagrams', () => {
  it('delivers each datagram with the sender\u2019s pid (SO_PASSCRED)', async () => {
    const path = join(dir, 'notify.sock');
    const messages: Array<{ pid: number; text: string }> = [];
    const reader = native.openDatagramReader(path, (pid, text) => messages.push({ pid, text }));
    const sender = spawnSync('python3', [
      '-c',
      'import os,socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"READY=1\\nSTATUS=ok", sys.argv[1]); print(os.getpid())',
      path,
    ]);
    const senderPid = Number(String(sender.stdout).trim());
    const got = await until(() => messages[0]);
    closeReader(reader);
    expect(got).toEqual({ pid: senderPid, text: 'READY=1\nSTATUS=ok' });
  });
});

describe('signal state', () => {
  it('lists the held signals: every catchable one but CHLD and the fault signals', () => {
    const state = native.signalState();
    expect(state.held).toContain(15);
    expect(state.held).toContain(10);
    expect(state.held).toContain(64);
    for (const notHeld of [4, 7, 8, 9, 11, 17, 19, 32, 33]) expect(state.held).not.toContain(notHeld);
    // Not started by the launcher here: nothing inherited, nothing held by force.
    expect(state.holding).toBe(false);
  });
});
