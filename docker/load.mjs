#!/usr/bin/env node
// A bounded load generator for the demo: C keep-alive connections request URL
// for S seconds, then it prints what it saw (one JSON line) and exits 1 on any
// error. Loopback targets only.
//
//   node load.mjs [--url http://127.0.0.1:18080/] [--seconds 10] [--connections 16]
// Env twins: LOAD_URL, LOAD_SECONDS, LOAD_CONNECTIONS.
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.LOAD_URL ?? 'http://127.0.0.1:18080/' },
    seconds: { type: 'string', default: process.env.LOAD_SECONDS ?? '10' },
    connections: { type: 'string', default: process.env.LOAD_CONNECTIONS ?? '16' },
  },
});
const url = new URL(values.url);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;
if (url.protocol !== 'http:' || !loopback.test(url.hostname)) {
  console.error(`load: --url: "${values.url}" is not an http:// URL on the loopback (127.0.0.0/8, localhost, [::1])`);
  process.exit(2);
}
if (!(seconds > 0 && seconds <= 600) || !(Number.isInteger(connections) && connections >= 1 && connections <= 256)) {
  console.error('load: --seconds must be in (0, 600] and --connections an integer in [1, 256]');
  process.exit(2);
}

const agent = new Agent({ keepAlive: true, maxSockets: connections });
const deadline = Date.now() + seconds * 1000;
const result = { ok: 0, errors: 0, errorKinds: {}, versions: {}, generations: {} };

function count(bucket, key) {
  bucket[key] = (bucket[key] ?? 0) + 1;
}

function once() {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        const match = /^generation (\S+) pid \d+ version (\S+)/.exec(body);
        if (res.statusCode === 200 && match) {
          result.ok++;
          count(result.generations, match[1]);
          count(result.versions, match[2]);
        } else {
          result.errors++;
          count(result.errorKinds, `status ${res.statusCode}`);
        }
        resolve();
      });
      res.on('error', fail);
    });
    function fail(error) {
      result.errors++;
      count(result.errorKinds, error.code ?? error.message);
      resolve();
    }
    req.on('error', fail);
    req.setTimeout(5000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.end();
  });
}

async function worker() {
  while (Date.now() < deadline) await once();
}

await Promise.all(Array.from({ length: connections }, worker));
agent.destroy();
console.log(JSON.stringify({ url: url.href, seconds, connections, ...result }));
process.exit(result.errors === 0 && result.ok > 0 ? 0 : 1);
