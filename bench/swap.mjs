#!/usr/bin/env node
// npm run bench:swap — hotinit's SIGUSR2 swap side by side with the two ways
// people swap an app without it, under the same load and with the same app.
//
// Not a test: it measures, prints Markdown tables and says which targets of
// issue 3 are met; it exits 0 either way (1 only if the bench itself broke).
//
//   node bench/swap.mjs [--quick] [--swaps N] [--loads keepalive,newconn]
//                       [--variants hotinit,naive,reuseport] [--json FILE]
//                       [--connections C] [--rate-keepalive R] [--rate-newconn R] [--keep]
//
// Variants (the app is bench/swap/app.mjs in all three; it drains on SIGTERM
// with hotinit/app's drainOnSignal and says READY on the same pipe):
//   hotinit    bin/hotinit --min-ready 0 --listen tcp://127.0.0.1:0 --ready fd -- node app;
//              a swap is SIGUSR2 to hotinit.
//   naive      bench/swap/supervisor.mjs --mode naive: on SIGUSR2 it SIGTERMs
//              the app, waits for its exit, starts it again (the app binds the
//              port itself) and waits for READY.
//   reuseport  bench/swap/supervisor.mjs --mode reuseport: the new app binds
//              the same port with listen({ reusePort: true }), and once it is
//              READY the old one gets SIGTERM, drains and exits.
// Each swap is started only after the previous one completed (swap.done and
// the old generation's 'drained'), then a pause.
//
// Load (bench/swap/load.mjs, a separate process, loopback only): an open loop
// at a fixed request rate over C connection slots — keep-alive (C persistent
// connections) and new-connection-per-request. Every request is recorded:
// scheduled time, latency, outcome. A request that finds every slot busy waits
// and its latency counts from its scheduled time (no coordinated omission).
// Errors: connect (refused/reset before connected), read (reset or EOF before
// the full response), write (EPIPE), timeout (no response 2 s after its
// scheduled time), non-2xx.
//
// Windows:
//   during swaps  requests scheduled from the swap signal (SIGUSR2 sent) until
//                 the swap is complete: the old generation has exited and the
//                 new one is ready (the later of the two log lines, + 1 ms for
//                 the logs' ms resolution).
//   steady state  requests scheduled after a warm-up and before the first swap.
//   Latency percentiles are over successful requests only.
//
// Swap time, from the supervisor's own log lines (hotinit's JSON on stderr):
//   total     USR2 sent → old generation gone ('drained').
//   start-up  spawn → ready of the new generation (the app's own start-up, as
//             the supervisor sees it).
//   overhead  swap.begin → drain signal sent to the old generation, minus
//             start-up: what the supervisor itself adds (naive: none defined,
//             its old generation is stopped before the new one starts).
//   overhead (app clocks)  the old app's SIGTERM handler time − USR2 sent,
//             minus (new app's READY write − its process start,
//             performance.timeOrigin): sub-ms clocks, and it also counts the
//             USR2 delivery, fork/exec and reading the READY pipe.
import { execFileSync, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const APP = path.join(ROOT, 'bench', 'swap', 'app.mjs');
const SUPERVISOR = path.join(ROOT, 'bench', 'swap', 'supervisor.mjs');
const LOADGEN = path.join(ROOT, 'bench', 'swap', 'load.mjs');
const HOTINIT = path.join(ROOT, 'bin', 'hotinit');
const OUTCOMES = ['ok', 'connect', 'read', 'write', 'timeout', 'non2xx'];
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = { quick: false, swaps: null, loads: null, variants: null, json: null, connections: 32, rateKeepalive: 8000, rateNewconn: 3000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const int = () => {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1) usage(`${a}: "${v}" is not a positive integer`);
      return Number(v);
    };
    const list = (allowed) => {
      const v = value().split(',').filter(Boolean);
      for (const x of v) if (!allowed.includes(x)) usage(`${a}: "${x}" is not one of ${allowed.join(', ')}`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--swaps') o.swaps = int();
    else if (a === '--loads') o.loads = list(['keepalive', 'newconn']);
    else if (a === '--variants') o.variants = list(['hotinit', 'naive', 'reuseport']);
    else if (a === '--json') o.json = value();
    else if (a === '--keep') o.keep = true;
    else if (a === '--connections') o.connections = int();
    else if (a === '--rate-keepalive') o.rateKeepalive = int();
    else if (a === '--rate-newconn') o.rateNewconn = int();
    else if (a === '-h' || a === '--help') usage(null);
    else usage(`unknown option ${a}`);
  }
  o.swaps ??= o.quick ? 12 : 50;
  o.loads ??= o.quick ? ['keepalive'] : ['keepalive', 'newconn'];
  o.variants ??= ['hotinit', 'naive', 'reuseport'];
  o.warmupMs = 1000;
  o.steadyMs = o.quick ? 2000 : 4000;
  o.gapMs = o.quick ? 200 : 300;
  o.tailMs = 500;
  o.swapTimeoutMs = 20000;
  return o;
}

function usage(error) {
  const text = `usage: node bench/swap.mjs [--quick] [--swaps N] [--loads keepalive,newconn]
                          [--variants hotinit,naive,reuseport] [--json FILE]
                          [--connections C] [--rate-keepalive R] [--rate-newconn R] [--keep]
  --quick             keep-alive load only, 12 swaps a variant (≈ 30 s)
  --swaps N           swaps per variant and load (default 50)
  --loads L           keepalive and/or newconn (default both)
  --variants V        hotinit, naive, reuseport (default all three)
  --connections C     connection slots of the load generator (default 32)
  --rate-keepalive R  requests/s with keep-alive (default 8000)
  --rate-newconn R    requests/s with a new connection each (default 3000)
  --json FILE         also write every per-swap figure to FILE
  --keep              keep the raw records (load, app and supervisor logs) and print where`;
  if (error) {
    console.error(`bench/swap.mjs: ${error}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

// ---------------------------------------------------------------- processes

// Our direct children (supervisors, load generators) are killed through their
// ChildProcess while Node has not reaped them, so their pid cannot have been
// reused. Generations (grandchildren, started by a supervisor) are killed only
// if the pid still has the start time it had when its spawn line arrived and
// still runs bench/swap/app.mjs: pids are reused fast on a machine where other
// work forks thousands of processes.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hotinit-bench-swap-'));
const children = new Set(); // ChildProcess
const apps = new Map(); // pid → /proc start time

function startTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // field 22
  } catch {
    return null;
  }
}

/** True while pid is still the generation we saw spawned. */
function sameApp(pid) {
  const known = apps.get(pid);
  if (known == null || startTime(pid) !== known) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(APP);
  } catch {
    return false;
  }
}

function running(child) {
  return child.exitCode === null && child.signalCode === null;
}

function killLeftovers() {
  for (const child of children) if (running(child)) child.kill('SIGKILL');
  for (const pid of [...apps.keys()]) {
    if (sameApp(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    apps.delete(pid);
  }
}

let keepTmp = false;
function cleanupTmp() {
  if (keepTmp) return;
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
  } catch {}
}

process.on('exit', () => {
  killLeftovers();
  cleanupTmp();
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nbench/swap.mjs: ${sig}: stopping everything it started`);
    killLeftovers();
    cleanupTmp();
    process.exit(130);
  });
}

