/**
 * The logger keeps lines until open() loads pino (so the first generation
 * does not wait for pino), then writes them in order, with the time each was
 * logged at. Lines go to a real file through a real fd.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLog, type LogSettings } from '../../src/log.js';
import { tempDir } from '../control/helpers.js';

let file: string;
let fd: number;
let cleanup: () => void;

beforeEach(() => {
  let dir: string;
  ({ dir, cleanup } = tempDir());
  file = join(dir, 'log');
  fd = openSync(file, 'w');
});

afterEach(() => {
  closeSync(fd);
  cleanup();
});

const written = () =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const settings = (level: LogSettings['level'] = 'info'): LogSettings => ({ level, format: 'json', fd });

/** Resolves after `ms` of wall-clock time have passed (Date.now() moved on). */
async function clockMoves(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) await new Promise((resolve) => setTimeout(resolve, until - Date.now()));
}

describe('log before and after open()', () => {
  it('writes nothing before open(), then every kept line in order with the time it was logged at', async () => {
    const log = createLog(settings());
    const before = Date.now();
    log.info('start', { version: '1' });
    const gen = log.child({ gen: 1 });
    gen.info('spawn', { pid: 7 }, 'started');
    const logged = Date.now();
    expect(readFileSync(file, 'utf8')).toBe('');

    await clockMoves(30);
    await log.open();
    const lines = written();
    expect(lines.map((l) => l.event)).toEqual(['start', 'spawn']);
    expect(lines[1]).toMatchObject({ name: 'hotinit', level: 30, gen: 1, pid: 7, msg: 'started' });
    for (const line of lines) {
      expect(line.time).toBeGreaterThanOrEqual(before);
      expect(line.time).toBeLessThanOrEqual(logged); // not the time of open()
    }

    const after = Date.now();
    gen.warn('ready', { pid: 7 });
    const last = written().at(-1)!;
    expect(last).toMatchObject({ event: 'ready', gen: 1, level: 40 });
    expect(last.time).toBeGreaterThanOrEqual(after);
  });

  it('keeps only lines at or above the level, before and after open()', async () => {
    const log = createLog(settings('warn'));
    log.info('start');
    log.warn('control', { path: '/x' });
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.isLevelEnabled('error')).toBe(true);
    await log.open();
    log.debug('signal');
    log.error('exit', { status: 1 });
    expect(written().map((l) => l.event)).toEqual(['control', 'exit']);
  });

  it('open() loads pino once, however often it is called', async () => {
    const log = createLog(settings());
    log.info('start');
    const first = log.open();
    expect(log.open()).toBe(first);
    await first;
    await log.open();
    expect(written()).toHaveLength(1);
  });

  it('a child made before open() and used only after it still carries its fields', async () => {
    const log = createLog(settings());
    const conn = log.child({ peerPid: 42 }).child({ gen: 3 });
    await log.open();
    conn.info('control', {}, 'hello');
    expect(written()).toEqual([expect.objectContaining({ event: 'control', peerPid: 42, gen: 3, msg: 'hello' })]);
  });

  it('writes readable lines with the level by name when asked for pretty', async () => {
    const log = createLog({ level: 'info', format: 'pretty', fd });
    log.warn('control', { path: '/x' }, 'fell back');
    await log.open();
    expect(readFileSync(file, 'utf8')).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  control path=\/x  fell back\n$/);
  });
});
