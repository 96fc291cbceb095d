/**
 * The only module that builds the logger. Every line is a fact with fields,
 * and its `event` is one of SPEC.md's closed list, so a typo fails to compile.
 * Lines are written synchronously: the last one before PID 1 exits is kept.
 */
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { pino, type DestinationStream, type Logger } from 'pino';

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

export interface LogSettings {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  format: 'json' | 'pretty' | 'auto';
  /** Where lines go; stderr (fd 2) unless a test says otherwise. */
  fd?: number;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
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

function wrap(logger: Logger): Log {
  const at =
    (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') =>
    (event: LogEvent, fields: LogFields = {}, message?: string) => {
      if (!logger.isLevelEnabled(level)) return;
      if (message === undefined) logger[level]({ event, ...fields });
      else logger[level]({ event, ...fields }, message);
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => wrap(logger.child(fields)),
    isLevelEnabled: (level) => logger.isLevelEnabled(level),
  };
}

export function createLog(settings: LogSettings): Log {
  const fd = settings.fd ?? 2;
  const pretty = settings.format === 'pretty' || (settings.format === 'auto' && isatty(fd));
  const logger = pino(
    {
      name: 'hotinit',
      level: settings.level,
      base: { name: 'hotinit' },
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (_label, number) => ({ level: number }) },
    },
    destination(fd, pretty),
  );
  return wrap(logger);
}
