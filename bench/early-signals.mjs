#!/usr/bin/env node
// npm run bench:early-signals — a SIGTERM sent in an init's first 2 ms, with
// the init as PID 1 of a fresh PID namespace: hotinit side by side with tini,
// tini-static and dumb-init.
//
// Not a test: it measures and prints Markdown tables, it does not assert.
// Needs root (unshare(CLONE_NEWPID)), python3, and Debian's tini (with
// tini-static) and dumb-init, which it installs with apt-get when missing.
//
//   node bench/early-signals.mjs [--quick] [--runs N] [--timeout-ms MS] [--json FILE]
//
// Each run is one test/fixtures/exec-race.py run (read its docstring): fork,
// unshare a PID namespace, fork the init (PID 1 there) and exec it; EOF on a
// CLOEXEC pipe tells the harness that execve succeeded; it busy-waits a random
// 0–2,000 µs, reads whether the init holds TERM (its SigBlk, or the set it
// waits for in sigtimedwait), sends SIGTERM and waits for the init to exit.
// The init's command is `sleep 30`: a TERM that arrives ends it with 143.
// Lost: any other outcome, or no exit within --timeout-ms (then SIGKILL).
//
// Two modes, each init in both:
//   unpinned  the harness's busy-wait competes with the freshly exec'd init
//             for the CPUs, which delays the init's first instructions;
//   pinned    exec-race.py --pin: the harness on one CPU, the init (and all
//             it starts) on another.
// The kernel drops a default-disposition signal sent to a namespace's PID 1
// from outside unless the init blocks or handles it; until the init's first
// instruction has run (end of execve, dynamic loader) nothing can. So the
// figure that judges an init is "lost although blocked when sent".
// Reading the init's state delays each send by ~30-70 µs; the times shown
// are those of the kill itself (exec-race.py's sent_us).
// dumb-init (default setsid mode) also loses TERMs it did hold: it forwards
// them to the child's process group, which does not exist until the child
// has called setsid(), and the kill fails (its -v log says "Received signal
// 15", "Forwarded signal 15 to children", and the child lives on; with -c,
// no process group, those losses were gone).
// Runs go in chunks of 10, the inits taking turns, so drift in the machine's
// load spreads over all of them.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuBusy, ensureDebianInits, gitDescribe, ROOT, run, sleep, version, which } from './lib/common.mjs';

const HARNESS = path.join(ROOT, 'test', 'fixtures', 'exec-race.py');
const SIGTERM = 15;
const CHUNK = 10;

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = { quick: false, runs: null, timeoutMs: 1000, json: null };
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
    else if (a === '--runs') o.runs = int(a);
    else if (a === '--timeout-ms') o.timeoutMs = int(a);
    else if (a === '--json') o.json = value();
    else if (a === '-h' || a === '--help') usage(null);
    else usage(`unknown option ${a}`);
  }
  o.runs ??= o.quick ? 10 : 60;
  return o;
}

function usage(error) {
  const text = `usage: node bench/early-signals.mjs [--quick] [--runs N] [--timeout-ms MS] [--json FILE]
  --quick          smoke run: 10 runs per init and mode
  --runs N         runs per init and mode (default 60)
  --timeout-ms MS  a run whose init has not exited MS after the TERM is lost (default 1000;
                   hotinit exits ~60 ms after a TERM it holds, tini and dumb-init in ~2 ms)
  --json FILE      also write every run to FILE`;
  if (error) {
    console.error(`bench/early-signals.mjs: ${error}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

// ---------------------------------------------------------------- processes

const running = new Set(); // pids of the exec-race.py we started, each leading its own process group

function killAll() {
  for (const pid of running) {
    try {
      // The harness, its middle process and the init share the group; the
      // init is PID 1 of its namespace: killing it kills the namespace.
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nbench/early-signals.mjs: ${sig}: stopping everything it started`);
    killAll();
    process.exit(130);
  });
}

