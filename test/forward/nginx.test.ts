/**
 * Real nginx (Debian's nginx-light: `apt-get install -y nginx-light`) under
 * hotinit as PID 1, the way the README tells users to run it:
 *
 *   hotinit --swap-mode forward --pidfile /run/nginx.pid --drain-signal QUIT \
 *           --rewrite TERM:QUIT --reload-check "nginx -t" -- /usr/sbin/nginx
 *
 * with `daemon on` (nginx ignores USR2 unless its master was re-parented).
 * Its own binary upgrade (USR2 → new master, QUIT → old master) five times in
 * a row under load without a failed request; TERM then shuts it down
 * gracefully and hotinit exits 0 (the master's status). And USR1 → HUP after
 * `nginx -t`: a broken config is refused, a good one applied.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Load } from '../helpers/load.js';
import { freePort, get, Pid1, tempDir } from '../reload/harness.js';

const NGINX = '/usr/sbin/nginx';
let h: Pid1 | null = null;
const loads: Load[] = [];
const cleanups: Array<() => void> = [];

beforeAll(() => {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: apt-get install -y nginx-light`);
});

afterEach(async () => {
  for (const load of loads.splice(0)) await load.stop();
  await h?.kill();
  h = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

interface Site {
  dir: string;
  conf: string;
  pidfile: string;
  errorLog: string;
  port: number;
  write(body: string, extra?: string): void;
}

/** A self-contained nginx config in a temp dir: daemon on, pid and logs there, loopback only. */
async function site(): Promise<Site> {
  const made = tempDir('hotinit-nginx-');
  cleanups.push(made.remove);
  const dir = made.path;
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const port = await freePort();
  const s: Site = {
    dir,
    conf: join(dir, 'nginx.conf'),
    pidfile: join(dir, 'nginx.pid'),
    errorLog: join(dir, 'error.log'),
    port,
    write(body, extra = '') {
      writeFileSync(
        s.conf,
        `daemon on;
pid ${s.pidfile};
error_log ${s.errorLog} notice;
worker_processes 1;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${extra}
  server {
    listen 127.0.0.1:${port};
    location / { return 200 "${body} pid=$pid\\n"; }
  }
}
`,
      );
    },
  };
  s.write('v1');
  return s;
}

function startNginx(s: Site, extraArgs: string[] = [], binary = NGINX): Promise<Pid1> {
  return Pid1.start({
    args: ['--swap-mode', 'forward', '--pidfile', s.pidfile, '--drain-signal', 'QUIT', '--rewrite', 'TERM:QUIT', ...extraArgs],
    command: [binary, '-c', s.conf],
  });
}

/** Puts an executable at `path` the way a deploy would: written beside it, renamed into place. */
function stageFile(path: string, write: (tmp: string) => void): number {
  write(`${path}.tmp`);
  chmodSync(`${path}.tmp`, 0o755);
  renameSync(`${path}.tmp`, path);
  return statSync(path).ino;
}

