#!/usr/bin/env node
// npm run bench:init — hotinit side by side with tini and dumb-init, each as
// PID 1 of a fresh PID namespace (unshare --pid --fork --mount-proc).
//
// Not a test: it measures and prints a Markdown table, it does not assert.
// Needs root (unshare), gcc (the timing helper, bench/lib/helper.c, is
// compiled into a temporary directory at run time) and Debian's tini and
// dumb-init, which it installs with apt-get when they are missing.
//
//   node bench/init.mjs [--quick] [--json FILE] [--signal SIG] [--orphans N]
//                       [--runs N] [--samples N] [--reps N]
//
// What is measured, for each init:
//   startup    CLOCK_MONOTONIC just before execve(init) (a wrapper that stamps,
//              then execs the init as PID 1) → first instruction of the child's
//              main() (a static C program that stamps). Median and p90.
//   idle RSS   VmRSS / RssAnon / RssFile / Threads from /proc/<init>/status,
//              1 s after the child reported that it runs.
//   signals    a C sender stamps, kill(init, SIG), the child's handler stamps
//              and writes its stamp back on a FIFO; the next signal only
//              after that answer (no coalescing), 1-3 ms apart.
//   reaping    burst: N double-forked orphans blocked on one pipe, released
//              at once; sequential: N double forks one after another, each
//              orphan exiting as soon as its parent is gone. Wall time from
//              the start of the storm until no process but PID 1 and the
//              storm's driver is left in the namespace, zombies 1 s later,
//              and the init's CPU (utime+stime of /proc/1/stat, delta).
// Every process it starts is an `unshare --kill-child` it tracks by pid:
// SIGKILLing it kills the init, and the kernel then kills the namespace.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuBusy, ensureDebianInits, gitDescribe, ROOT, run, sleep, version, which } from './lib/common.mjs';

const HELPER_SRC = path.join(ROOT, 'bench', 'lib', 'helper.c');
const NS = ['--pid', '--fork', '--mount-proc', '--kill-child'];

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = { quick: false, json: null, signal: 'HUP', orphans: null, runs: null, samples: null, reps: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const int = (name) => {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1) usage(`${name}: "${v}" is not a positive integer`);
      return Number(v);
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = value();
    else if (a === '--signal') o.signal = value().toUpperCase().replace(/^SIG/, '');
    else if (a === '--orphans') o.orphans = int(a);
    else if (a === '--runs') o.runs = int(a);
    else if (a === '--samples') o.samples = int(a);
    else if (a === '--reps') o.reps = int(a);
    else if (a === '-h' || a === '--help') usage(null);
    else usage(`unknown option ${a}`);
  }
  if (!(`SIG${o.signal}` in os.constants.signals) || ['USR1', 'USR2', 'KILL', 'STOP', 'CHLD', 'TERM', 'INT', 'QUIT'].includes(o.signal))
    usage(`--signal ${o.signal}: use a plain forwarded signal such as HUP or WINCH (USR1/USR2 are special in hotinit; TERM/INT/QUIT end it)`);
  o.runs ??= o.quick ? 8 : 40;
  o.samples ??= o.quick ? 50 : 300;
  o.orphans ??= o.quick ? 2000 : 10000;
  o.reps ??= o.quick ? 1 : 3;
  return o;
}

function usage(error) {
  const text = `usage: node bench/init.mjs [--quick] [--json FILE] [--signal SIG] [--orphans N]
                          [--runs N] [--samples N] [--reps N]
  --quick      smoke run: 8 startups, 50 signals, 2,000 orphans, 1 repetition
  --json FILE  also write every raw figure to FILE
  --signal SIG the signal whose forwarding is timed (default HUP)
  --runs N     startup runs per init (default 40)
  --samples N  forwarded signals per init (default 300; 20 more are warm-up)
  --orphans N  orphans per storm (default 10000)
  --reps N     storms of each kind per init; the median is shown (default 3)`;
  if (error) {
    console.error(`bench/init.mjs: ${error}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

// ---------------------------------------------------------------- processes

const running = new Map(); // pid → ChildProcess, everything still alive that we started

function killAll() {
  for (const [pid] of running) {
    try {
      process.kill(pid, 'SIGKILL'); // an unshare --kill-child: the init and its namespace follow
    } catch {}
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nbench/init.mjs: ${sig}: stopping everything it started`);
    killAll();
    cleanupTmp();
    process.exit(130);
  });
}

