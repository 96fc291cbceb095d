// --listen failures: one clear line naming the flag and the reason, exit 1
// (2 for a malformed address), and the application is never started.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const HOTINIT = join(import.meta.dirname, '../../bin/hotinit');
const dir = mkdtempSync(join(tmpdir(), 'hotinit-listen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stderr: string;
  records: Array<Record<string, unknown>>;
}

function runHotinit(args: string[], prefix: string[] = []): Promise<Run> {
  const [file, ...rest] = [...prefix, HOTINIT, '--control', 'off', ...args, '--', 'sh', '-c', 'echo app-started'];
  return new Promise((resolve) => {
    const child = spawn(file!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('exit', (status) => {
      const records = stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(stdout).not.toContain('app-started');
      resolve({ status, stderr, records });
    });
  });
}

function errorLine(run: Run): string {
  const error = run.records.find((r) => r.level === 50);
  return String(error?.msg ?? '');
}

describe('--listen errors', () => {
  let busy: Server;
  afterAll(() => busy?.close());

  it('a port in use: exit 1, "address already in use", the app never starts', async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as { port: number };
    const run = await runHotinit(['--listen', `tcp://127.0.0.1:${port}`]);
    expect(run.status).toBe(1);
    expect(errorLine(run)).toBe(`--listen tcp://127.0.0.1:${port}: address already in use`);
    expect(run.records.some((r) => r.event === 'spawn')).toBe(false);
  });

  it('a privileged port as an unprivileged user: says what is needed', async () => {
    const run = await runHotinit(['--listen', 'tcp://127.0.0.1:81'], ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
    expect(run.status).toBe(1);
    expect(errorLine(run)).toMatch(/^--listen tcp:\/\/127\.0\.0\.1:81: permission denied \(ports below 1024 need root or CAP_NET_BIND_SERVICE\)$/);
  });

  it('a Unix path in a missing directory, and in one where sockets cannot be made', async () => {
    const missing = await runHotinit(['--listen', `unix://${dir}/nope/app.sock`]);
    expect(missing.status).toBe(1);
    expect(errorLine(missing)).toBe(`--listen unix://${dir}/nope/app.sock: directory ${dir}/nope does not exist`);
    const proc = await runHotinit(['--listen', 'unix:///proc/app.sock']);
    expect(errorLine(proc)).toBe('--listen unix:///proc/app.sock: cannot create a socket in /proc');
  });

  it('a Unix path that is a regular file is never replaced', async () => {
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'precious');
    const run = await runHotinit(['--listen', `unix://${file}`]);
    expect(run.status).toBe(1);
    expect(errorLine(run)).toBe(`--listen unix://${file}: ${file} exists and is not a socket; refusing to replace it`);
  });

  it('an address that is not local: "address not available on this host"', async () => {
    // 192.0.2.1 (TEST-NET-1) is never assigned here; bind fails before any packet is sent.
    const run = await runHotinit(['--listen', 'tcp://192.0.2.1:8080']);
    expect(run.status).toBe(1);
    expect(errorLine(run)).toBe('--listen tcp://192.0.2.1:8080: address not available on this host');
  });

  it('a malformed address is a usage error: exit 2 with the accepted forms', async () => {
    const run = await runHotinit(['--listen', 'tcp://localhost']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('hotinit: --listen: "tcp://localhost" has no port (e.g. tcp://0.0.0.0:8080, unix:///run/app.sock)');
  });
});
