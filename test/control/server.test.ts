/**
 * The control server against real Unix sockets and raw clients: what a
 * misbehaving client can do, and what it cannot do to hotinit.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import { MAX_LINE_BYTES } from '../../src/control/protocol.js';
import { ask, deferred, FakeTarget, RawClient, recordingLog, SWAP_FAILED, SWAP_OK, tempDir, until } from './helpers.js';

let dir: string;
let cleanup: () => void;
let path: string;
let target: FakeTarget;
let log: ReturnType<typeof recordingLog>;
let server: ControlServer | null;

async function start(options: { idleTimeoutMs?: number; maxConnections?: number } = {}): Promise<ControlServer> {
  server = await startControlServer({ path, target, log, ...options });
  return server;
}

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  path = join(dir, 'control.sock');
  target = new FakeTarget();
  log = recordingLog();
  server = null;
});
afterEach(async () => {
  await server?.close();
  cleanup();
});

describe('answers', () => {
  it('status, health, swap and reload, echoing the request id', async () => {
    await start();
    expect(await ask(path, { v: 1, id: 'a', op: 'status' })).toEqual({ v: 1, id: 'a', ok: true, result: target.report });
    expect(await ask(path, { v: 1, id: 2, op: 'health' })).toEqual({ v: 1, id: 2, ok: true, result: { healthy: true, reason: null } });
    expect(await ask(path, { v: 1, op: 'swap', stage: '/app/new' })).toEqual({ v: 1, id: null, ok: true, result: SWAP_OK });
    expect(target.swaps).toEqual([{ stage: '/app/new' }]);
    expect((await ask(path, { v: 1, op: 'reload' })).result.ok).toBe(true);
    expect(target.reloads).toBe(1);
  });

  it('a failed swap is a response with ok:true whose outcome says failed', async () => {
    target.swapWith = async () => SWAP_FAILED;
    await start();
    expect(await ask(path, { v: 1, op: 'swap' })).toMatchObject({ ok: true, result: SWAP_FAILED });
  });

  it('a target that throws gets an internal error reply, logged at error level, and the server keeps serving', async () => {
    target.reloadWith = () => Promise.reject(new Error('boom'));
    await start();
    expect(await ask(path, { v: 1, op: 'reload' })).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(log.lines.some((l) => l.level === 'error' && String(l.fields.err).includes('boom'))).toBe(true);
    expect((await ask(path, { v: 1, op: 'status' })).ok).toBe(true);
  });

  it('answers several requests on one connection in order, and after the client half-closes', async () => {
    await start();
    const client = await RawClient.open(path);
    client.send('{"v":1,"id":1,"op":"health"}\n{"v":1,"id":2,"op":"swap"}\r\n{"v":1,"id":3,"op":"status"}');
    client.socket.end();
    await client.closed;
    expect(client.lines.map((l: any) => [l.id, l.ok])).toEqual([[1, true], [2, true], [3, true]]);
  });

  it('creates the socket with mode 0600 and removes it on close', async () => {
    await start();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await server!.close();
    expect(() => statSync(path)).toThrow(/ENOENT/);
  });
});

describe('bad input', () => {
  it('garbage gets an error reply and the same connection still works', async () => {
    await start();
    const client = await RawClient.open(path);
    client.send(Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x80]), Buffer.from('not json\n')]));
    expect(await client.answer(1)).toMatchObject({ v: 1, id: null, ok: false, error: { code: 'bad-json' } });
    for (const [line, code] of [
      ['[1,2]', 'bad-request'],
      ['{"op":"status"}', 'bad-request'],
      ['{"v":2,"id":"x","op":"status"}', 'unsupported-version'],
      ['{"v":1,"op":"restart"}', 'unknown-op'],
      ['{"v":1,"op":"status","stage":"/x"}', 'bad-request'],
      ['{"v":1,"op":"swap","stage":""}', 'bad-request'],
      ['{"v":1,"id":{},"op":"status"}', 'bad-request'],
    ] as const) {
      client.send(`${line}\n`);
      expect(await client.answer(), line).toMatchObject({ ok: false, error: { code } });
    }
    client.send('{"v":1,"id":"after","op":"health"}\n');
    expect(await client.answer()).toMatchObject({ id: 'after', ok: true });
    client.close();
    expect(target.swaps).toEqual([]);
  });

  it('a line of exactly the cap is read; one byte more is refused and the connection closed', async () => {
    await start();
    const request = (bytes: number) => {
      const head = '{"v":1,"op":"health","pad":"';
      return `${head}${'x'.repeat(bytes - head.length - 2)}"}`;
    };
    expect(Buffer.byteLength(request(MAX_LINE_BYTES))).toBe(MAX_LINE_BYTES);
    expect((await ask(path, JSON.parse(request(MAX_LINE_BYTES)))).ok).toBe(true);

    const client = await RawClient.open(path);
    client.send(`${request(MAX_LINE_BYTES + 1)}\n`);
    expect(await client.answer()).toMatchObject({ ok: false, error: { code: 'line-too-long' } });
    await client.closed;
  });

  it('a line that never ends is refused as soon as it passes the cap', async () => {
    await start();
    const client = await RawClient.open(path);
    client.send(Buffer.alloc(MAX_LINE_BYTES + 10, 'a'));
    expect(await client.answer()).toMatchObject({ ok: false, error: { code: 'line-too-long' } });
    await client.closed;
    expect(log.lines.some((l) => l.level === 'warn' && l.fields.code === 'line-too-long')).toBe(true);
  });
});

describe('slow and vanishing clients', () => {
  it('drops a client that sends no complete line in time, and not one that does', async () => {
    await start({ idleTimeoutMs: 300 });
    const slow = await RawClient.open(path);
    slow.send('{"v":1,');
    const prompt = await RawClient.open(path);
    prompt.send('{"v":1,"op":"health"}\n');
    expect((await prompt.answer()).ok).toBe(true);
    expect(await slow.answer()).toMatchObject({ ok: false, error: { code: 'timeout' } });
    await slow.closed;
    prompt.close();
  });

  it('does not drop a client that waits for a swap longer than the idle timeout', async () => {
    const release = deferred<typeof SWAP_OK>();
    target.swapWith = () => release.promise;
    await start({ idleTimeoutMs: 200 });
    const client = await RawClient.open(path);
    client.send('{"v":1,"op":"swap"}\n');
    await new Promise((wake) => setTimeout(wake, 500));
    release.resolve(SWAP_OK);
    expect(await client.answer()).toMatchObject({ ok: true, result: SWAP_OK });
    client.close();
  });

  it('a client that hangs up mid-swap changes nothing: the swap completes and the server serves on', async () => {
    const release = deferred<typeof SWAP_OK>();
    target.swapWith = () => release.promise;
    await start();
    const client = await RawClient.open(path);
    client.send('{"v":1,"op":"swap"}\n');
    await until(() => target.swaps.length === 1);
    client.close();
    await client.closed;
    release.resolve(SWAP_OK);
    await until(() => log.lines.some((l) => l.message === 'control client went away before its answer'));
    expect(await ask(path, { v: 1, op: 'health' })).toMatchObject({ ok: true });
  });
});

describe('many clients', () => {
  it('100 concurrent clients: 64 answered, 36 told busy, and the server serves afterwards', async () => {
    await start();
    const clients = await Promise.all(Array.from({ length: 100 }, () => RawClient.open(path)));
    await until(() => clients.filter((c) => c.lines.length > 0).length === 36);
    for (const client of clients) client.send('{"v":1,"op":"status"}\n');
    const answers = await Promise.all(clients.map((c) => c.answer(1)));
    expect(answers.filter((a) => a.ok).length).toBe(64);
    expect(answers.filter((a) => !a.ok && a.error.code === 'busy').length).toBe(36);
    clients.forEach((c) => c.close());
    await Promise.all(clients.map((c) => c.closed));
    // The server sees the hang-ups a moment after the clients do: until then
    // a newcomer may still be told busy, which is what the CLI retries on.
    let after = await ask(path, { v: 1, op: 'status' });
    for (let tries = 0; !after.ok && after.error.code === 'busy' && tries < 50; tries += 1) {
      await new Promise((wake) => setTimeout(wake, 20));
      after = await ask(path, { v: 1, op: 'status' });
    }
    expect(after).toMatchObject({ ok: true, result: target.report });
  });

  it('close() does not wait for refused clients that stay connected', async () => {
    await start({ maxConnections: 1 });
    const served = await RawClient.open(path);
    const refused = await RawClient.open(path);
    expect(await refused.answer()).toMatchObject({ error: { code: 'busy' } });
    // A refused socket lingers up to 1 s for its client to read the error;
    // close() must cut that short (it once waited the full second).
    const closing = server!.close().then(() => 'closed');
    const slow = new Promise((wake) => setTimeout(() => wake('still waiting'), 500));
    expect(await Promise.race([closing, slow])).toBe('closed');
    await Promise.all([served.closed, refused.closed]);
  });

  it('64 callers waiting on one hanging swap all get its outcome when it ends', async () => {
    const release = deferred<typeof SWAP_OK>();
    target.swapWith = () => release.promise;
    await start();
    const clients = await Promise.all(Array.from({ length: 64 }, () => RawClient.open(path)));
    clients.forEach((c) => c.send('{"v":1,"op":"swap"}\n'));
    await until(() => target.swaps.length === 64);
    expect((await ask(path, { v: 1, op: 'status' })).error?.code).toBe('busy');
    release.resolve(SWAP_OK);
    const answers = await Promise.all(clients.map((c) => c.answer()));
    expect(answers.every((a) => a.ok && a.result.ok)).toBe(true);
    clients.forEach((c) => c.close());
  });
});
