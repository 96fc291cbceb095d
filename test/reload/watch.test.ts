/**
 * --watch and --watch-binary: the watcher itself (in process, real files),
 * then through hotinit as PID 1. Editors replace files by rename and
 * Kubernetes swaps a `..data` symlink: both must trigger; a burst of writes
 * triggers once, a file still being written not at all, a neighbour never.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PathWatcher, watchBinary, type Fingerprint } from '../../src/watch.js';
import { recordingLog } from '../control/helpers.js';
import { FIXTURES, Pid1, PYTHON, tempDir, type LogLine } from './harness.js';

/** Collects reports; `next()` resolves with the next one (rejects after timeoutMs). */
function reports() {
  const seen: Fingerprint[] = [];
  const waiters: Array<() => void> = [];
  return {
    seen,
    onChange: (fingerprint: Fingerprint) => {
      seen.push(fingerprint);
      for (const wake of waiters.splice(0)) wake();
    },
    async count(n: number, timeoutMs = 5000): Promise<Fingerprint[]> {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${n} reports, got ${seen.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return seen.slice(0, n);
    },
  };
}

const closers: Array<{ close(): void }> = [];
const cleanups: Array<() => void> = [];
let h: Pid1 | null = null;

afterEach(async () => {
  for (const closer of closers.splice(0)) closer.close();
  await h?.kill();
  h = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function dir(): string {
  const made = tempDir('hotinit-watch-');
  cleanups.push(made.remove);
  return made.path;
}

function watcher(path: string, onChange: (f: Fingerprint) => void, log = recordingLog()): PathWatcher {
  const w = new PathWatcher(path, onChange, log);
  closers.push(w);
  return w;
}

/** An editor's save: write a temporary file beside it, rename it over. */
function saveByRename(path: string, text: string): void {
  writeFileSync(`${path}.swp`, text);
  renameSync(`${path}.swp`, path);
}

/** A ConfigMap volume: dir/app.conf → ..data/app.conf, ..data → ..<version>. */
function configMap(root: string, version: string, text: string): void {
  mkdirSync(join(root, `..${version}`));
  writeFileSync(join(root, `..${version}`, 'app.conf'), text);
  symlinkSync(`..${version}`, join(root, '..data_tmp'));
  renameSync(join(root, '..data_tmp'), join(root, '..data')); // atomic repoint, as the kubelet does
}

describe('PathWatcher', () => {
  it('reports a file replaced by rename (an editor saving)', async () => {
    const path = join(dir(), 'app.conf');
    writeFileSync(path, 'a\n');
    const r = reports();
    watcher(path, r.onChange);
    saveByRename(path, 'b\n');
    const [report] = await r.count(1);
    expect(report!.realpath).toBe(path);
  });

  it('reports a file written in place', async () => {
    const path = join(dir(), 'app.conf');
    writeFileSync(path, 'a\n');
    const r = reports();
    watcher(path, r.onChange);
    appendFileSync(path, 'more\n');
    await r.count(1);
  });

  it('reports a Kubernetes-style ConfigMap swap of the ..data symlink', async () => {
    const root = dir();
    configMap(root, '2024_01', 'v1\n');
    symlinkSync('..data/app.conf', join(root, 'app.conf'));
    const r = reports();
    watcher(join(root, 'app.conf'), r.onChange);
    configMap(root, '2024_02', 'v2\n');
    const [report] = await r.count(1);
    expect(report!.realpath).toBe(join(root, '..2024_02', 'app.conf'));
  });

  it('reports a burst of writes once, and a file still being written only once it is complete', async () => {
    const path = join(dir(), 'big.bin');
    writeFileSync(path, '');
    const r = reports();
    watcher(path, r.onChange);
    // 10 chunks 100 ms apart: never still for two looks 300 ms apart until the end.
    for (let i = 0; i < 10; i++) {
      appendFileSync(path, Buffer.alloc(1000, i));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [report] = await r.count(1);
    expect(report!.file.endsWith(':10000')).toBe(true); // the size when reported: all of it
    // The next real change is the second report: nothing was reported in between.
    saveByRename(path, 'x');
    const all = await r.count(2);
    expect(all[1]!.file.endsWith(':1')).toBe(true);
    expect(r.seen).toHaveLength(2);
  });

  it('ignores other files in the same directory (negative control: the next real change is the first report)', async () => {
    const root = dir();
    const path = join(root, 'app.conf');
    writeFileSync(path, 'a\n');
    const r = reports();
    watcher(path, r.onChange);
    for (let i = 0; i < 5; i++) saveByRename(join(root, 'other.conf'), `${i}\n`);
    writeFileSync(join(root, 'neighbour.log'), 'x\n');
    // Negative control: give the neighbours' events two looks of their own (300 ms apart) before
    // the real change, so that a watcher reporting them would be seen here.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(r.seen).toEqual([]);
    saveByRename(path, 'b\n');
    await r.count(1);
    expect(r.seen).toHaveLength(1);
    expect(r.seen[0]!.realpath).toBe(path);
  });

  it('reports a file that appears after the watch started', async () => {
    const root = dir();
    const path = join(root, 'late.conf');
    const r = reports();
    const w = watcher(path, r.onChange);
    expect(w.current).toBeNull();
    saveByRename(path, 'here\n');
    await r.count(1);
  });
});

describe('watchBinary', () => {
  /** Swaps as far as the watcher can tell: a request installs the staged file, as StagedBinary.prepare does. */
  function fakeSwaps(binary: string, stage: string) {
    const requests: string[] = [];
    return {
      requests,
      inProgress: false,
      whenIdle: () => Promise.resolve(),
      request(source: string): Promise<void> {
        requests.push(source);
        if (existsSync(stage)) renameSync(stage, binary); // nothing staged: the swap starts the binary as it is
        return Promise.resolve();
      },
    };
  }

  /** Polls a condition every 50 ms until it holds (rejects after timeoutMs). */
  async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition.toString()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("swaps when a file is staged, and ignores the rename hotinit's own install does", async () => {
    const root = dir();
    const binary = join(root, 'server');
    const stage = join(root, 'server.next');
    writeFileSync(binary, '#!/bin/sh\n');
    const log = recordingLog();
    const swaps = fakeSwaps(binary, stage);
    closers.push(watchBinary(binary, stage, swaps, log));
    writeFileSync(stage, '#!/bin/sh\n# v2\n');
    await eventually(() => log.lines.some((l) => l.message === 'binary change caused by hotinit itself: ignored'));
    expect(swaps.requests).toEqual(['watch']);

    // A binary replaced by someone else is a swap.
    saveByRename(binary, '#!/bin/sh\n# v3\n');
    await eventually(() => swaps.requests.length === 2);
    expect(swaps.requests).toEqual(['watch', 'watch']);
  });
});

describe('--watch and --watch-binary under hotinit', () => {
  const APP = [PYTHON, join(FIXTURES, 'reload-app.py')];
  const isReload = (l: LogLine) => l.event === 'reload' && typeof l.result === 'string';

  it('reloads when the watched file is replaced by rename, and on a ConfigMap symlink swap', async () => {
    const root = dir();
    const plain = join(root, 'plain.conf');
    writeFileSync(plain, 'v1\n');
    const volume = join(root, 'volume');
    mkdirSync(volume);
    configMap(volume, 'a', 'map-v1\n');
    symlinkSync('..data/app.conf', join(volume, 'app.conf'));
    h = await Pid1.start({
      args: ['--ready', 'delay:100ms', '--watch', plain, '--watch', join(volume, 'app.conf')],
      command: APP,
      env: { APP_CONFIG: plain },
    });
    await h.waitForLog((l) => l.event === 'ready');

    saveByRename(plain, 'v2\n');
    const first = await h.waitForLog((l) => l.event === 'reload' && l.trigger === 'watch');
    expect(first.path).toBe(plain);
    await h.waitForLog(isReload);
    expect(await h.waitForOutput(/^hup 1 /)).toMatch(/^hup 1 v2 /);

    const mark = h.mark();
    configMap(volume, 'b', 'map-v2\n');
    const second = await h.waitForLog((l) => l.event === 'reload' && l.trigger === 'watch', { from: mark });
    expect(second.path).toBe(join(volume, 'app.conf'));
    await h.waitForLog(isReload, { from: mark });
    await h.waitForOutput(/^hup 2 /);
  });

  it('--watch-binary swaps once when a binary is staged (its own install does not trigger another)', async () => {
    const root = dir();
    const binary = join(root, 'app.sh');
    const stage = join(root, 'app.sh.next');
    const script = (version: string) => `#!/bin/sh\necho "version ${version}"\nexec ${PYTHON} ${join(FIXTURES, 'reload-app.py')}\n`;
    writeFileSync(binary, script('1'));
    chmodSync(binary, 0o755);
    h = await Pid1.start({ args: ['-v', '--ready', 'delay:200ms', '--watch-binary', '--stage', stage], command: [binary] });
    await h.waitForLog((l) => l.event === 'ready');
    writeFileSync(`${stage}.tmp`, script('2'));
    chmodSync(`${stage}.tmp`, 0o755);
    renameSync(`${stage}.tmp`, stage);
    await h.waitForLog((l) => l.event === 'swap.done' && l.gen === 2);
    await h.waitForOutput(/^version 2$/);
    await h.waitForLog((l) => l.msg === 'binary change caused by hotinit itself: ignored');
    expect(h.lines.filter((l) => l.event === 'swap.begin' && l.trigger === 'watch-binary')).toHaveLength(1);
    expect(h.lines.filter((l) => l.event === 'spawn')).toHaveLength(2);
  });
});