describe('nginx under hotinit (forward mode)', () => {
  it("upgrades nginx's binary 5 times in a row under load with 0 failed requests, then stops it gracefully on TERM", async () => {
    const s = await site();
    h = await startNginx(s);
    // `nginx` forks the master and exits 0: the master is adopted as the main process.
    const master = await h.waitForLog((l) => l.event === 'spawn' && l.adopted === true);
    expect(master.gen).toBe(2);
    // nginx opened its listening socket before it daemonized: connections queue from here on.
    const load = Load.start({ mode: 'new-connection', port: s.port, workers: 6, maxDurationMs: 90_000 });
    loads.push(load);
    await load.waitForResponses(50);

    let serving = master.pid as number;
    for (let upgrade = 1; upgrade <= 5; upgrade++) {
      const mark = h.mark();
      await h.signal('SIGUSR2');
      const done = await h.waitForLog((l) => l.event === 'swap.done', { from: mark });
      expect(done).toMatchObject({ gen: 2 + upgrade, from: 1 + upgrade, mode: 'forward' });
      expect(done.pid).not.toBe(serving);
      serving = done.pid as number;
      expect(h.logsSince(mark, 'drain')).toMatchObject([{ signal: 'SIGQUIT' }]);
      await load.waitForResponses(50);
    }
    const summary = await load.stop();
    loads.length = 0;
    expect(summary.errors).toEqual([]);
    expect(summary.badStatus).toEqual([]);
    expect(summary.ok).toBeGreaterThan(300);
    expect(h.lines.filter((l) => l.event === 'swap.failed')).toEqual([]);
    expect(h.alive).toBe(true);
    const log = readFileSync(s.errorLog, 'utf8');
    expect(log.match(/signal 12 \(SIGUSR2\) received/g)).toHaveLength(5);
    expect(log).not.toContain('ignoring');

    // docker stop: TERM becomes QUIT for the master (graceful), whose exit status is the container's.
    const exit = await h.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(h.lines.find((l) => l.event === 'exit' && l.gen === 7)).toMatchObject({ pid: serving, status: 0 });
    expect(readFileSync(s.errorLog, 'utf8')).toMatch(new RegExp(`${serving}#${serving}: signal 3 \\(SIGQUIT\\) received from 1, shutting down`));
  });

  it('reloads on USR1 with HUP after `nginx -t`: a broken config is refused and the old one keeps serving, a good one is applied', async () => {
    const s = await site();
    h = await startNginx(s, ['--reload-check', `${NGINX} -t -c ${s.conf}`]);
    await h.waitForLog((l) => l.event === 'spawn' && l.adopted === true);
    expect(await get(s.port)).toMatch(/^v1 /);

    s.write('v2', 'no_such_directive on;');
    await h.signal('SIGUSR1');
    const refused = await h.waitForLog((l) => l.event === 'reload.failed');
    expect(refused.output).toContain('unknown directive "no_such_directive"');
    expect(refused.reason).toMatch(/^refused: --reload-check exited with 1: .*; generation 2 untouched$/);
    expect(readFileSync(s.errorLog, 'utf8')).not.toContain('signal 1 (SIGHUP)');
    expect(await get(s.port)).toMatch(/^v1 /);

    s.write('v2');
    const mark = h.mark();
    await h.signal('SIGUSR1');
    const reload = await h.waitForLog((l) => l.event === 'reload' && typeof l.result === 'string', { from: mark });
    expect(reload).toMatchObject({ gen: 2, result: 'signalled', signal: 'SIGHUP' });
    // nginx starts new workers with the new config and retires the old ones gracefully.
    for (let attempt = 0; !(await get(s.port)).startsWith('v2 '); attempt++) {
      if (attempt > 100) throw new Error('nginx still serves v1 after the reload');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(readFileSync(s.errorLog, 'utf8')).toContain('signal 1 (SIGHUP) received from 1, reconfiguring');
  });

  it('installs a --stage binary before the upgrade so the new master runs it; a broken one is rolled back and the old master keeps serving', async () => {
    const s = await site();
    const binary = join(s.dir, 'nginx');
    const staged = join(s.dir, 'nginx.next');
    copyFileSync(NGINX, binary);
    chmodSync(binary, 0o755);
    h = await startNginx(s, ['--stage', staged, '--ready-timeout', '3s'], binary);
    await h.waitForLog((l) => l.event === 'spawn' && l.adopted === true);

    const good = stageFile(staged, (tmp) => copyFileSync(NGINX, tmp));
    await h.signal('SIGUSR2');
    const done = await h.waitForLog((l) => l.event === 'swap.done');
    expect(h.lines.some((l) => l.event === 'swap.begin' && l.stage === 'installed')).toBe(true);
    const master = await h.hostPid(done.pid as number);
    expect(statSync(`/proc/${master}/exe`).ino).toBe(good); // the new master executes the staged file
    expect(existsSync(`${binary}.prev`)).toBe(true);

    // A "binary" that dies at once: nginx's new master never comes up, nginx keeps its old master.
    stageFile(staged, (tmp) => writeFileSync(tmp, '#!/bin/sh\nexit 1\n'));
    const mark = h.mark();
    await h.signal('SIGUSR2');
    const failed = await h.waitForLog((l) => l.event === 'swap.failed', { from: mark });
    expect(failed.reason).toBe(`no successor appeared within 3s (--pidfile ${s.pidfile}); generation 3 keeps serving`);
    await h.waitForLog((l) => l.event === 'rollback', { from: mark });
    expect(statSync(binary).ino).toBe(good);
    expect(existsSync(`${staged}.rejected`)).toBe(true);
    expect(await get(s.port)).toMatch(new RegExp(`^v1 pid=\\d+$`, 'm'));
    expect(h.alive).toBe(true);
  });
});
