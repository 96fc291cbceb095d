#!/usr/bin/env node
// The demo web app: serves on the socket hotinit holds (fd 3, systemd's
// LISTEN_FDS protocol), says when it is ready, reloads on HUP, drains on TERM.
// Self-contained on purpose; `hotinit/app` will offer the same in a few lines.
import { closeSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { Server as NetServer } from 'node:net';

const VERSION = '1';
const GENERATION = process.env.HOTINIT_GENERATION ?? '0';
const IDLE_GRACE_MS = Number(process.env.WEB_IDLE_GRACE_MS ?? 1000);
let reloads = 0;
let draining = false;

const log = (event, fields = {}) =>
  process.stderr.write(`${JSON.stringify({ app: 'web', event, gen: GENERATION, pid: process.pid, version: VERSION, ...fields })}\n`);

const server = createServer((req, res) => {
  // While draining, each connection's next response is its last.
  if (draining) res.setHeader('Connection', 'close');
  res.setHeader('X-Reloads', String(reloads));
  res.end(`generation ${GENERATION} pid ${process.pid} version ${VERSION}\n`);
});

function announceReady() {
  const fd = Number(process.env.HOTINIT_READY_FD);
  if (Number.isInteger(fd) && fd > 2) {
    writeSync(fd, 'READY=1\n');
    closeSync(fd);
  }
  log('ready', { address: server.address() });
}

// The inherited socket if it is addressed to this process, else a port of its own.
const inherited = Number(process.env.LISTEN_FDS) >= 1 && Number(process.env.LISTEN_PID) === process.pid;
if (inherited) {
  server.listen({ fd: 3 }, announceReady);
} else {
  server.listen(Number(process.env.PORT ?? 18080), process.env.HOST ?? '127.0.0.1', announceReady);
}

function drain(signal) {
  if (draining) return;
  draining = true;
  log('drain', { signal });
  // Stop accepting but keep idle keep-alive connections for now (http's own
  // close() drops them at once, racing clients that are about to send);
  // the callback runs once every connection has closed.
  NetServer.prototype.close.call(server, () => {
    log('drained');
    process.exit(0);
  });
  // Connections that stay silent are closed after a grace period.
  setTimeout(() => server.closeIdleConnections(), IDLE_GRACE_MS).unref();
}

process.on('SIGTERM', () => drain('SIGTERM'));
process.on('SIGINT', () => drain('SIGINT'));
process.on('SIGHUP', () => {
  reloads++;
  log('reload', { reloads });
});