/** Spawns and tracks; resolves `exited` with { code, signal } once reaped. */
function start(file, args, { stderrLimit = 64 * 1024 } = {}) {
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    if (stderr.length < stderrLimit) stderr += d;
  });
  const exited = new Promise((resolve) => {
    child.on('error', (error) => {
      running.delete(child.pid);
      resolve({ code: null, signal: null, error });
    });
    child.on('close', (code, signal) => {
      running.delete(child.pid);
      resolve({ code, signal });
    });
  });
  if (child.pid) running.set(child.pid, child);
  return { child, exited, stderr: () => stderr };
}

/** Waits for `exited`, SIGKILLing the process after `ms`. */
async function finish(session, ms) {
  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const r = await Promise.race([session.exited, timedOut]);
  clearTimeout(timer);
  if (r !== 'timeout') return { ...r, timedOut: false };
  try {
    process.kill(session.child.pid, 'SIGKILL');
  } catch {}
  return { ...(await session.exited), timedOut: true };
}


function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]), starttime: rest[19] };
  } catch {
    return null;
  }
}

function childrenOf(ppid) {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(name);
    if (st && st.ppid === ppid) out.push(Number(name));
  }
  return out;
}

/** The init: the only child of our `unshare --fork`, once it has forked. */
async function initPidOf(unsharePid, ms = 5000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const kids = childrenOf(unsharePid);
    if (kids.length === 1) return kids[0];
    await sleep(2);
  }
  throw new Error(`unshare ${unsharePid} did not fork an init within ${ms} ms`);
}

async function waitForFile(file, re, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const m = re.exec(fs.readFileSync(file, 'utf8'));
      if (m) return m;
    } catch {}
    await sleep(5);
  }
  return null;
}

function statusOf(pid) {
  const out = {};
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(VmRSS|RssAnon|RssFile|VmHWM|Threads):\s+(\d+)/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

// ---------------------------------------------------------------- stats

function quantile(values, q) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}
const median = (v) => quantile(v, 0.5);

// ---------------------------------------------------------------- setup

let TMP = null;
function cleanupTmp() {
  if (TMP) {
    try {
      fs.rmSync(TMP, { recursive: true, force: true });
    } catch {}
    TMP = null;
  }
}

/** The node the launcher will exec: HOTINIT_NODE, else node beside the launcher, else PATH. */
function hotinitNode(launcher) {
  if (process.env.HOTINIT_NODE) return process.env.HOTINIT_NODE;
  const beside = path.join(path.dirname(fs.realpathSync(launcher)), 'node');
  if (fs.existsSync(beside)) return beside;
  return which('node');
}

function compileHelper() {
  const out = path.join(TMP, 'helper');
  const flags = ['-O2', '-Wall', '-o', out, HELPER_SRC];
  let r = run('gcc', ['-static', ...flags]);
  if (r.status !== 0) r = run('gcc', flags); // no static libc: a dynamic helper is a bit slower to start
  if (r.status !== 0) throw new Error(`gcc failed:\n${r.stderr}`);
  return out;
}

// ---------------------------------------------------------------- measurements

