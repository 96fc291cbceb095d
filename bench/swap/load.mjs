// Load generator for bench/swap.mjs: HTTP/1.1 GETs over raw TCP on loopback,
// one record per request. Run with child_process.fork (IPC): it answers
// {type:'started'} once running, stops on {type:'stop'} (or at --max-ms), waits
// for what is in flight, writes its records and answers {type:'done', summary}.
//
//   --host H --port P       target (loopback only: 127.0.0.1 / ::1 / localhost)
//   --connections C         concurrent connection slots
//   --rate R                requests/s, scheduled at fixed times (open loop),
//                           spread round robin over the connections. A request
//                           that finds every connection busy waits in a queue
//                           and its latency counts from its scheduled time, so
//                           a stall is not hidden by the client waiting (no
//                           coordinated omission). 0 = closed loop, as fast as
//                           possible.
//   --keepalive 1|0         1: C persistent connections (reopened when the
//                           server closes one); 0: a new connection per request
//                           (Connection: close)
//   --timeout MS            a request without a complete response after MS
//                           (from its scheduled time) is a timeout error
//   --max-ms MS             hard bound on the run
//   --out FILE              Float64 quadruples: scheduled time (ms epoch),
//                           latency (ms), outcome (0 ok, 1 connect, 2 read,
//                           3 write, 4 timeout, 5 non-2xx), connect time (ms;
//                           -1 when the request reused a connection)
import fs from 'node:fs';
import net from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const OK = 0, CONNECT = 1, READ = 2, WRITE = 3, TIMEOUT = 4, NON2XX = 5;
const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const host = arg('--host', '127.0.0.1');
const port = Number(arg('--port'));
const slotsN = Number(arg('--connections', '32'));
const rate = Number(arg('--rate', '0'));
const keepalive = arg('--keepalive', '1') === '1';
const timeoutMs = Number(arg('--timeout', '2000'));
const maxMs = Number(arg('--max-ms', '300000'));
const out = arg('--out');
if (!['127.0.0.1', '::1', 'localhost'].includes(host)) throw new Error('loopback only');
if (!(port > 0) || !out) throw new Error('--port and --out are required');

