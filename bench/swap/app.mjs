// The one app all three variants run: a Node http server answering a small
// body. BENCH_LISTEN selects how it gets its socket:
//   inherit   (under hotinit) serve() from hotinit/app: fd 3, READY on
//             HOTINIT_READY_FD, drain on SIGTERM
//   port      listen on PORT itself (naive stop-then-start)
//   reuseport listen on PORT with SO_REUSEPORT (overlap)
// In every mode the drain on SIGTERM is hotinit/app's drainOnSignal and the
// readiness message is hotinit/app's notifyReady (a pipe at HOTINIT_READY_FD).
// With BENCH_APP_LOG set it appends one JSON line per fact (process start,
// ready written, SIGTERM received) with sub-ms epoch times, so the bench can
// time a swap from the apps' side too.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { drainOnSignal, inheritedFd, notifyReady, serve } from '../../dist/app/index.js';

const now = () => performance.timeOrigin + performance.now();
const logFile = process.env.BENCH_APP_LOG;
const note = (event, fields = {}) => {
  if (logFile) appendFileSync(logFile, JSON.stringify({ event, pid: process.pid, time: now(), ...fields }) + '\n');
};
// The app's own event-loop delay until its drain signal: was the server itself stalled?
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
process.on('SIGTERM', () =>
  note('sigterm', { loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 } }),
);

const body = 'ok ' + process.pid + '\n';
const server = createServer((request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
});
server.keepAliveTimeout = 5000;
const options = { graceMs: 5000 };
const mode = process.env.BENCH_LISTEN ?? 'inherit';

if (mode === 'inherit') {
  if (inheritedFd() === null) {
    process.stderr.write('bench app: BENCH_LISTEN=inherit but no inherited socket (LISTEN_PID/LISTEN_FDS)\n');
    process.exit(2);
  }
  await serve(server, { ...options, port: 0 });
  note('ready', { startedAt: performance.timeOrigin });
} else {
  const port = Number(process.env.PORT);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, reusePort: mode === 'reuseport' }, resolve);
  });
  drainOnSignal(server, options);
  notifyReady();
  note('ready', { startedAt: performance.timeOrigin });
}