async function measureStartup(inits, helper, runs) {
  const result = Object.fromEntries(inits.map((i) => [i.name, { ms: [], failures: 0 }]));
  const warmup = 2;
  for (let round = 0; round < runs + warmup; round++) {
    // Rotate the order so no init always runs right after the same one.
    const order = inits.map((_, k) => inits[(k + round) % inits.length]);
    for (const init of order) {
      const file = path.join(TMP, `startup-${init.name}-${round}`);
      const r = run('unshare', [...NS, helper, 'stamp-exec', file, ...init.argv, helper, 'stamp', file], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 15_000,
      });
      let text = '';
      try {
        text = fs.readFileSync(file, 'utf8');
        fs.rmSync(file);
      } catch {}
      const e = /exec (\d+)/.exec(text);
      const c = /child (\d+)/.exec(text);
      if (r.status !== 0 || !e || !c) {
        result[init.name].failures++;
        if (result[init.name].failures === 1)
          console.error(`startup ${init.name}: failed (status ${r.status}, signal ${r.signal}): ${(r.stderr ?? '').slice(-400)}`);
        continue;
      }
      if (round >= warmup) result[init.name].ms.push(Number(BigInt(c[1]) - BigInt(e[1])) / 1e6);
    }
  }
  for (const r of Object.values(result)) {
    r.median = median(r.ms);
    r.p90 = quantile(r.ms, 0.9);
  }
  return result;
}

async function measureIdle(init, helper) {
  const file = path.join(TMP, `idle-${init.name}`);
  const s = start('unshare', [...NS, ...init.argv, helper, 'idle', file]);
  try {
    const initPid = await initPidOf(s.child.pid);
    if (!(await waitForFile(file, /ready (\d+)/, 10_000))) throw new Error(`child never ran: ${s.stderr().slice(-400)}`);
    const atReady = statusOf(initPid);
    await sleep(1000);
    const idle = statusOf(initPid);
    // Extra: how long a TERM to the init takes to end it all (forward, child dies, init exits).
    const t0 = process.hrtime.bigint();
    process.kill(initPid, 'SIGTERM');
    const end = await finish(s, 15_000);
    const stopMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return { atReady, idle, stopMs: end.timedOut ? NaN : stopMs, stopTimedOut: end.timedOut, exit: end.code };
  } finally {
    if (running.has(s.child.pid)) await finish(s, 0);
  }
}

async function measureSignals(init, helper, samples, signal) {
  const warmup = 20;
  const fifo = path.join(TMP, `fifo-${init.name}`);
  const out = path.join(TMP, `lat-${init.name}`);
  const mk = run('mkfifo', [fifo]);
  if (mk.status !== 0) throw new Error(`mkfifo: ${mk.stderr}`);
  const signo = os.constants.signals[`SIG${signal}`];
  const s = start('unshare', [...NS, ...init.argv, helper, 'sigchild', fifo, String(signo)]);
  let sender = null;
  try {
    const initPid = await initPidOf(s.child.pid);
    sender = start(helper, ['sender', String(initPid), String(signo), String(samples + warmup), fifo, out]);
    const r = await finish(sender, 60_000 + samples * 20);
    const lines = fs.existsSync(out) ? fs.readFileSync(out, 'utf8').trim().split('\n').filter(Boolean) : [];
    const lost = lines.filter((l) => l === 'lost').length;
    const us = lines.filter((l) => /^-?\d+$/.test(l)).map((l) => Number(l) / 1000).slice(warmup);
    process.kill(initPid, 'SIGTERM');
    await finish(s, 15_000);
    return {
      samples: us.length,
      lost,
      senderTimedOut: r.timedOut,
      p50: median(us),
      p99: quantile(us, 0.99),
      mean: us.reduce((a, b) => a + b, 0) / us.length,
      max: Math.max(...us),
    };
  } finally {
    if (sender && running.has(sender.child.pid)) await finish(sender, 0);
    if (running.has(s.child.pid)) await finish(s, 0);
  }
}

