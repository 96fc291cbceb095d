/**
 * The control socket end to end: the real hotinit as PID 1 of a fresh PID
 * namespace (`unshare --pid --fork --mount-proc bin/hotinit --control …`),
 * driven by the real client (`node dist/cli.js swap|reload|status|health`) as
 * a subprocess, and by raw sockets where a test needs bytes no client sends.
 * Every wait is on an event: a line of hotinit's JSON log, a line of the
 * app's stdout, a client's exit, an answer on a socket.
 *
 * The app (test/fixtures/control-app.mjs, run through a wrapper script so
 * that --stage has a binary of its own to replace) serves HTTP on the socket
 * hotinit holds, counts HUPs on stdout, and, while the gate file is missing,
 * keeps every new generation from becoming ready: that is how a test holds
 * a swap open for as long as it needs.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeAll, fixture, pollFor, ROOT, runInit, runToEnd, testEnv, type Finished, type InitRun, type LogLine } from '../helpers/hotinit.js';
import { nodeAppScript, writeScript } from '../helpers/swap-harness.js';
import { NOBODY, RawClient } from './helpers.js';

const CLI = join(ROOT, 'dist/cli.js');
const isRoot = process.getuid?.() === 0;
const WAIT_MS = 20_000;

/** The real client as a subprocess (optionally as uid/gid 65534), with no HOTINIT_CONTROL of ours. */
function hotinitClient(args: string[], options: { asNobody?: boolean } = {}): Promise<Finished> {
  const env = { ...process.env };
  delete env.HOTINIT_CONTROL;
  const argv = [process.execPath, CLI, ...args];
  const command = options.asNobody ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...argv] : argv;
  return runToEnd(command, { env, timeoutMs: 30_000 });
}

/** One HTTP request to the app through hotinit's listener; the answer's body. */
function fetchApp(address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get(`${address.replace('tcp://', 'http://')}/`, { agent: false, headers: { connection: 'close' } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body.trim()));
    });
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error(`no HTTP answer from ${address} within 10 s`)));
  });
}

/** The first line a raw client gets, or null when hotinit closes without one. */
function firstAnswer(client: RawClient): Promise<Record<string, any> | null> {
  return Promise.race([client.answer(1), client.closed.then(() => (client.lines[0] as Record<string, any> | undefined) ?? null)]);
}

/**
 * One request on a fresh raw connection. `busy` is retried, as the protocol
 * tells clients to (and the hotinit client does): connections a test has just
 * closed may not have been counted out by hotinit yet.
 */
async function ask(path: string, request: Record<string, unknown>): Promise<Record<string, any>> {
  const deadline = Date.now() + 10_000;
  for (let backoffMs = 10; ; backoffMs = Math.min(backoffMs * 2, 200)) {
    const client = await RawClient.open(path);
    let answer: Record<string, any> | null;
    try {
      client.send(`${JSON.stringify(request)}\n`);
      answer = await firstAnswer(client);
    } finally {
      client.close();
    }
    if (answer === null) throw new Error(`hotinit closed the connection without answering ${JSON.stringify(request)}`);
    if (answer.ok || answer.error?.code !== 'busy' || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, backoffMs));
  }
}

/** A started hotinit-as-PID-1 and what the tests need to know about it. */
interface Pid1 {
  run: InitRun;
  dir: string;
  socket: string;
  address: string;
  app: string;
}

