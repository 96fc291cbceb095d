/**
 * File watching for --watch (reload) and --watch-binary (swap).
 *
 * A path is watched through its parent directory (and the directory of what
 * it resolves to), never through its own inode: editors replace a file by
 * rename, and a Kubernetes ConfigMap volume swaps the `..data` symlink, so
 * the inode one would watch is not the one that changes. Any event (or a
 * slow poll, for filesystems without inotify) only schedules a look; what
 * counts is the path's fingerprint — realpath, device, inode, mtime, size
 * (and, for a directory, those of its entries). A change is reported once
 * the new fingerprint has held still across two looks `settleMs` apart: a
 * burst of events gives one report, and a half-written file none.
 */
import { readdirSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Log, LogEvent } from './log.js';

export const SETTLE_MS = 300;
export const POLL_MS = 2000;

export interface Fingerprint {
  realpath: string;
  /** dev:ino:mtime:size of the file itself (what a rename keeps). */
  file: string;
  /** For a directory: its entries' names and file keys. */
  entries: string;
}

function fileKey(stat: { dev: number; ino: number; mtimeMs: number; size: number }): string {
  return `${stat.dev}:${stat.ino}:${stat.mtimeMs}:${stat.size}`;
}

/** The path's fingerprint, following symlinks; null when it does not exist (or is dangling). */
export function fingerprintOf(path: string): Fingerprint | null {
  try {
    const stat = statSync(path);
    const realpath = realpathSync(path);
    let entries = '';
    if (stat.isDirectory()) {
      entries = readdirSync(path)
        .sort()
        .map((name) => {
          try {
            return `${name}=${fileKey(statSync(join(path, name)))}`;
          } catch {
            return `${name}=-`;
          }
        })
        .join('|');
    }
    return { realpath, file: fileKey(stat), entries };
  } catch {
    return null;
  }
}

export function sameFingerprint(a: Fingerprint | null, b: Fingerprint | null): boolean {
  if (a === null || b === null) return a === b;
  return a.realpath === b.realpath && a.file === b.file && a.entries === b.entries;
}

export interface WatchSettings {
  settleMs?: number;
  pollMs?: number;
  /** The event of this watcher's own debug lines ('reload' for --watch, 'swap.begin' for --watch-binary). */
  event?: LogEvent;
}

/** Watches one path; calls onChange(fingerprint) once per settled change to an existing path. */
export class PathWatcher {
  private readonly settleMs: number;
  private readonly event: LogEvent;
  private readonly dirs = new Map<string, FSWatcher>();
  private baseline: Fingerprint | null;
  /** The fingerprint seen at the last look, waiting to be confirmed by the next one. */
  private candidate: Fingerprint | null | undefined = undefined;
  private timer: NodeJS.Timeout | null = null;
  private readonly poller: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly onChange: (fingerprint: Fingerprint) => void,
    private readonly log: Log,
    settings: WatchSettings = {},
  ) {
    this.settleMs = settings.settleMs ?? SETTLE_MS;
    this.event = settings.event ?? 'reload';
    this.baseline = fingerprintOf(path);
    this.watchDirectories();
    this.poller = setInterval(() => this.schedule(), settings.pollMs ?? POLL_MS);
    this.poller.unref();
  }

  /** What the path looked like at the last report (or at start). */
  get current(): Fingerprint | null {
    return this.baseline;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poller);
    if (this.timer) clearTimeout(this.timer);
    for (const watcher of this.dirs.values()) watcher.close();
    this.dirs.clear();
  }

  /** A look soon; events during the wait do not postpone it (a busy directory cannot starve it). */
  private schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => this.look(), this.settleMs);
  }

  private look(): void {
    this.timer = null;
    if (this.closed) return;
    const seen = fingerprintOf(this.path);
    if (sameFingerprint(seen, this.baseline)) {
      this.candidate = undefined;
    } else if (this.candidate !== undefined && sameFingerprint(seen, this.candidate)) {
      this.candidate = undefined;
      this.baseline = seen;
      // A path that went away is not a change to report; its return will be.
      if (seen !== null) {
        this.log.debug(this.event, { path: this.path, realpath: seen.realpath }, 'watched path changed');
        this.onChange(seen);
      }
    } else {
      this.candidate = seen;
      this.schedule();
    }
    this.watchDirectories();
  }

  /** The parent directory, the directory the path resolves into, and a watched directory itself. */
  private watchDirectories(): void {
    const wanted = new Set<string>([dirname(this.path)]);
    const seen = this.baseline ?? fingerprintOf(this.path);
    if (seen) {
      wanted.add(dirname(seen.realpath));
      if (seen.entries !== '' || isDirectory(this.path)) wanted.add(seen.realpath);
    }
    for (const [dir, watcher] of this.dirs) {
      if (!wanted.has(dir)) {
        watcher.close();
        this.dirs.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.dirs.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, () => this.schedule());
        watcher.on('error', () => {
          // The directory went away (or was replaced): the poll keeps looking and re-watches.
          watcher.close();
          if (this.dirs.get(dir) === watcher) this.dirs.delete(dir);
        });
        this.dirs.set(dir, watcher);
      } catch (error) {
        this.log.debug(this.event, { path: this.path, dir, error: (error as Error).message }, 'cannot watch directory (polling)');
      }
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface Closable {
  close(): void;
}

/** --watch PATH: a settled change requests a reload. */
export function watchForReload(paths: readonly string[], reload: (source: string) => Promise<unknown>, log: Log): Closable[] {
  return paths.map((path) => {
    const watcher = new PathWatcher(path, () => {
      log.info('reload', { trigger: 'watch', path }, 'watched path changed: reloading');
      void reload('watch');
    }, log);
    if (watcher.current === null) log.warn('reload', { path }, '--watch path does not exist (yet): watching for it');
    return watcher;
  });
}

export interface BinarySwaps {
  readonly inProgress: boolean;
  whenIdle(): Promise<void>;
  request(source: string): Promise<unknown>;
}

/**
 * --watch-binary: a settled change of the command's binary, or a file
 * appearing at --stage, requests a swap. The swap's own install renames the
 * staged file over the binary (and a rollback links the previous one back):
 * those inodes are remembered as hotinit's, so that rename never triggers a
 * second swap.
 */
export function watchBinary(binary: string, stage: string | null, swaps: BinarySwaps, log: Log): Closable {
  const own = new Set<string>();
  const request = (path: string) => {
    log.info('swap.begin', { trigger: 'watch-binary', path }, 'binary changed: swapping');
    void swaps.request('watch');
  };
  const onBinaryChange = async (): Promise<void> => {
    // A change during a swap is most likely the swap's own install: judge it once the swap is over.
    await swaps.whenIdle();
    const now = fingerprintOf(binary);
    if (now === null) return;
    if (own.has(now.file)) {
      log.debug('swap.begin', { path: binary }, 'binary change caused by hotinit itself: ignored');
      return;
    }
    own.add(now.file);
    request(binary);
  };
  const settings: WatchSettings = { event: 'swap.begin' };
  const binaryWatcher = new PathWatcher(binary, () => void onBinaryChange(), log, settings);
  if (binaryWatcher.current) own.add(binaryWatcher.current.file);
  const stageWatcher = stage
    ? new PathWatcher(stage, (fingerprint) => {
        own.add(fingerprint.file); // it will be renamed over the binary
        request(stage);
      }, log, settings)
    : null;
  log.debug('start', { watchBinary: binary, stage: stage ?? undefined });
  return {
    close() {
      binaryWatcher.close();
      stageWatcher?.close();
    },
  };
}
