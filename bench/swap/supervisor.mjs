// The baselines' supervisor: runs bench/swap/app.mjs and "swaps" it on SIGUSR2
// the way people do without hotinit. Logs JSON lines on stderr with the same
// `event` names and `time` (ms epoch) as hotinit, so the bench reads both alike.
//
//   node bench/swap/supervisor.mjs --mode naive|reuseport --port PORT -- node app.mjs
//
//   naive      SIGTERM the app, wait for it to exit, start it again (it binds
//              the port itself), wait for its READY.
//   reuseport  start the new app on the same port with SO_REUSEPORT, wait for
//              its READY, then SIGTERM the old one, which drains and exits.
// Readiness: the same pipe hotinit uses (HOTINIT_READY_FD=3, "READY=1\n").
// SIGTERM/SIGINT: stops every generation and exits.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const sep = args.indexOf('--');
const command = args.slice(sep + 1);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 && i < sep ? args[i + 1] : undefined;
};
const mode = opt('--mode');
const port = Number(opt('--port'));
if (!['naive', 'reuseport'].includes(mode) || !(port > 0) || sep < 0 || command.length === 0) {
  process.stderr.write('usage: supervisor.mjs --mode naive|reuseport --port PORT -- command...\n');
  process.exit(2);
}

const log = (event, fields = {}, msg) =>
  process.stderr.write(JSON.stringify({ time: Math.round(performance.timeOrigin + performance.now()), event, ...fields, ...(msg ? { msg } : {}) }) + '\n');

let nextGen = 1;
let serving = null;
let swapping = false;
let stopping = false;
const live = new Set();

function launch() {
  const gen = nextGen++;
  const child = spawn(command[0], command.slice(1), {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, PORT: String(port), BENCH_LISTEN: mode === 'naive' ? 'port' : 'reuseport', HOTINIT_READY_FD: '3', HOTINIT_GENERATION: String(gen) },
  });
  const g = { gen, pid: child.pid, child, exited: false };
  live.add(g);
  g.exit = new Promise((resolve) => child.once('exit', (code, signal) => { g.exited = true; live.delete(g); resolve({ code, signal }); }));
  g.ready = new Promise((resolve, reject) => {
    let text = '';
    child.stdio[3].on('data', (d) => {
      text += d;
      if (text.includes('READY=1')) resolve();
    });
    child.stdio[3].on('end', () => reject(new Error(`generation ${gen} closed its ready pipe without READY`)));
    g.exit.then((s) => reject(new Error(`generation ${gen} exited (${JSON.stringify(s)}) before it was ready`)));
  });
  g.ready.catch(() => {});
  log('spawn', { gen, pid: child.pid, command });
  return g;
}

async function waitReady(g) {
  await g.ready;
  log('ready', { gen: g.gen, pid: g.pid });
}

async function drain(g) {
  g.child.kill('SIGTERM');
  log('drain', { gen: g.gen, pid: g.pid, signal: 'SIGTERM' });
  const s = await g.exit;
  log('drain', { gen: g.gen, pid: g.pid, exit: s.signal ? `signal ${s.signal}` : `status ${s.code}` }, 'drained');
}

async function swap() {
  if (swapping || stopping) {
    log('swap.failed', { reason: 'swap already running' });
    return;
  }
  swapping = true;
  const started = Date.now();
  const old = serving;
  log('swap.begin', { gen: old.gen });
  try {
    if (mode === 'naive') {
      await drain(old);
      const next = launch();
      await waitReady(next);
      serving = next;
      log('swap.done', { gen: next.gen, pid: next.pid, from: old.gen, durationMs: Date.now() - started });
    } else {
      const next = launch();
      await waitReady(next);
      serving = next;
      const drained = drain(old);
      log('swap.done', { gen: next.gen, pid: next.pid, from: old.gen, durationMs: Date.now() - started });
      await drained;
    }
  } catch (error) {
    log('swap.failed', { reason: error.message });
  } finally {
    swapping = false;
  }
}

async function stop(signal) {
  if (stopping) return;
  stopping = true;
  const all = [...live];
  for (const g of all) g.child.kill('SIGTERM');
  await Promise.all(all.map((g) => g.exit));
  log('exit', { signal });
  process.exit(0);
}

process.on('SIGUSR2', () => void swap());
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

log('start', { pid: process.pid, mode, address: `127.0.0.1:${port}` });
serving = launch();
waitReady(serving).catch((error) => {
  log('exit', { error: error.message });
  process.exit(1);
});
