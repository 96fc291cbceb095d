// What the benches share: running commands, finding and installing the
// comparison inits, saying which hotinit was measured, and how busy the
// machine was. Each bench keeps its own measurements and tables.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function which(name) {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = path.join(dir || '.', name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {}
  }
  return null;
}

export function run(file, args, opts = {}) {
  return spawnSync(file, args, { encoding: 'utf8', timeout: 300_000, killSignal: 'SIGKILL', ...opts });
}

/** Installs Debian's tini (with tini-static) and dumb-init when any of `names` is missing from /usr/bin. */
export function ensureDebianInits(bench, names) {
  const missing = names.filter((n) => !fs.existsSync(`/usr/bin/${n}`));
  if (missing.length === 0) return;
  console.error(`${bench}: ${missing.join(', ')} missing: installing with apt-get (apt-get update; apt-get install -y tini dumb-init)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const u = run('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const i = run('apt-get', ['install', '-y', 'tini', 'dumb-init'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (u.status !== 0 || i.status !== 0) console.error(`${bench}: apt-get failed; the missing inits are reported as n/a`);
}

/** The first line a program prints for `args` (its version). */
export function version(file, args) {
  const r = run(file, args, { timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] || '?';
}

/** Which hotinit was measured: others may be editing src/ while this runs. */
export function gitDescribe() {
  const head = run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { timeout: 10_000 });
  if (head.status !== 0) return 'not a git checkout';
  const dirty = run('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'native'], { timeout: 10_000 });
  const built = (file) => {
    try {
      return fs.statSync(path.join(ROOT, file)).mtime.toISOString();
    } catch {
      return '?';
    }
  };
  const changes = (dirty.stdout ?? '').trim().split('\n').filter(Boolean).length;
  return (
    `commit ${head.stdout.trim()}${changes ? `, ${changes} uncommitted change(s) in src/ native/` : ''}; ` +
    `bundle built ${built('dist/hotinit.cjs')}, launcher ${built('build/Release/hotinit')}`
  );
}

/** Share of all CPUs that was not idle over `ms` (from /proc/stat), in %. */
export async function cpuBusy(ms) {
  const read = () => {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0); // idle + iowait
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await sleep(ms);
  const b = read();
  const total = b.total - a.total;
  return total > 0 ? (100 * (total - (b.idle - a.idle))) / total : NaN;
}