const now = () => performance.timeOrigin + performance.now();
const REQUEST = Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}:${port}\r\n${keepalive ? '' : 'Connection: close\r\n'}\r\n`);

// ---- records
const FIELDS = 4;
const CHUNK = FIELDS * 65536;
const chunks = [];
let cur = new Float64Array(CHUNK);
let pos = 0;
let count = 0;
const errorCodes = {};
let slowConnects = 0; // ≥ 900 ms: the signature of a dropped SYN (retransmitted after 1 s)
function record(sched, latency, outcome, code, connectMs = -1) {
  if (pos === CHUNK) {
    chunks.push(cur);
    cur = new Float64Array(CHUNK);
    pos = 0;
  }
  cur[pos++] = sched;
  cur[pos++] = latency;
  cur[pos++] = outcome;
  cur[pos++] = connectMs;
  count++;
  if (outcome !== OK) {
    const key = `${['ok', 'connect', 'read', 'write', 'timeout', 'non2xx'][outcome]}:${code ?? '-'}`;
    errorCodes[key] = (errorCodes[key] ?? 0) + 1;
  }
}

// ---- connection slots
const HEADER_END = Buffer.from('\r\n\r\n');
const slots = [];
const backlog = []; // scheduled times waiting for a free slot
let backlogHead = 0;
let stopping = false;
let issued = 0;
let t0 = 0;
let connectsOpened = 0;
let next = 0;

function newSlot() {
  return { socket: null, connected: false, req: null, buf: null };
}

function finish(slot, outcome, code) {
  const req = slot.req;
  slot.req = null;
  record(req.sched, now() - req.sched, outcome, code, req.connectMs ?? -1);
  if (outcome !== OK) dropSocket(slot);
  pump(slot);
}

function dropSocket(slot) {
  const s = slot.socket;
  slot.socket = null;
  slot.connected = false;
  slot.buf = null;
  if (s) s.destroy();
}

function openSocket(slot) {
  const socket = net.connect({ host, port, noDelay: true });
  connectsOpened++;
  slot.socket = socket;
  slot.connected = false;
  slot.buf = null;
  const opened = now();
  socket.on('connect', () => {
    if (slot.socket !== socket) return;
    slot.connected = true;
    const t = now() - opened;
    if (t >= 900) slowConnects++;
    if (slot.req) slot.req.connectMs = t;
  });
  socket.on('data', (data) => {
    if (slot.socket !== socket) return;
    if (!slot.req) {
      // Bytes nobody asked for: treat the connection as broken.
      dropSocket(slot);
      return;
    }
    slot.buf = slot.buf ? Buffer.concat([slot.buf, data]) : data;
    parse(slot);
  });
  socket.on('error', (error) => {
    if (slot.socket !== socket) return;
    if (slot.req) {
      const outcome = !slot.connected ? CONNECT : error.code === 'EPIPE' ? WRITE : READ;
      finish(slot, outcome, error.code);
    } else dropSocket(slot);
  });
  socket.on('close', () => {
    if (slot.socket !== socket) return;
    if (slot.req) finish(slot, slot.connected ? READ : CONNECT, 'closed');
    else dropSocket(slot);
  });
  socket.on('end', () => {
    if (slot.socket !== socket) return;
    if (slot.req) finish(slot, READ, 'EOF');
    else dropSocket(slot);
  });
}

function parse(slot) {
  const buf = slot.buf;
  const end = buf.indexOf(HEADER_END);
  if (end < 0) return;
  const head = buf.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (!m) {
    finish(slot, READ, 'no-content-length');
    return;
  }
  if (buf.length < end + 4 + Number(m[1])) return;
  const close = /\r\nconnection:\s*close/i.test(head);
  slot.buf = null;
  if (!keepalive || close) {
    const s = slot.socket;
    slot.socket = null;
    slot.connected = false;
    s.destroy();
  }
  finish(slot, status >= 200 && status < 300 ? OK : NON2XX, status);
}

function send(slot, sched) {
  slot.req = { sched };
  if (!slot.socket) openSocket(slot);
  slot.socket.write(REQUEST); // queued by net until connected
}

// A slot became free: give it the oldest waiting request (open loop) or a new one (closed loop).
function pump(slot) {
  if (rate > 0) {
    while (backlogHead < backlog.length) {
      const sched = backlog[backlogHead++];
      if (now() - sched > timeoutMs) {
        record(sched, now() - sched, TIMEOUT, 'queued');
        continue;
      }
      send(slot, sched);
      break;
    }
    if (backlogHead > 4096 && backlogHead * 2 > backlog.length) {
      backlog.splice(0, backlogHead);
      backlogHead = 0;
    }
  } else if (!stopping) {
    send(slot, now());
  }
}

function tick() {
  if (stopping) return;
  const t = now();
  if (t - t0 > maxMs) return void stop();
  if (rate > 0) {
    const due = Math.floor(((t - t0) * rate) / 1000);
    for (; issued < due; issued++) {
      const sched = t0 + (issued * 1000) / rate;
      // Round robin, so every keep-alive connection carries traffic (an idle
      // one would hold a draining generation until its keep-alive timeout).
      let free = null;
      if (backlogHead === backlog.length) {
        for (let k = 0; k < slotsN && !free; k++) {
          const slot = slots[(next + k) % slotsN];
          if (!slot.req) free = slot;
        }
      }
      next = (next + 1) % slotsN;
      // Sent at once: latency counts from now (the ≤ 1 ms timer lateness is
      // the client's). Queued because every slot is busy: from its scheduled
      // time, so the server's stall is counted in full.
      if (free) send(free, t);
      else backlog.push(sched);
    }
  }
  // Timeouts, from the scheduled time.
  for (const slot of slots) {
    if (slot.req && t - slot.req.sched > timeoutMs) finish(slot, TIMEOUT, 'timeout');
  }
}

let ticker = null;
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
function start() {
  loopDelay.enable();
  t0 = now();
  for (let i = 0; i < slotsN; i++) slots.push(newSlot());
  if (rate === 0) for (const slot of slots) send(slot, now());
  ticker = setInterval(tick, 1);
}

function stop() {
  if (stopping) return;
  stopping = true;
  // Requests never sent are not counted; wait for those in flight.
  backlog.length = 0;
  backlogHead = 0;
  const deadline = now() + timeoutMs + 200;
  const check = () => {
    const t = now();
    for (const slot of slots) if (slot.req && t - slot.req.sched > timeoutMs) finish(slot, TIMEOUT, 'timeout');
    if (slots.some((s) => s.req) && t < deadline) return void setTimeout(check, 5);
    clearInterval(ticker);
    for (const slot of slots) dropSocket(slot);
    chunks.push(cur.subarray(0, pos));
    const fd = fs.openSync(out, 'w');
    for (const c of chunks) fs.writeSync(fd, new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    fs.closeSync(fd);
    loopDelay.disable();
    const summary = { count, errorCodes, connectsOpened, slowConnects, elapsedMs: now() - t0, loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 } };
    if (process.send) process.send({ type: 'done', summary }, () => process.exit(0));
    else {
      console.log(JSON.stringify(summary));
      process.exit(0);
    }
  };
  check();
}

process.on('message', (m) => {
  if (m?.type === 'stop') stop();
});
process.on('disconnect', () => stop());
process.on('SIGTERM', () => stop());
start();
if (process.send) process.send({ type: 'started', t0 });