async function startPid1(hotinitArgs: string[], env: NodeJS.ProcessEnv = {}): Promise<Pid1> {
  const dir = mkdtempSync(join(tmpdir(), 'hotinit-e2e-'));
  const socket = join(dir, 'ctl.sock');
  const app = nodeAppScript(join(dir, 'app'), 'control-app.mjs', { APP_VERSION: '1' });
  const args = hotinitArgs.map((a) => a.replaceAll('{dir}', dir));
  const run = runInit([...args, '--listen', 'tcp://127.0.0.1:0', '--ready', 'fd', '--', app], { pid1: true, env: testEnv(env) });
  try {
    const started = await run.waitForLog((l) => l.event === 'start' && typeof l.address === 'string', WAIT_MS);
    await run.waitForLog((l) => l.event === 'ready' && l.gen === 1, WAIT_MS);
    return { run, dir, socket, address: started.address as string, app };
  } catch (error) {
    run.dispose();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function stopPid1(h: Pid1 | undefined): Promise<void> {
  if (!h) return;
  try {
    if (!h.run.hasExited) {
      await h.run.signal('SIGTERM');
      await h.run.waitForExit(WAIT_MS);
    }
  } finally {
    h.run.dispose();
    rmSync(h.dir, { recursive: true, force: true });
  }
}

/** Log lines from index `mark` on. */
function since(run: InitRun, mark: number): LogLine[] {
  return run.logs.slice(mark);
}

/** Waits for a log line, at or after index `mark`, that matches. */
function waitSince(run: InitRun, mark: number, match: (line: LogLine) => boolean, timeoutMs = WAIT_MS): Promise<LogLine> {
  const before = new Set(run.logs.slice(0, mark));
  return run.waitForLog((line) => !before.has(line) && match(line), timeoutMs);
}

/** Swaps that really started (not the 'swap requested' debug lines, not coalesced requests, not stage notes). */
const swapStarts = (lines: LogLine[]) => lines.filter((l) => l.event === 'swap.begin' && l.msg === undefined);
const spawns = (lines: LogLine[]) => lines.filter((l) => l.event === 'spawn');
/** An app answer from that generation and pid, whichever version it runs. */
const serves = (genAndPid: string) => new RegExp(`^${genAndPid} version=\\d+$`);
const DURATION = String.raw`\d+(\.\d+)?(ms|s|m)`;

afterAll(disposeAll); // whatever a failed test left running

describe('hotinit as PID 1 with a control socket', () => {
  let h: Pid1;
  let gate: string;
  let config: string;
  const client = (...args: string[]) => hotinitClient([...args, '--control', h.socket]);
  const status = async () => {
    const answer = await ask(h.socket, { v: 1, op: 'status' });
    expect(answer.ok, JSON.stringify(answer)).toBe(true);
    return answer.result as Record<string, any>;
  };
  const serving = async () => {
    const report = await status();
    const generation = report.generations.find((g: any) => g.serving);
    if (!generation) throw new Error(`no serving generation in ${JSON.stringify(report)}`);
    return generation as { gen: number; pid: number };
  };
  const lastSpawnedGen = () => Math.max(...spawns(h.run.logs).map((l) => l.gen!));

  let filesDir: string;

  beforeAll(async () => {
    // Outside hotinit's directory, which the other-uid test opens to everyone.
    filesDir = mkdtempSync(join(tmpdir(), 'hotinit-e2e-files-'));
    gate = join(filesDir, 'gate');
    config = join(filesDir, 'app.conf');
    writeFileSync(gate, '');
    writeFileSync(config, 'ok\n');
    h = await startPid1(['-v', '--control', '{dir}/ctl.sock', '--reload-check', `${fixture('check-config.sh')} ${config}`], { APP_READY_GATE: gate });
  });
  afterAll(async () => {
    await stopPid1(h);
    rmSync(filesDir, { recursive: true, force: true });
  });

  it('status and health answer from PID 1: one ready generation, the listener, no swap yet', async () => {
    expect(statSync(h.socket).mode & 0o777).toBe(0o600);
    const gen1 = spawns(h.run.logs)[0]!;
    const json = await client('status', '--json');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      pid: 1,
      healthy: true,
      swapInProgress: false,
      lastSwap: null,
      lastReload: null,
      generations: [{ gen: 1, pid: gen1.pid, state: 'ready', serving: true }],
      listeners: [{ address: h.address }],
    });
    const text = await client('status');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^hotinit \S+ \(pid 1\), up \S+, healthy\n/);
    expect(text.stdout).toContain(h.address);
    expect(await client('health')).toMatchObject({ code: 0, stdout: 'healthy\n' });
    expect(await fetchApp(h.address)).toBe(`gen=1 pid=${gen1.pid} version=1`);
  });

  it('hotinit swap: exit 0 and one line naming the generation that serves now, which does', async () => {
    const mark = h.run.logs.length;
    const result = await client('swap');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const spawned = spawns(since(h.run, mark));
    expect(spawned.map((l) => l.gen)).toEqual([2]);
    const old = spawns(h.run.logs)[0]!;
    expect(result.stdout).toMatch(
      new RegExp(`^swap done: generation 2 \\(pid ${spawned[0]!.pid}\\) serving; generation 1 \\(pid ${old.pid}\\) draining after ${DURATION}\n$`),
    );
    expect(await fetchApp(h.address)).toBe(`gen=2 pid=${spawned[0]!.pid} version=1`);
  });

  it('a staged file that is not executable: exit 1, the reason, the old generation keeps serving', async () => {
    const before = await serving();
    const stage = join(h.dir, 'app.new');
    writeFileSync(stage, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const mark = h.run.logs.length;
    const result = await client('swap', '--stage', stage);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(`^swap failed: staged ${stage} is not executable \\(chmod \\+x it\\); generation ${before.gen} keeps serving \\(after ${DURATION}\\)\n$`),
    );
    expect(spawns(since(h.run, mark))).toEqual([]);
    expect(existsSync(`${stage}.rejected`)).toBe(true);
    expect(await fetchApp(h.address)).toMatch(serves(`gen=${before.gen} pid=${before.pid}`));
    expect((await status()).lastSwap).toMatchObject({ ok: false, gen: before.gen });
  });

  it('a staged binary that dies at start: exit 1 with its exit status, rolled back, the old generation keeps serving', async () => {
    const before = await serving();
    const original = readFileSync(h.app, 'utf8');
    const stage = writeScript(join(h.dir, 'crash.new'), 'echo "crash.new: cannot start" >&2\nexit 3');
    const mark = h.run.logs.length;
    const result = await client('swap', '--stage', stage);
    const candidate = lastSpawnedGen();
    expect(candidate).toBe(before.gen + 1);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^swap failed: new generation ${candidate} exited with status 3 before it was ready; generation ${before.gen} keeps serving \\(after ${DURATION}\\)\n$`,
      ),
    );
    expect(since(h.run, mark).find((l) => l.event === 'rollback')).toBeDefined();
    expect(readFileSync(h.app, 'utf8')).toBe(original);
    expect(existsSync(`${stage}.rejected`)).toBe(true);
    expect(await fetchApp(h.address)).toMatch(serves(`gen=${before.gen} pid=${before.pid}`));
    expect(await client('health')).toMatchObject({ code: 0, stdout: 'healthy\n' });
  });

  it('a staged binary that works: exit 0, and the new version serves', async () => {
    const before = await serving();
    const stage = nodeAppScript(join(h.dir, 'v2.new'), 'control-app.mjs', { APP_VERSION: '2' });
    const result = await client('swap', '--stage', stage);
    expect(result.code).toBe(0);
    const now = await serving();
    expect(now.gen).toBeGreaterThan(before.gen);
    expect(result.stdout).toMatch(new RegExp(`^swap done: generation ${now.gen} \\(pid ${now.pid}\\) serving; generation ${before.gen} `));
    expect(await fetchApp(h.address)).toBe(`gen=${now.gen} pid=${now.pid} version=2`);
    expect(readFileSync(h.app, 'utf8')).toContain("APP_VERSION='2'");
  });

  it('status during a swap; a USR2 and a hotinit swap sent meanwhile are served by one follow-up swap', async () => {
    const before = await serving();
    const next = before.gen + 1;
    rmSync(gate);
    const mark = h.run.logs.length;
    const first = client('swap');
    const candidate = await waitSince(h.run, mark, (l) => l.event === 'spawn' && l.gen === next);
    await h.run.waitForStdout(`waiting gen=${next} pid=${candidate.pid}`, WAIT_MS);

    const during = await status();
    expect(during.swapInProgress).toBe(true);
    expect(during.healthy).toBe(true);
    expect(during.generations.filter((g: any) => g.state !== 'exited')).toEqual([
      { gen: before.gen, pid: before.pid, state: 'ready', serving: true, uptimeMs: expect.any(Number) },
      { gen: next, pid: candidate.pid, state: 'starting', serving: false, uptimeMs: expect.any(Number) },
    ]);
    const text = await client('status');
    expect(text.stdout).toMatch(new RegExp(`\n${next} +${candidate.pid} +starting +no `));
    expect(await client('health')).toMatchObject({ code: 0, stdout: 'healthy\n' });
    expect(await fetchApp(h.address)).toMatch(serves(`gen=${before.gen} pid=${before.pid}`));

    await h.run.signal('SIGUSR2');
    await waitSince(h.run, mark, (l) => l.event === 'swap.begin' && l.msg === 'swap already running: one more will follow');
    const afterSignal = h.run.logs.length;
    const second = client('swap');
    await waitSince(h.run, afterSignal, (l) => l.event === 'swap.begin' && l.source === 'control' && l.msg === 'swap requested');
    writeFileSync(gate, '');

    const [one, two] = await Promise.all([first, second]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`^swap done: generation ${next} \\(pid ${candidate.pid}\\) serving; generation ${before.gen} `));
    const followUp = await waitSince(h.run, mark, (l) => l.event === 'swap.done' && l.gen === next + 1);
    expect(two.code).toBe(0);
    expect(two.stdout).toMatch(new RegExp(`^swap done: generation ${next + 1} \\(pid ${followUp.pid}\\) serving; generation ${next} `));
    // Two swaps in all: the one asked first, and one for the USR2 and the second client together.
    expect(swapStarts(since(h.run, mark))).toHaveLength(2);
    expect(spawns(since(h.run, mark)).map((l) => l.gen)).toEqual([next, next + 1]);
    expect(since(h.run, mark).filter((l) => l.event === 'swap.done').map((l) => l.gen)).toEqual([next, next + 1]);

    await waitSince(h.run, mark, (l) => l.event === 'drain' && l.gen === next && l.msg === 'drained');
    const after = await status();
    expect(after.swapInProgress).toBe(false);
    expect(after.lastSwap).toMatchObject({ ok: true, action: 'swap', gen: next + 1, message: expect.stringContaining(`generation ${next + 1}`) });
    const byGen = new Map(after.generations.map((g: any) => [g.gen, g]));
    expect(byGen.get(before.gen)).toMatchObject({ pid: before.pid, state: 'exited', serving: false });
    expect(byGen.get(next)).toMatchObject({ pid: candidate.pid, state: 'exited', serving: false });
    expect(byGen.get(next + 1)).toMatchObject({ pid: followUp.pid, state: 'ready', serving: true });
    expect(await fetchApp(h.address)).toMatch(serves(`gen=${next + 1} pid=${followUp.pid}`));
  });

  it('hotinit reload: the app gets one HUP; a config the --reload-check refuses is exit 1 naming the check, and no HUP', async () => {
    const target = await serving();
    const hups = () => h.run.stdout.filter((l) => l.startsWith('hup ') && l.endsWith(`pid=${target.pid}`));
    writeFileSync(config, 'ok\n');
    const done = await client('reload');
    expect(done).toMatchObject({ code: 0, stderr: '' });
    expect(done.stdout).toMatch(new RegExp(`^reload done: generation ${target.gen} \\(pid ${target.pid}\\) signalled with SIGHUP after ${DURATION}\n$`));
    await h.run.waitForStdout(`hup 1 gen=${target.gen} pid=${target.pid}`, WAIT_MS);

    writeFileSync(config, 'broken\n');
    const mark = h.run.logs.length;
    const refused = await client('reload');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      new RegExp(
        `^reload failed: refused: --reload-check exited with 1: check-config: ${config}: line 1: syntax error near 'broken'; generation ${target.gen} untouched \\(after ${DURATION}\\)\n$`,
      ),
    );
    expect(await waitSince(h.run, mark, (l) => l.event === 'reload.failed')).toMatchObject({ gen: target.gen });
    expect((await status()).lastReload).toMatchObject({ ok: false, action: 'reload' });

    // The refused reload sent nothing: the next good one is the app's second HUP.
    writeFileSync(config, 'ok again\n');
    expect((await client('reload')).code).toBe(0);
    await h.run.waitForStdout(`hup 2 gen=${target.gen} pid=${target.pid}`, WAIT_MS);
    expect(hups()).toEqual([`hup 1 gen=${target.gen} pid=${target.pid}`, `hup 2 gen=${target.gen} pid=${target.pid}`]);
    expect((await status()).lastReload).toMatchObject({ ok: true, gen: target.gen });
    expect(await fetchApp(h.address)).toMatch(serves(`gen=${target.gen} pid=${target.pid}`));
  });

  it('garbage, an oversized line and vanished clients get error replies or are dropped; hotinit and the app serve on', async () => {
    const before = await serving();
    const mark = h.run.logs.length;
    // A slow client: half a line, then nothing. It must not hold anyone up.
    const slow = await RawClient.open(h.socket);
    slow.send('{"v":1,"op":');
    const slowSince = Date.now();

    const raw = await RawClient.open(h.socket);
    raw.send('this is not json\n');
    expect(await raw.answer(1)).toMatchObject({ v: 1, id: null, ok: false, error: { code: 'bad-json' } });
    raw.send(Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7b, 0x0a]));
    expect(await raw.answer(2)).toMatchObject({ ok: false, error: { code: 'bad-json' } });
    raw.send('[1,2,3]\n');
    expect(await raw.answer(3)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    raw.send('{"v":2,"op":"status"}\n');
    expect(await raw.answer(4)).toMatchObject({ ok: false, error: { code: 'unsupported-version' } });
    raw.send('{"v":1,"id":"r1","op":"restart"}\n');
    expect(await raw.answer(5)).toMatchObject({ id: 'r1', ok: false, error: { code: 'unknown-op' } });
    raw.send('{"v":1,"id":7,"op":"health"}\n'); // the same connection still works
    expect(await raw.answer(6)).toMatchObject({ id: 7, ok: true, result: { healthy: true } });
    raw.close();

    const big = await RawClient.open(h.socket);
    big.send(`{"v":1,"op":"swap","pad":"${'x'.repeat(200_000)}"}\n`);
    expect(await firstAnswer(big)).toMatchObject({ ok: false, error: { code: 'line-too-long' } });
    await big.closed;
    expect(await waitSince(h.run, mark, (l) => l.event === 'control' && l.code === 'line-too-long')).toMatchObject({ msg: 'control client dropped' });

    const vanished = await RawClient.open(h.socket);
    vanished.send('{"v":1,"op":"sw');
    vanished.close();
    const halfClosed = await RawClient.open(h.socket);
    halfClosed.send('{"v":1,"op":"health"}');
    halfClosed.socket.end();
    expect(await firstAnswer(halfClosed)).toMatchObject({ ok: true, result: { healthy: true } });

    // Nothing of that touched the app, or started a swap.
    expect(swapStarts(since(h.run, mark))).toEqual([]);
    expect(since(h.run, mark).filter((l) => l.event === 'control' && l.msg === 'bad control request').length).toBeGreaterThanOrEqual(5);
    expect(await fetchApp(h.address)).toMatch(serves(`gen=${before.gen} pid=${before.pid}`));
    const result = await client('swap');
    expect(result.code).toBe(0);
    const now = await serving();
    expect(now.gen).toBe(before.gen + 1);
    expect(await fetchApp(h.address)).toMatch(serves(`gen=${now.gen} pid=${now.pid}`));

    // All that while the slow client held its connection; after 10 s of no line it is told, and dropped.
    expect(slow.lines).toEqual([]);
    expect(await firstAnswer(slow)).toMatchObject({ ok: false, error: { code: 'timeout' } });
    await slow.closed;
    expect(Date.now() - slowSince).toBeGreaterThanOrEqual(9_000);
  });

  it.runIf(isRoot)('another uid is refused with exit 3: by the 0600 mode, and by the peer-credential check behind it', async () => {
    const mark = h.run.logs.length;
    chmodSync(h.dir, 0o711);
    try {
      const byMode = await hotinitClient(['swap', '--control', h.socket], { asNobody: true });
      expect(byMode.code).toBe(3);
      expect(byMode.stderr).toBe(
        `hotinit swap: permission denied on ${h.socket}: the control socket is owner-only (mode 0600); run this as the user hotinit runs as, or as root\n`,
      );
      chmodSync(h.socket, 0o666);
      const byCredentials = await hotinitClient(['swap', '--control', h.socket], { asNobody: true });
      expect(byCredentials.code).toBe(3);
      expect(byCredentials.stderr).toBe(
        `hotinit swap: hotinit at ${h.socket} refused the connection: permission denied: uid ${NOBODY} is neither hotinit's uid 0 nor root\n`,
      );
      const refusal = await waitSince(h.run, mark, (l) => l.event === 'control' && l.code === 'permission-denied');
      expect(refusal).toMatchObject({ level: 40, peerUid: NOBODY });
    } finally {
      chmodSync(h.socket, 0o600);
      chmodSync(h.dir, 0o700);
    }
    expect(swapStarts(since(h.run, mark))).toEqual([]);
    expect(await client('health')).toMatchObject({ code: 0, stdout: 'healthy\n' });
  });

  it('100 clients asking for a swap at once: every one is answered (done or busy), two swaps happen, hotinit serves on', async () => {
    const before = await serving();
    rmSync(gate); // hold the first swap open until every request is in
    const mark = h.run.logs.length;
    const clients = await Promise.all(Array.from({ length: 100 }, () => RawClient.open(h.socket)));
    clients.forEach((c, i) => c.send(`${JSON.stringify({ v: 1, id: i, op: 'swap' })}\n`));
    const answers = clients.map(firstAnswer);
    const requested = () => since(h.run, mark).filter((l) => l.event === 'swap.begin' && l.source === 'control').length;
    const refusedBusy = () => clients.filter((c) => c.lines.length > 0).length;
    await pollFor('every client answered busy or its swap request queued', () => requested() + refusedBusy() === 100, WAIT_MS);
    writeFileSync(gate, '');

    const all = await Promise.all(answers);
    clients.forEach((c) => c.close());
    // What each client was told, counted; on failure, with hotinit's account of the swaps.
    const told = new Map<string, number>();
    for (const a of all) {
      const key = a === null ? 'no answer' : a.ok ? `${a.result.ok ? 'done' : 'failed'}: generation ${a.result.gen}` : a.error.code;
      told.set(key, (told.get(key) ?? 0) + 1);
    }
    const account = since(h.run, mark)
      .filter((l) => /^(swap|spawn|drain|reap|ready)/.test(l.event) && l.source === undefined)
      .map((l) => JSON.stringify(l))
      .join('\n');
    // At most 64 connections at once (documented): 36 are told busy. Of the 64
    // served, the first started a swap; the 63 that came while it ran share one follow-up.
    expect(Object.fromEntries(told), account).toEqual({
      busy: 100 - 64,
      [`done: generation ${before.gen + 1}`]: 1,
      [`done: generation ${before.gen + 2}`]: 63,
    });

    // The first request's swap and one follow-up for all the rest: two, not 64.
    expect(swapStarts(since(h.run, mark)), account).toHaveLength(2);
    expect(spawns(since(h.run, mark)).map((l) => l.gen)).toEqual([before.gen + 1, before.gen + 2]);
    const now = await serving();
    expect(now.gen).toBe(before.gen + 2);
    expect(await fetchApp(h.address)).toMatch(serves(`gen=${now.gen} pid=${now.pid}`));
    expect(await client('health')).toMatchObject({ code: 0, stdout: 'healthy\n' });
  });

  it('TERM: hotinit stops the app, exits 0 and removes its socket', async () => {
    await h.run.signal('SIGTERM');
    expect(await h.run.waitForExit(WAIT_MS)).toMatchObject({ code: 0, signal: null });
    expect(existsSync(h.socket)).toBe(false);
  });
});

describe('hotinit as PID 1 with --control off', () => {
  let h: Pid1;
  beforeAll(async () => {
    h = await startPid1(['--control', 'off']);
  });
  afterAll(() => stopPid1(h));

  it('runs no server: the client exits 3 naming the path it tried, and the app serves on', async () => {
    for (const command of ['swap', 'status', 'health']) {
      const result = await hotinitClient([command, '--control', h.socket]);
      expect(result.code).toBe(3);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `hotinit ${command}: no hotinit is listening at ${h.socket} (no such file); is it running with --control off, or with another --control PATH?\n`,
      );
    }
    expect(existsSync(h.socket)).toBe(false);
    expect(h.run.logs.filter((l) => l.event === 'control')).toEqual([]);
    const gen1 = spawns(h.run.logs)[0]!;
    expect(await fetchApp(h.address)).toBe(`gen=1 pid=${gen1.pid} version=1`);
  });
});
