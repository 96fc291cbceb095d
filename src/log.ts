/**
 * The only module that builds the logger. Every line is a fact with fields,
 * and its `event` is one of SPEC.md's closed list, so a typo fails to compile.
 * Lines are written synchronously: the last one before PID 1 exits is kept.
 *
 * pino is loaded only when open() is called: loading it takes about a third
 * of hotinit's own start-up, and the application must not wait for that.
 * Lines logged before are kept, in order, and written by open() with the
 * time they were logged at.
 */
import { writeSync } from 'node:fs';
import type { DestinationStream, Logger } from 'pino';

export const LOG_EVENTS = [
  'start',
  'spawn',
  'ready',
  'swap.begin',
  'swap.done',
  'swap.failed',
  'rollback',
  'drain',
  'reload',
  'reload.failed',
  'reap',
  'signal',
  'exit',
  // Not in SPEC.md's list: the control socket's own facts (a refused peer,
  // a dropped client), which fit none of the above.
  'control',
] as const;
export type LogEvent = (typeof LOG_EVENTS)[number];

export type LogFields = Record<string, unknown> & { gen?: number; pid?: number };

export interface Log {
  trace(event: LogEvent, fields?: LogFields, message?: string): void;
  debug(event: LogEvent, fields?: LogFields, message?: string): void;
  info(event: LogEvent, fields?: LogFields, message?: string): void;
  warn(event: LogEvent, fields?: LogFields, message?: string): void;
  error(event: LogEvent, fields?: LogFields, message?: string): void;
  /** A logger whose every line carries these fields (e.g. { gen: 2 }). */
  child(fields: LogFields): Log;
  isLevelEnabled(level: 'trace' | 'debug' | 'info' | 'warn' | 'error'): boolean;
}

/** The logger init.ts owns: the only one that can load pino. */
export interface RootLog extends Log {
  /** Loads pino and writes the lines kept until now; every call returns the same promise. */
  open(): Promise<void>;
}

export interface LogSettings {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  format: 'json' | 'pretty' | 'auto';
  /** Where lines go; stderr (fd 2) unless a test says otherwise. */
  fd?: number;
}

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
const LEVEL_VALUES: Record<LogSettings['level'], number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

/** 30 → 'INFO', for readable lines. */
const LEVEL_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(LEVEL_VALUES).map(([name, value]) => [value, name.toUpperCase()]),
);
const HIDDEN_IN_PRETTY = new Set(['level', 'time', 'msg', 'event', 'name', 'hostname']);

/** Readable lines for a terminal: "12:00:01.234 INFO  spawn gen=1 pid=7 message". */
export function formatPretty(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = new Date(typeof record.time === 'number' ? record.time : Date.now()).toISOString().slice(11, 23);
  const level = (LEVEL_NAMES[record.level as number] ?? String(record.level)).padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN_IN_PRETTY.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? (/\s/.test(value) ? JSON.stringify(value) : value) : JSON.stringify(value)}`);
  const message = typeof record.msg === 'string' && record.msg ? `  ${record.msg}` : '';
  return `${time} ${level} ${String(record.event ?? '-')} ${fields.join(' ')}${message}\n`;
}

function destination(fd: number, pretty: boolean): DestinationStream {
  return {
    write(line: string) {
      const text = pretty ? formatPretty(line) : line;
      try {
        writeSync(fd, text);
      } catch {
        // stderr closed or full: an init must not die for its log.
      }
    },
  };
}

/** A line logged before pino was loaded. */
interface KeptLine {
  logger: () => Logger;
  level: Level;
  record: Record<string, unknown>;
  message: string | undefined;
  time: number;
}

export function createLog(settings: LogSettings): RootLog {
  const fd = settings.fd ?? 2;
  const threshold = LEVEL_VALUES[settings.level];
  const enabled = (level: Level) => LEVEL_VALUES[level] >= threshold;
  let root: Logger | null = null;
  let opening: Promise<void> | null = null;
  const kept: KeptLine[] = [];
  // While kept lines are written, pino stamps them with this instead of now.
  let keptTime: number | null = null;

  const write = (logger: Logger, level: Level, record: Record<string, unknown>, message: string | undefined) => {
    if (message === undefined) logger[level](record);
    else logger[level](record, message);
  };

  // `logger` makes this log's pino logger (a child of the root) on first use, once the root exists.
  const make = (makeLogger: () => Logger): Log => {
    let made: Logger | null = null;
    const logger = () => (made ??= makeLogger());
    const at = (level: Level) => (event: LogEvent, fields: LogFields = {}, message?: string) => {
      if (!enabled(level)) return;
      const record = { event, ...fields };
      if (root === null) kept.push({ logger, level, record, message, time: Date.now() });
      else write(logger(), level, record, message);
    };
    return {
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (fields) => make(() => logger().child(fields)),
      isLevelEnabled: enabled,
    };
  };

  const open = async () => {
    const [{ pino }, { isatty }] = await Promise.all([import('pino'), import('node:tty')]);
    const pretty = settings.format === 'pretty' || (settings.format === 'auto' && isatty(fd));
    root = pino(
      {
        name: 'hotinit',
        level: settings.level,
        base: { name: 'hotinit' },
        timestamp: () => `,"time":${keptTime ?? Date.now()}`,
        formatters: { level: (_label, number) => ({ level: number }) },
      },
      destination(fd, pretty),
    );
    for (const line of kept.splice(0)) {
      keptTime = line.time;
      write(line.logger(), line.level, line.record, line.message);
    }
    keptTime = null;
  };

  return Object.assign(
    make(() => {
      if (root === null) throw new Error('log: pino used before open()');
      return root;
    }),
    { open: () => (opening ??= open()) },
  );
}