/** A supervisor (hotinit or ours) whose stderr JSON lines become events. */
function startSupervisor(file, args, env) {
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env, cwd: ROOT });
  children.add(child);
  const events = [];
  const runApps = new Set(); // this supervisor's generations
  const waiters = new Set();
  const other = [];
  let rest = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    rest += chunk;
    let nl;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      let record;
      try {
        record = JSON.parse(line);
      } catch {
        if (line.trim()) other.push(line);
        continue;
      }
      record.receivedAt = now();
      events.push(record);
      if (record.event === 'spawn' && record.pid) {
        const st = startTime(record.pid);
        if (st !== null) apps.set(record.pid, st);
        runApps.add(record.pid);
      }
      for (const w of [...waiters]) w();
    }
  });
  const exited = new Promise((resolve) => child.on('close', (code, signal) => {
    for (const w of [...waiters]) w();
    resolve({ code, signal });
  }));
  let done = false;
  exited.then(() => (done = true));
  /** Resolves with the first event at index ≥ from matching pred. */
  const waitFor = (pred, from, ms, what) =>
    new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < events.length; i++) {
          if (pred(events[i])) {
            cleanup();
            return resolve({ event: events[i], index: i });
          }
        }
        if (done) {
          cleanup();
          reject(new Error(`supervisor exited while waiting for ${what}; stderr: ${other.slice(-5).join(' | ')}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { child, events, other, exited, waitFor, runApps };
}

function startLoad(port, keepalive, rate, connections, out) {
  const child = fork(LOADGEN, ['--port', String(port), '--connections', String(connections), '--rate', String(rate),
    '--keepalive', keepalive ? '1' : '0', '--timeout', '2000', '--max-ms', '200000', '--out', out], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const startedMsg = new Promise((resolve, reject) => {
    child.once('message', (m) => (m?.type === 'started' ? resolve(m) : reject(new Error('load generator: unexpected message'))));
    child.once('exit', (code) => reject(new Error(`load generator exited (${code}) before starting`)));
  });
  const doneMsg = new Promise((resolve, reject) => {
    child.on('message', (m) => m?.type === 'done' && resolve(m.summary));
    child.once('exit', (code) => reject(new Error(`load generator exited (${code}) without results`)));
  });
  doneMsg.catch(() => {});
  return { child, started: startedMsg, stop: () => (child.send({ type: 'stop' }), doneMsg) };
}

async function stopSupervisor(sup) {
  if (running(sup.child)) sup.child.kill('SIGTERM');
  const result = await Promise.race([sup.exited, sleep(10000).then(() => 'timeout')]);
  if (result === 'timeout') {
    sup.child.kill('SIGKILL');
    await sup.exited;
  }
  // Generations still alive after their supervisor: a bug somewhere; note and kill.
  const leftover = [];
  for (const pid of sup.runApps) {
    if (sameApp(pid)) {
      leftover.push(pid);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    apps.delete(pid);
  }
  return { result, leftover };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Does this Node's net.Server.listen take { reusePort } (v23.1 / v22.12)? */
async function reusePortWorks() {
  const listen = (port) =>
    new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen({ host: '127.0.0.1', port, reusePort: true }, () => resolve(s));
    });
  let a, b;
  try {
    a = await listen(0);
    b = await listen(a.address().port);
    return true;
  } catch {
    return false;
  } finally {
    a?.close();
    b?.close();
  }
}

// ---------------------------------------------------------------- statistics

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
const median = (values) => quantile(Float64Array.from(values).sort(), 0.5);
const p99 = (values) => quantile(Float64Array.from(values).sort(), 0.99);

function readRecords(file) {
  const buf = fs.readFileSync(file);
  return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

function analyse(records, windows, steadyFrom, steadyTo) {
  const F = 4; // fields per record, see bench/swap/load.mjs
  const n = records.length / F;
  const errors = { connect: 0, read: 0, write: 0, timeout: 0, non2xx: 0 };
  let errorsInWindows = 0;
  const steady = [];
  const during = [];
  const between = [];
  // Per swap window, and per steady-state slice as long as the median window:
  // the median of their p99s shows whether every swap hurts or a few stalls do.
  const perWindow = windows.map(() => []);
  const sliceMs = Math.max(20, median(windows.map(([a, b]) => b - a)) || 100);
  const perSlice = [];
  // windows are sorted and disjoint; records are nearly sorted by scheduled time
  const order = new Uint32Array(n).map((_, i) => i).sort((a, b) => records[F * a] - records[F * b]);
  let w = 0;
  for (const i of order) {
    const t = records[F * i];
    const latency = records[F * i + 1];
    const outcome = records[F * i + 2];
    while (w < windows.length && t > windows[w][1]) w++;
    const inWindow = w < windows.length && t >= windows[w][0];
    if (outcome !== 0) {
      errors[OUTCOMES[outcome]]++;
      if (inWindow) errorsInWindows++;
      continue;
    }
    if (inWindow) {
      during.push(latency);
      perWindow[w].push(latency);
    } else if (t >= steadyFrom && t < steadyTo) {
      steady.push(latency);
      const k = Math.floor((t - steadyFrom) / sliceMs);
      (perSlice[k] ??= []).push(latency);
    }
    else if (t >= steadyTo) between.push(latency);
  }
  const lat = (values) => {
    const s = Float64Array.from(values).sort();
    return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s.length ? s[s.length - 1] : NaN };
  };
  const total = Object.values(errors).reduce((a, b) => a + b, 0);
  const medianP99 = (groups) => median(groups.filter((g) => g && g.length >= 20).map((g) => quantile(Float64Array.from(g).sort(), 0.99)));
  return {
    requests: n, errors, errorTotal: total, errorsInWindows,
    steady: { ...lat(steady), medianSliceP99: medianP99(perSlice), sliceMs },
    during: { ...lat(during), medianWindowP99: medianP99(perWindow) },
    between: lat(between),
  };
}

function readAppLog(file) {
  const byPid = new Map();
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {}
  for (const line of text.split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line);
    const entry = byPid.get(r.pid) ?? {};
    if (r.event === 'ready') Object.assign(entry, { readyAt: r.time, startedAt: r.startedAt });
    if (r.event === 'sigterm' && entry.sigtermAt === undefined) Object.assign(entry, { sigtermAt: r.time, loopDelayMs: r.loopDelayMs });
    byPid.set(r.pid, entry);
  }
  return byPid;
}

// ---------------------------------------------------------------- one run

async function runVariant(variant, load, o) {
  const keepalive = load === 'keepalive';
  const rate = keepalive ? o.rateKeepalive : o.rateNewconn;
  const appLog = path.join(tmp, `${variant}-${load}-app.jsonl`);
  const out = path.join(tmp, `${variant}-${load}-load.bin`);
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, BENCH_APP_LOG: appLog };
  delete env.NODE_OPTIONS;
  let sup;
  if (variant === 'hotinit') {
    env.HOTINIT_NODE = process.execPath;
    // --min-ready 0: the default 200 ms confirmation window (both generations
    // serve while the new one proves it does not crash right after READY) is a
    // deliberate wait, not overhead; the baselines have no such window either.
    sup = startSupervisor(HOTINIT, ['--control', 'off', '--min-ready', '0', '--listen', 'tcp://127.0.0.1:0', '--ready', 'fd', '--', process.execPath, APP], env);
  } else {
    const port = await freePort();
    sup = startSupervisor(process.execPath, [SUPERVISOR, '--mode', variant, '--port', String(port), '--', process.execPath, APP], env);
  }
  const loadAvgBefore = os.loadavg()[0];
  let loadgen = null;
  const swaps = [];
  let stopInfo = null;
  try {
    const addr = await sup.waitFor((e) => e.event === 'start' && typeof e.address === 'string', 0, 10000, 'the start line with the address');
    const port = Number(/:(\d+)$/.exec(addr.event.address)[1]);
    const first = await sup.waitFor((e) => e.event === 'ready', 0, 10000, 'the first generation to be ready');
    let servingGen = first.event.gen;

    loadgen = startLoad(port, keepalive, rate, o.connections, out);
    const { t0 } = await loadgen.started;
    await sleep(o.warmupMs + o.steadyMs);
    const steadyFrom = t0 + o.warmupMs;

    for (let i = 0; i < o.swaps; i++) {
      const from = sup.events.length;
      const tSignal = now();
      process.kill(sup.child.pid, 'SIGUSR2');
      const s = { i: i + 1, tSignal, oldGen: servingGen };
      try {
        const end = await sup.waitFor((e) => e.event === 'swap.done' || e.event === 'swap.failed', from, o.swapTimeoutMs, `swap ${i + 1} to finish`);
        if (end.event.event === 'swap.failed') {
          s.ok = false;
          s.reason = end.event.reason;
        } else {
          s.ok = true;
          s.newGen = end.event.gen;
          s.done = end.event.time;
          const drained = await sup.waitFor((e) => e.event === 'drain' && e.msg === 'drained' && e.gen === s.oldGen, from, o.swapTimeoutMs, `generation ${s.oldGen} to be drained`);
          s.drained = drained.event.time;
          s.oldPid = drained.event.pid;
          const find = (pred) => sup.events.slice(from).find(pred);
          s.begin = find((e) => e.event === 'swap.begin' && e.msg === undefined)?.time;
          const spawnEv = find((e) => e.event === 'spawn' && e.gen === s.newGen);
          s.spawn = spawnEv?.time;
          s.newPid = spawnEv?.pid;
          s.ready = find((e) => e.event === 'ready' && e.gen === s.newGen)?.time;
          s.drainSignal = find((e) => e.event === 'drain' && e.gen === s.oldGen && e.signal)?.time;
          s.drainTimeout = Boolean(find((e) => e.event === 'drain' && e.gen === s.oldGen && /timeout/.test(e.msg ?? '')));
          servingGen = s.newGen;
        }
      } catch (error) {
        s.ok = false;
        s.reason = error.message;
      }
      s.windowEnd = Math.max(...[s.drained, s.ready, s.done].filter((x) => x !== undefined), tSignal) + 1;
      swaps.push(s);
      if (!s.ok && /timed out|exited/.test(s.reason)) break;
      await sleep(o.gapMs);
    }
    await sleep(o.tailMs);
    const summary = await loadgen.stop();
    loadgen = null;
    stopInfo = await stopSupervisor(sup);

    const appTimes = readAppLog(appLog);
    for (const s of swaps) {
      if (!s.ok) continue;
      const nw = appTimes.get(s.newPid);
      const old = appTimes.get(s.oldPid);
      s.totalMs = s.windowEnd - 1 - s.tSignal;
      s.startupMs = s.ready - s.spawn;
      if (variant !== 'naive') s.overheadMs = s.drainSignal - s.begin - s.startupMs;
      if (nw?.readyAt && old?.sigtermAt) {
        s.appStartupMs = nw.readyAt - nw.startedAt;
        if (variant !== 'naive') s.appOverheadMs = old.sigtermAt - s.tSignal - s.appStartupMs;
        // Where the time goes (log times are whole ms, app times sub-ms).
        s.steps = {
          signalToBegin: s.begin - s.tSignal,
          beginToSpawn: s.spawn - s.begin,
          spawnToProcessStart: nw.startedAt - s.spawn,
          appStartup: s.appStartupMs,
          readyWriteToReadyLog: s.ready - nw.readyAt,
          readyLogToDrainLog: s.drainSignal - s.ready,
          drainLogToSigterm: old.sigtermAt - s.drainSignal,
          sigtermToDrained: s.drained - old.sigtermAt,
        };
      }
      // naive: the time nobody listens = old gone → new ready
      if (variant === 'naive') s.outageMs = s.ready - s.drained;
    }
    const appLoop = [...appTimes.values()].map((a) => a.loopDelayMs).filter(Boolean);
    const appLoopDelay = appLoop.length ? { p99: Math.max(...appLoop.map((x) => x.p99)), max: Math.max(...appLoop.map((x) => x.max)) } : null;
    const windows = swaps.map((s) => [s.tSignal, s.windowEnd]);
    if (o.keep) fs.writeFileSync(path.join(tmp, `${variant}-${load}-supervisor.json`), JSON.stringify({ swaps, events: sup.events, steadyFrom }));
    const records = readRecords(out);
    const firstSignal = swaps.length ? swaps[0].tSignal : Infinity;
    const stats = analyse(records, windows, steadyFrom, firstSignal);
    return { variant, load, rate, keepalive, swaps, stats, appLoopDelay, loadSummary: summary, stop: stopInfo, loadAvg: [loadAvgBefore, os.loadavg()[0]], otherStderr: sup.other.slice(0, 20), events: sup.events };
  } finally {
    if (loadgen) {
      loadgen.child.kill('SIGKILL');
    }
    if (!stopInfo) await stopSupervisor(sup);
  }
}

// ---------------------------------------------------------------- report

const fmt = (x, d = 1) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
const ms = (x) => (x === undefined || Number.isNaN(x) ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const int = (x) => x.toLocaleString('en-US');
const swapVals = (r, key) => r.swaps.filter((s) => s.ok && typeof s[key] === 'number' && !Number.isNaN(s[key])).map((s) => s[key]);

function tables(results) {
  const lines = [];
  lines.push('| load | variant | swaps ok | requests | errors | connect / read / write / timeout / non-2xx | steady p50 / p99 (ms) | during swaps p50 / p99 (ms) | median p99: per swap / per steady slice (ms) | swap-window requests |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    if (r.skipped) {
      lines.push(`| ${r.load} | ${r.variant} | skipped: ${r.skipped} | | | | | | | |`);
      continue;
    }
    const e = r.stats.errors;
    lines.push(`| ${r.load} ${int(r.rate)}/s | ${r.variant} | ${r.swaps.filter((s) => s.ok).length}/${r.swaps.length} | ${int(r.stats.requests)} | **${int(r.stats.errorTotal)}** | ${e.connect} / ${e.read} / ${e.write} / ${e.timeout} / ${e.non2xx} | ${ms(r.stats.steady.p50)} / ${ms(r.stats.steady.p99)} | ${ms(r.stats.during.p50)} / ${ms(r.stats.during.p99)} | ${ms(r.stats.during.medianWindowP99)} / ${ms(r.stats.steady.medianSliceP99)} | ${int(r.stats.during.n)} |`);
  }
  lines.push('');
  lines.push('| load | variant | swap: signal → old gone and new ready, median / p99 | new generation start-up (spawn → ready), median | own overhead (logs), median / p99 | own overhead (app clocks), median / p99 | no listener (old gone → new ready), median |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of results) {
    if (r.skipped) continue;
    const t = swapVals(r, 'totalMs');
    const ov = swapVals(r, 'overheadMs');
    const ova = swapVals(r, 'appOverheadMs');
    const out = swapVals(r, 'outageMs');
    lines.push(`| ${r.load} | ${r.variant} | ${ms(median(t))} / ${ms(p99(t))} | ${ms(median(swapVals(r, 'startupMs')))} | ${ov.length ? `${ms(median(ov))} / ${ms(p99(ov))}` : '—'} | ${ova.length ? `${ms(median(ova))} / ${ms(p99(ova))}` : '—'} | ${out.length ? ms(median(out)) : '—'} |`);
  }
  const withSteps = results.filter((r) => !r.skipped && r.variant !== 'naive' && r.swaps.some((s) => s.steps));
  if (withSteps.length) {
    const names = Object.keys(withSteps[0].swaps.find((s) => s.steps).steps);
    lines.push('');
    lines.push('Where a swap\'s time goes, median ms (log lines have 1 ms resolution, app clocks sub-ms):');
    lines.push('');
    lines.push(`| load | variant | ${names.join(' | ')} |`);
    lines.push(`|---|---|${names.map(() => '---').join('|')}|`);
    for (const r of withSteps) {
      const steps = r.swaps.filter((s) => s.steps).map((s) => s.steps);
      lines.push(`| ${r.load} | ${r.variant} | ${names.map((n) => ms(median(steps.map((x) => x[n])))).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

function targets(results, o) {
  const lines = [];
  for (const r of results.filter((x) => x.variant === 'hotinit' && !x.skipped)) {
    const ok = r.swaps.filter((s) => s.ok).length;
    const enough = ok >= 50;
    const zero = r.stats.errorTotal === 0;
    const ov = swapVals(r, 'overheadMs');
    const ovMed = median(ov);
    const ovP99 = p99(ov);
    const ratio = r.stats.during.p99 / r.stats.steady.p99;
    const verdict = (b) => (b ? 'met' : 'NOT met');
    lines.push(`hotinit, ${r.load}:`);
    lines.push(`  0 errors over ≥ 50 swaps: ${zero && enough ? 'met' : !zero ? 'NOT met' : 'not assessed'} (${int(r.stats.errorTotal)} errors, ${ok} successful swaps${enough ? '' : `; fewer than 50${o.quick ? ' (--quick)' : ''}`}${r.swaps.length > ok ? `; ${r.swaps.length - ok} failed` : ''})`);
    lines.push(`  own overhead ≤ 5 ms: median ${ms(ovMed)} ms → ${verdict(ovMed <= 5)}; p99 ${ms(ovP99)} ms → ${verdict(ovP99 <= 5)} (from the logs, 1 ms resolution)`);
    lines.push(`  p99 during swaps ≤ 2× steady: ${ms(r.stats.during.p99)} vs ${ms(r.stats.steady.p99)} ms (${fmt(ratio, 2)}×) → ${verdict(ratio <= 2)}`);
    const robust = r.stats.during.medianWindowP99 / r.stats.steady.medianSliceP99;
    lines.push(`    (typical swap: median of each swap's p99 ${ms(r.stats.during.medianWindowP99)} ms vs median p99 of ${Math.round(r.stats.steady.sliceMs)} ms steady slices ${ms(r.stats.steady.medianSliceP99)} ms: ${fmt(robust, 2)}×)`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  keepTmp = Boolean(o.keep);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'hotinit.cjs')) || !fs.existsSync(path.join(ROOT, 'dist', 'app', 'index.js')))
    throw new Error('dist/ is missing: run npm run build first');
  const reuse = await reusePortWorks();
  const t0 = now();
  console.log(`# bench:swap — ${new Date().toISOString()}`);
  let rev = '?';
  try {
    rev = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {}
  const built = fs.statSync(path.join(ROOT, 'dist', 'swapper.js')).mtime.toISOString();
  console.log(`hotinit at ${rev} (+ uncommitted work), dist/ built ${built}`);
  console.log(`Node ${process.version}, ${os.cpus().length} CPUs, kernel ${os.release()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`${o.swaps} swaps per variant and load, ${o.connections} connection slots, open loop (keep-alive ${int(o.rateKeepalive)}/s, new connection ${int(o.rateNewconn)}/s), steady state: ${o.steadyMs / 1000} s after a ${o.warmupMs / 1000} s warm-up, pause between swaps ${o.gapMs} ms.`);
  if (!reuse) console.log(`SO_REUSEPORT: this Node's listen() does not take { reusePort } (needs 23.1 / 22.12): variant skipped.`);
  console.log('');

  const results = [];
  for (const load of o.loads) {
    for (const variant of o.variants) {
      if (variant === 'reuseport' && !reuse) {
        results.push({ variant, load, skipped: 'no listen({ reusePort }) in this Node' });
        continue;
      }
      process.stderr.write(`  ${load} / ${variant} ... `);
      const t = now();
      const r = await runVariant(variant, load, o);
      results.push(r);
      process.stderr.write(`${((now() - t) / 1000).toFixed(1)} s, ${int(r.stats.requests)} requests, ${int(r.stats.errorTotal)} errors, load avg ${r.loadAvg.map((x) => x.toFixed(1)).join('→')}\n`);
    }
  }
  console.log(tables(results));
  console.log('');
  console.log('Errors: connect (refused/reset before connected), read (reset or EOF before the whole response), write (EPIPE), timeout (2 s from the scheduled time), non-2xx.');
  console.log('During swaps: requests scheduled from the swap signal until the old generation has exited and the new one is ready. Steady: after the warm-up, before the first swap. Latency: successful requests only; a request that found every connection busy counts from its scheduled time. Median p99: each swap window\'s own p99, and each steady-state slice\'s (slices as long as the median swap window), medians over them: what a typical swap does, less sensitive to one stall of the machine.');
  console.log('Own overhead: (swap.begin → drain signal to the old generation) − (spawn → ready of the new one), from the supervisor\'s log lines. App clocks: (old app\'s SIGTERM handler − USR2 sent) − (new app\'s READY write − its process start); also counts USR2 delivery, fork/exec and the READY pipe.');
  console.log('');
  console.log(targets(results, o));

  // Things worth a second look.
  const notes = [];
  for (const r of results.filter((x) => !x.skipped)) {
    const failed = r.swaps.filter((s) => !s.ok);
    if (failed.length) notes.push(`${r.load}/${r.variant}: ${failed.length} swap(s) failed: ${[...new Set(failed.map((s) => s.reason))].slice(0, 3).join('; ')}`);
    const killed = r.swaps.filter((s) => s.drainTimeout).length;
    if (killed) notes.push(`${r.load}/${r.variant}: ${killed} old generation(s) killed at the drain timeout`);
    const outside = r.stats.errorTotal - r.stats.errorsInWindows;
    if (outside) notes.push(`${r.load}/${r.variant}: ${outside} error(s) on requests scheduled outside a swap window (queued before a swap signal, or not swap-related)`);
    if (r.stop?.leftover?.length) notes.push(`${r.load}/${r.variant}: generation(s) still alive after the supervisor exited: ${r.stop.leftover.join(', ')}`);
    if (r.stop?.result === 'timeout') notes.push(`${r.load}/${r.variant}: the supervisor did not exit within 10 s of SIGTERM`);
    else if (r.stop && (r.stop.result.code !== 0 || r.stop.result.signal)) notes.push(`${r.load}/${r.variant}: the supervisor exited with ${JSON.stringify(r.stop.result)} after SIGTERM`);
    if (r.otherStderr.length) notes.push(`${r.load}/${r.variant}: non-JSON stderr: ${r.otherStderr.slice(0, 3).join(' | ')}`);
    const ld = r.loadSummary.loopDelayMs;
    if (ld) notes.push(`${r.load}/${r.variant}: event-loop delay: load generator p99 ${ms(ld.p99)} / max ${ms(ld.max)} ms; apps (worst generation) p99 ${ms(r.appLoopDelay?.p99)} / max ${ms(r.appLoopDelay?.max)} ms`);
    if (r.loadSummary.slowConnects) notes.push(`${r.load}/${r.variant}: ${r.loadSummary.slowConnects} connect(s) took ≥ 900 ms (a dropped SYN is retried after 1 s)`);
    const codes = Object.entries(r.loadSummary.errorCodes);
    if (codes.length) notes.push(`${r.load}/${r.variant}: error kinds ${codes.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
  if (notes.length) {
    console.log('\nNotes:');
    for (const n of notes) console.log(`- ${n}`);
  }
  console.log(`\nWall time ${((now() - t0) / 1000).toFixed(0)} s; load average now ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (other work on this machine skews latency).`);

  if (o.keep) console.log(`Raw records kept in ${tmp}`);
  if (o.json) {
    const slim = results.map((r) => (r.skipped ? r : { ...r, events: undefined }));
    fs.writeFileSync(o.json, JSON.stringify({ options: o, node: process.version, results: slim }, null, 2));
    console.log(`Raw figures: ${o.json}`);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`bench/swap.mjs: ${error.stack ?? error}`);
    killLeftovers();
    cleanupTmp();
    process.exit(1);
  },
);