/** Runs exec-race.py; resolves with its JSON lines (one per run). */
function race(argv, runs, { pin, timeoutMs }) {
  const args = [HARNESS, '--runs', String(runs), '--signal', String(SIGTERM), '--min-us', '0', '--max-us', '2000',
    '--timeout-ms', String(timeoutMs), ...(pin ? ['--pin'] : []), '--', ...argv];
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    child.on('error', (e) => {
      running.delete(child.pid);
      reject(e);
    });
    child.on('close', (code, signal) => {
      running.delete(child.pid);
      if (code !== 0) return reject(new Error(`exec-race.py ${argv[0]} exited ${code ?? signal}: ${stderr.slice(-800)}`));
      resolve({ runs: stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), stderr });
    });
  });
}

// ---------------------------------------------------------------- setup

// ---------------------------------------------------------------- report

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');

/** lost: TERM did not end the init with 143 in time. */
const isLost = (r) => r.code !== 143 || r.timed_out;

function summarize(runs) {
  const lost = runs.filter(isLost);
  const unblocked = runs.filter((r) => r.blocked === false);
  const blocked = runs.filter((r) => r.blocked === true);
  return {
    runs: runs.length,
    lost: lost.length,
    lostUnblocked: lost.filter((r) => r.blocked === false).length,
    lostBlocked: lost.filter((r) => r.blocked === true).length,
    lostGone: lost.filter((r) => r.blocked === null).length, // the init was gone before the send: it failed
    unblocked: unblocked.length,
    unblockedKept: unblocked.filter((r) => !isLost(r)).length, // blocked between the read and the send
    latestLostUs: lost.length ? Math.max(...lost.map((r) => r.sent_us)) : NaN,
    earliestBlockedUs: blocked.length ? Math.min(...blocked.map((r) => r.sent_us)) : NaN,
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const began = Date.now();
  if (process.platform !== 'linux') throw new Error('Linux only (PID namespaces)');
  if (process.getuid?.() !== 0) throw new Error('needs root: unshare(CLONE_NEWPID)');
  if (!which('python3')) throw new Error('python3 not found on PATH');
  const launcher = path.join(ROOT, 'bin', 'hotinit');
  if (!fs.existsSync(launcher)) throw new Error(`${launcher} missing: build the addon and launcher with npm rebuild (node-gyp)`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) {
    console.error('bench/early-signals.mjs: dist/ missing: running npm run build');
    const b = run('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  ensureDebianInits('bench/early-signals.mjs', ['tini', 'tini-static', 'dumb-init']);

  const names = ['hotinit', 'tini', 'tini-static', 'dumb-init'];
  const inits = [
    { name: 'hotinit', argv: [launcher, '--control', 'off', '--log-level', 'error', '--', 'sleep', '30'], version: version(launcher, ['--version']) },
    { name: 'tini', argv: ['/usr/bin/tini', '--', 'sleep', '30'], version: version('/usr/bin/tini', ['--version']) },
    { name: 'tini-static', argv: ['/usr/bin/tini-static', '--', 'sleep', '30'], version: version('/usr/bin/tini-static', ['--version']) },
    { name: 'dumb-init', argv: ['/usr/bin/dumb-init', 'sleep', '30'], version: version('/usr/bin/dumb-init', ['--version']) },
  ].filter((i) => fs.existsSync(i.argv[0]));
  const canPin = os.availableParallelism() >= 2;
  const modes = [{ name: 'unpinned', pin: false }, ...(canPin ? [{ name: 'pinned', pin: true }] : [])];

  console.log(`# SIGTERM in an init's first 2 ms, as PID 1${o.quick ? ' (--quick)' : ''}`);
  console.log('');
  console.log(`- ${inits.map((i) => `${i.name} ${i.version}`).join('; ')}`);
  console.log(`- hotinit source: ${gitDescribe()}`);
  const busyAtStart = await cpuBusy(1000);
  console.log(`- ${os.availableParallelism()} CPUs, kernel ${os.release()}, ${new Date().toISOString()}; CPU busy ${fmt(busyAtStart)}% in the second before the bench`);
  console.log(`- ${o.runs} runs per init and mode; TERM sent 0–2,000 µs (uniform) after EOF of the init's CLOEXEC exec pipe; ` +
    `init command \`sleep 30\`; lost = not exited 143 within ${fmtInt(o.timeoutMs)} ms`);
  console.log(`- harness: python3 test/fixtures/exec-race.py --signal 15 --min-us 0 --max-us 2000 --timeout-ms ${o.timeoutMs} [--pin] -- <init> sleep 30`);
  if (!canPin) console.log('- **one CPU only: the pinned mode is skipped**');
  console.log('');

  const data = { options: o, inits: inits.map(({ name, argv, version: v }) => ({ name, argv, version: v })), runs: {} };
  for (const mode of modes) {
    data.runs[mode.name] = Object.fromEntries(inits.map((i) => [i.name, []]));
    for (let done = 0, round = 0; done < o.runs; done += CHUNK, round++) {
      process.stderr.write(`${mode.name} ${done}/${o.runs}… `);
      const order = inits.map((_, k) => inits[(k + round) % inits.length]);
      for (const init of order) {
        const r = await race(init.argv, Math.min(CHUNK, o.runs - done), { pin: mode.pin, timeoutMs: o.timeoutMs });
        if (r.stderr.trim() && !data.stderrShown?.[init.name]) {
          (data.stderrShown ??= {})[init.name] = true;
          console.error(`\n${init.name} (${mode.name}) stderr: ${r.stderr.trim().slice(-400)}`);
        }
        data.runs[mode.name][init.name].push(...r.runs);
      }
    }
  }
  process.stderr.write('done\n');
  delete data.stderrShown;

  const notes = [];
  for (const mode of modes) {
    const s = Object.fromEntries(inits.map((i) => [i.name, summarize(data.runs[mode.name][i.name])]));
    const cell = (n, f) => (s[n] ? f(s[n]) : 'n/a');
    const rows = [
      ['runs', (x) => `${x.runs}`],
      ['**lost** (TERM did not end the init)', (x) => `**${x.lost}**`],
      ['… not yet blocked when sent (first instructions not run)', (x) => `${x.lostUnblocked}`],
      ['… **blocked when sent** (the init\'s fault; must be 0)', (x) => `**${x.lostBlocked}**`],
      ['latest lost send (µs after execve)', (x) => fmtInt(x.latestLostUs)],
      ['earliest send that found TERM blocked (µs)', (x) => fmtInt(x.earliestBlockedUs)],
      ['sends that found TERM not blocked (lost or not)', (x) => `${x.unblocked}`],
    ];
    console.log(`## ${mode.name}${mode.pin ? ' (harness on one CPU, init on another: exec-race.py --pin)' : ' (harness and init share the CPUs)'}`);
    console.log('');
    console.log(`| ${mode.name} | ${names.join(' | ')} |`);
    console.log(`|---|${names.map(() => '---:').join('|')}|`);
    for (const [label, f] of rows) console.log(`| ${label} | ${names.map((n) => cell(n, f)).join(' | ')} |`);
    console.log('');
    for (const n of names) {
      const x = s[n];
      if (!x) continue;
      if (x.lostGone) notes.push(`${mode.name} ${n}: ${x.lostGone} run(s) where the init had exited before the send (it failed to start)`);
      if (x.unblockedKept) notes.push(`${mode.name} ${n}: ${x.unblockedKept} send(s) found TERM not blocked yet the init got it (it blocked between the read and the send)`);
      if (x.lostBlocked) notes.push(`${mode.name} ${n}: ${x.lostBlocked} TERM(s) lost although held when sent: the init received them and lost them itself`);
    }
  }
  if (notes.length === 0) notes.push('no run failed to start, and every lost TERM was sent before the init held it');
  for (const n of notes) console.log(`- ${n}`);
  const busyAtEnd = await cpuBusy(1000);
  console.log(`- CPU busy ${fmt(busyAtEnd)}% in the second after the bench (other work on this machine)`);
  if (Math.max(busyAtStart, busyAtEnd) > 25)
    console.log('- **something else was using the CPUs: the unpinned shares in particular depend on it; run again on a quiet machine**');
  console.log(`- total bench time ${fmt((Date.now() - began) / 1000, 1)} s`);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(data, null, 2));
}

main()
  .catch((error) => {
    console.error(`bench/early-signals.mjs: ${error.stack ?? error}`);
    process.exitCode = 1;
  })
  .finally(killAll);