async function measureStorm(init, helper, mode, orphans, timeoutS) {
  const out = path.join(TMP, `storm-${mode}-${init.name}-${Math.random().toString(36).slice(2)}`);
  const s = start('unshare', [...NS, ...init.argv, helper, 'storm', mode, String(orphans), out, String(timeoutS)]);
  // Setup (forking N double forks) takes ~0.2 ms each here; the storm itself is
  // bounded by the helper's own timeout; then 1 s of watching zombies.
  const end = await finish(s, 60_000 + orphans * 2 + timeoutS * 1000);
  const r = {};
  try {
    for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
      const m = /^(\w+)=(.*)$/.exec(line);
      if (m) r[m[1]] = m[1] === 'mode' ? m[2] : Number(m[2]);
    }
  } catch {}
  if (end.timedOut || r.wall_ms === undefined) return { timeout: true, killed: end.timedOut, stderr: s.stderr().slice(-400) };
  return {
    timeout: r.timeout === 1,
    created: r.created,
    wallMs: r.wall_ms,
    tailMs: r.tail_ms,
    loopMs: r.loop_ms,
    setupMs: r.setup_ms,
    leftAtEnd: r.left_at_end,
    zombies1s: r.zombies_after_1s,
    others1s: r.others_after_1s,
    cpuMs: r.cpu_ticks >= 0 ? (r.cpu_ticks * 1000) / r.clk_tck : NaN,
    cpuSchedMs: r.cpu_sched_ms,
  };
}

// ---------------------------------------------------------------- report

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const mib = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : 'n/a');

function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  return `${(a / b).toFixed(2)}×`;
}

function stormCell(st, key, f) {
  if (!st) return 'n/a';
  if (st.timeout) return key === 'zombies1s' && Number.isFinite(st.zombies1s) ? `${st.zombies1s}` : 'timeout';
  return f(st[key]);
}

/** Median of each numeric field over the repetitions; any timeout wins. */
function combineStorms(reps) {
  if (!reps || reps.length === 0) return null;
  const t = reps.find((r) => r.timeout);
  if (t) return t;
  const out = { reps: reps.length };
  for (const k of Object.keys(reps[0])) {
    if (typeof reps[0][k] === 'number') out[k] = k === 'zombies1s' || k === 'others1s' ? Math.max(...reps.map((r) => r[k])) : median(reps.map((r) => r[k]));
    else out[k] = reps[0][k];
  }
  return out;
}

