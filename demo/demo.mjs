// npm run demo: hotinit swaps a live web app five times under load and
// reloads it once; the load generator counts every failed request.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}build/Release/hotinit`) || !existsSync(`${root}dist/hotinit.cjs`)) {
  console.error('demo: build first with: npm ci');
  process.exit(1);
}

const hotinit = spawn(`${root}bin/hotinit`, ['--listen', 'tcp://127.0.0.1:0', '--ready', 'fd', '--', 'node', `${root}demo/app.mjs`], {
  stdio: ['ignore', 'inherit', 'pipe'],
});
const waiters = [];
const events = createInterface({ input: hotinit.stderr });
events.on('line', (line) => {
  let record;
  try { record = JSON.parse(line); } catch { return console.error(line); }
  for (const waiter of [...waiters]) if (waiter.match(record)) { waiters.splice(waiters.indexOf(waiter), 1); waiter.resolve(record); }
});
const next = (match, ms = 20000) => new Promise((resolve, reject) => {
  waiters.push({ match, resolve });
  setTimeout(() => reject(new Error('demo: timed out waiting for hotinit')), ms).unref();
});
const say = (text) => console.log(`\x1b[1m${text}\x1b[0m`);

const started = await next((r) => r.event === 'start' && r.address);
const port = Number(started.address.split(':').pop());
await next((r) => r.event === 'ready');
say(`hotinit holds ${started.address}; generation 1 is ready`);

// Load: 16 keep-alive connections plus 4 loops opening a new connection per request.
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const counts = { ok: 0, failed: 0, byGen: new Map() };
let loading = true;
const request = (useAgent) => new Promise((resolve) => {
  const req = get({ host: '127.0.0.1', port, agent: useAgent ? agent : false }, (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => {
      counts.ok++;
      const gen = /generation (\d+)/.exec(body)?.[1];
      counts.byGen.set(gen, (counts.byGen.get(gen) ?? 0) + 1);
      resolve();
    });
  });
  req.on('error', (error) => { counts.failed++; console.error(`request failed: ${error.code ?? error.message}`); resolve(); });
});
const loops = [...Array(20)].map(async (_, i) => { while (loading) await request(i < 16); });

for (let swap = 1; swap <= 5; swap++) {
  await new Promise((r) => setTimeout(r, 700));
  const began = Date.now();
  hotinit.kill('SIGUSR2');
  const done = await next((r) => r.event === 'swap.done' || r.event === 'swap.failed');
  await next((r) => r.event === 'drain' && r.msg === 'drained');
  say(`swap ${swap}: ${done.event === 'swap.done' ? `generation ${done.from} → ${done.gen}` : `FAILED: ${done.reason}`} in ${Date.now() - began} ms (${counts.ok} requests so far, ${counts.failed} failed)`);
}
hotinit.kill('SIGUSR1');
await new Promise((r) => setTimeout(r, 500));
const reloaded = await new Promise((resolve) => get({ host: '127.0.0.1', port, agent: false }, (res) => {
  let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => resolve(body.trim()));
}));
say(`after SIGUSR1: "${reloaded}"`);

loading = false;
await Promise.all(loops);
agent.destroy();
say(`load: ${counts.ok} requests answered, ${counts.failed} failed; by generation: ${[...counts.byGen].map(([g, n]) => `${g}:${n}`).join(' ')}`);
hotinit.kill('SIGTERM');
const status = await new Promise((resolve) => hotinit.once('exit', (code) => resolve(code)));
say(`docker stop equivalent (SIGTERM): hotinit exited with status ${status}`);
process.exit(counts.failed === 0 ? 0 : 1);