// ---------------------------------------------------------------- main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const began = Date.now();
  if (process.platform !== 'linux') throw new Error('Linux only (PID namespaces)');
  if (process.getuid?.() !== 0) throw new Error('needs root: unshare --pid creates namespaces');
  for (const tool of ['unshare', 'gcc', 'mkfifo']) if (!which(tool)) throw new Error(`${tool} not found on PATH`);

  const launcher = path.join(ROOT, 'bin', 'hotinit');
  if (!fs.existsSync(launcher)) throw new Error(`${launcher} missing: build the addon and launcher with npm rebuild (node-gyp)`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'hotinit.cjs'))) {
    console.error('bench/init.mjs: dist/ missing: running npm run build');
    const b = run('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  ensureDebianInits('bench/init.mjs', ['tini', 'dumb-init']);

  TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'hotinit-bench-'));
  const helper = compileHelper();

  const node = hotinitNode(launcher);
  const nodeVersion = node ? version(node, ['--version']) : 'none found';
  const inits = [
    { name: 'hotinit', argv: [launcher, '--'], version: version(launcher, ['--version']) },
    { name: 'tini', argv: ['/usr/bin/tini', '--'], version: version('/usr/bin/tini', ['--version']) },
    { name: 'dumb-init', argv: ['/usr/bin/dumb-init'], version: version('/usr/bin/dumb-init', ['--version']) },
  ].filter((i) => fs.existsSync(i.argv[0]));
  const names = ['hotinit', 'tini', 'dumb-init'];

  console.log(`# hotinit init benchmark${o.quick ? ' (--quick)' : ''}`);
  console.log('');
  console.log(`- Node for hotinit: ${nodeVersion} (${node}); harness Node ${process.version}`);
  console.log(`- ${inits.map((i) => `${i.name} ${i.version}`).join('; ')}`);
  console.log(`- hotinit source: ${gitDescribe()}`);
  // Not the load average: our own storms (10k runnable processes) inflate it for minutes.
  const busyAtStart = await cpuBusy(1000);
  console.log(`- ${os.cpus().length} CPUs, kernel ${os.release()}, ${new Date().toISOString()}; CPU busy ${fmt(busyAtStart, 0)}% in the second before the bench`);
  console.log(`- each init is PID 1 of a fresh PID namespace: unshare ${NS.join(' ')} <init> <child>`);
  console.log(`- startup ${o.runs} runs (+2 warm-up); signal SIG${o.signal} × ${o.samples} (+20 warm-up); ` +
    `${fmtInt(o.orphans)} orphans × ${o.reps} rep(s) per storm kind (median shown; zombies: worst)`);
  console.log('');

  const data = { options: o, node: nodeVersion, inits: inits.map(({ name, version: v }) => ({ name, version: v })) };

  process.stderr.write('startup… ');
  data.startup = await measureStartup(inits, helper, o.runs);
  process.stderr.write('idle RSS… ');
  data.idle = {};
  for (const i of inits) data.idle[i.name] = await measureIdle(i, helper);
  process.stderr.write('signals… ');
  data.signals = {};
  for (const i of inits) data.signals[i.name] = await measureSignals(i, helper, o.samples, o.signal);

  // The first storm after boot is slow (the kernel grows its task caches):
  // one untimed burst first, then the inits take turns.
  process.stderr.write('storms (warm-up)… ');
  if (inits.length) await measureStorm(inits.find((i) => i.name === 'tini') ?? inits[0], helper, 'burst', o.orphans, 30);
  data.storms = { burst: {}, seq: {} };
  for (let rep = 0; rep < o.reps; rep++) {
    process.stderr.write(`storms ${rep + 1}/${o.reps}… `);
    const order = inits.map((_, k) => inits[(k + rep) % inits.length]);
    for (const mode of ['burst', 'seq'])
      for (const i of order) (data.storms[mode][i.name] ??= []).push(await measureStorm(i, helper, mode, o.orphans, 30));
  }
  process.stderr.write('done\n');

  // ------------------------------------------------------------ table
  const get = (f) => names.map((n) => (inits.some((i) => i.name === n) ? f(n) : 'n/a'));
  const rows = [];
  const row = (metric, f, r) => {
    const cells = get(f);
    rows.push(`| ${metric} | ${cells.join(' | ')} | ${r ?? ''} |`);
  };
  const su = data.startup;
  const idle = (n, k) => data.idle[n]?.idle?.[k];
  const sig = data.signals;
  const burst = Object.fromEntries(names.map((n) => [n, combineStorms(data.storms.burst[n])]));
  const seq = Object.fromEntries(names.map((n) => [n, combineStorms(data.storms.seq[n])]));
  const r = (f) => ratio(f('hotinit'), f('tini'));

  row('startup exec(init)→exec(child), median (ms)', (n) => fmt(su[n].median, 2), r((n) => su[n]?.median));
  row('startup p90 (ms)', (n) => fmt(su[n].p90, 2), r((n) => su[n]?.p90));
  row('idle VmRSS (MiB)', (n) => mib(idle(n, 'VmRSS')), r((n) => idle(n, 'VmRSS')));
  row('idle RssAnon (MiB)', (n) => mib(idle(n, 'RssAnon')), r((n) => idle(n, 'RssAnon')));
  row('idle RssFile (MiB)', (n) => mib(idle(n, 'RssFile')), r((n) => idle(n, 'RssFile')));
  row('VmHWM, peak RSS so far (MiB)', (n) => mib(idle(n, 'VmHWM')), r((n) => idle(n, 'VmHWM')));
  row('threads', (n) => fmtInt(idle(n, 'Threads')), r((n) => idle(n, 'Threads')));
  row(`SIG${o.signal} forwarding kill→child handler, p50 (µs)`, (n) => fmt(sig[n].p50, 0), r((n) => sig[n]?.p50));
  row(`SIG${o.signal} forwarding p99 (µs)`, (n) => fmt(sig[n].p99, 0), r((n) => sig[n]?.p99));
  row(`signals lost (of ${o.samples + 20})`, (n) => `${sig[n].lost}`);
  const N = fmtInt(o.orphans);
  row(`reap ${N} orphans, burst: storm→0 left (ms)`, (n) => stormCell(burst[n], 'wallMs', (x) => fmtInt(x)), r((n) => burst[n]?.wallMs));
  row('burst: zombies left 1 s later', (n) => stormCell(burst[n], 'zombies1s', (x) => `${x}`));
  row('burst: init CPU utime+stime (ms)', (n) => stormCell(burst[n], 'cpuMs', (x) => fmtInt(x)), r((n) => burst[n]?.cpuMs));
  row(`reap ${N} orphans, sequential: first fork→0 left (ms)`, (n) => stormCell(seq[n], 'wallMs', (x) => fmtInt(x)), r((n) => seq[n]?.wallMs));
  row('sequential: last orphan out→0 left (ms)', (n) => stormCell(seq[n], 'tailMs', (x) => fmt(x, 2)));
  row('sequential: zombies left 1 s later', (n) => stormCell(seq[n], 'zombies1s', (x) => `${x}`));
  row('sequential: init CPU utime+stime (ms)', (n) => stormCell(seq[n], 'cpuMs', (x) => fmtInt(x)), r((n) => seq[n]?.cpuMs));
  row('SIGTERM to init → init gone (ms)', (n) => fmt(data.idle[n]?.stopMs, 1), r((n) => data.idle[n]?.stopMs));

  console.log('| metric | hotinit | tini | dumb-init | hotinit/tini |');
  console.log('|---|---:|---:|---:|---:|');
  for (const line of rows) console.log(line);
  console.log('');

  // ------------------------------------------------------------ targets
  const node24 = /^v24\./.test(nodeVersion);
  const met = (ok) => (ok === null ? 'n/a' : ok ? 'met' : '**not met**');
  const targets = [];
  const h = 'hotinit';
  if (inits.some((i) => i.name === h)) {
    targets.push([
      `startup median ≤ 30 ms (Node 24)${node24 ? '' : ` — measured on ${nodeVersion}`}`,
      `${fmt(su[h].median, 2)} ms`,
      met(Number.isFinite(su[h].median) ? su[h].median <= 30 : null),
    ]);
    targets.push(['forwarding p50 ≤ 150 µs', `${fmt(sig[h].p50, 0)} µs`, met(Number.isFinite(sig[h].p50) ? sig[h].p50 <= 150 && sig[h].lost === 0 : null)]);
    for (const [label, st] of [['burst', burst], ['sequential', seq]]) {
      const hh = st[h];
      const t = st.tini;
      const ok = hh && t && !hh.timeout && !t.timeout ? hh.wallMs <= 1.5 * t.wallMs && hh.zombies1s === 0 && hh.others1s === 0 : hh?.timeout ? false : null;
      targets.push([
        `reap ${N} orphans (${label}) ≤ 1.5× tini's wall time, 0 left`,
        hh?.timeout ? 'timeout' : `${fmtInt(hh?.wallMs)} ms vs tini ${fmtInt(t?.wallMs)} ms (${ratio(hh?.wallMs, t?.wallMs)}), ${hh?.zombies1s ?? 'n/a'} zombies`,
        met(ok),
      ]);
    }
    const anon = idle(h, 'RssAnon');
    targets.push(['idle RssAnon ≤ 12 MB (read as 12 MiB = 12,288 kB)', `${fmtInt(anon)} kB`, met(Number.isFinite(anon) ? anon <= 12 * 1024 : null)]);
  }
  console.log('| target (issue 2) | hotinit measured | |');
  console.log('|---|---:|---|');
  for (const [t, v, m] of targets) console.log(`| ${t} | ${v} | ${m} |`);
  console.log('');

  // ------------------------------------------------------------ notes
  const notes = [];
  for (const n of names) {
    if (su[n]?.failures) notes.push(`${n}: ${su[n].failures} startup run(s) failed`);
    if (sig[n]?.lost) notes.push(`${n}: ${sig[n].lost} SIG${o.signal} never reached the child within 1 s`);
    if (data.idle[n]?.stopTimedOut) notes.push(`${n}: did not exit within 15 s of SIGTERM (killed)`);
    for (const mode of ['burst', 'seq'])
      for (const [k, st] of (data.storms[mode][n] ?? []).entries()) {
        if (st.timeout) notes.push(`${n} ${mode} rep ${k + 1}: timeout${st.leftAtEnd !== undefined ? ` (${st.leftAtEnd} left at 30 s)` : ''}${st.stderr ? `: ${st.stderr}` : ''}`);
        else if (st.created !== o.orphans) notes.push(`${n} ${mode} rep ${k + 1}: only ${st.created} orphans could be created`);
      }
  }
  const perRep = (mode) =>
    names
      .filter((n) => data.storms[mode][n])
      .map((n) => `${n} ${data.storms[mode][n].map((s) => (s.timeout ? 'timeout' : `${fmtInt(s.wallMs)} ms/${fmtInt(s.cpuMs)} ms CPU`)).join(', ')}`)
      .join('; ');
  notes.push(`burst per rep (wall/init CPU): ${perRep('burst')}`);
  notes.push(`sequential per rep (wall/init CPU): ${perRep('seq')}`);
  notes.push(`init CPU from schedstat (ns-precise, all threads), burst / sequential: ${names
    .filter((n) => burst[n] && !burst[n].timeout)
    .map((n) => `${n} ${fmtInt(burst[n].cpuSchedMs)} / ${fmtInt(seq[n]?.cpuSchedMs)} ms`)
    .join('; ')}`);
  notes.push(`idle RSS right when the child reported running (MiB VmRSS/RssAnon): ${names
    .filter((n) => data.idle[n])
    .map((n) => `${n} ${mib(data.idle[n].atReady.VmRSS)}/${mib(data.idle[n].atReady.RssAnon)}`)
    .join('; ')}`);
  notes.push(`forwarding mean/max (µs): ${names.filter((n) => sig[n]).map((n) => `${n} ${fmt(sig[n].mean, 0)}/${fmt(sig[n].max, 0)}`).join('; ')}`);
  for (const n of notes) console.log(`- ${n}`);

  // ------------------------------------------------------------ leftovers
  await sleep(50);
  const leftovers = childrenOf(process.pid);
  if (running.size || leftovers.length) {
    console.log(`- cleanup: ${running.size} tracked / ${leftovers.length} child process(es) left: killing ${[...running.keys(), ...leftovers].join(' ')}`);
    killAll();
  } else console.log('- cleanup: every process started was reaped; no child left');
  const busyAtEnd = await cpuBusy(1000);
  console.log(`- CPU busy ${fmt(busyAtEnd, 0)}% in the second after the bench (other work on this machine)`);
  if (Math.max(busyAtStart, busyAtEnd) > 25)
    console.log('- **something else was using the CPUs: tails (p90/p99), storm wall times and CPU figures are noisy; run again on a quiet machine**');
  console.log(`- total bench time ${fmt((Date.now() - began) / 1000, 1)} s`);

  if (o.json) fs.writeFileSync(o.json, JSON.stringify(data, null, 2));
}

main()
  .catch((error) => {
    console.error(`bench/init.mjs: ${error.stack ?? error}`);
    process.exitCode = 1;
  })
  .finally(() => {
    killAll();
    cleanupTmp();
  });
