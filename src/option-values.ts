// The value of one option, text → typed value: listen addresses, --ready
// modes, rewrite rules, exit codes, paths and the like. Each parser throws a
// plain Error naming the value in double quotes and what would be accepted;
// options.ts knows which flag or env variable the value came from and puts
// its name in front (`--listen: "x" is not an address ...`).

import { parseDuration } from './durations.js';
import { isForwardable, parseSignal, signalName } from './signals.js';

export type ListenAddress =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'udp'; host: string; port: number }
  | { kind: 'unix'; path: string };
export interface ListenSpec { name: string; address: ListenAddress; text: string }
export type ReadyMode =
  | { kind: 'auto' }
  | { kind: 'notify' } | { kind: 'fd' }
  | { kind: 'exec'; command: string }
  | { kind: 'delay'; ms: number };
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A value as messages show it: in double quotes, escaped. */
export const quote = (text: string): string => JSON.stringify(text);

export function parseBoolean(text: string): boolean {
  const lower = text.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(lower)) return false;
  throw new Error(`${quote(text)} is not a boolean (1, true, yes, on / 0, false, no, off)`);
}
export function oneOf<T extends string>(choices: readonly T[], what: string): (text: string) => T {
  return (text) => {
    if ((choices as readonly string[]).includes(text)) return text as T;
    throw new Error(`${quote(text)} is not ${what} (${choices.join(', ')})`);
  };
}
export function positiveDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms <= 0) throw new Error(`${quote(text)} is not a duration above 0 (e.g. 30s)`);
  return ms;
}
export function nonEmpty(what: string): (text: string) => string {
  return (text) => {
    if (text === '') throw new Error(`"" is not ${what}`);
    return text;
  };
}
export function parseExitCode(text: string): number {
  if (!/^\d{1,3}$/.test(text) || Number(text) > 255) {
    throw new Error(`${quote(text)} is not an exit code (0-255)`);
  }
  return Number(text);
}
export function parseRewrite(text: string): [number, number] {
  const parts = text.split(':');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new Error(`${quote(text)} is not FROM:TO (e.g. TERM:QUIT, or WINCH:0 to drop)`);
  }
  const from = parseSignal(parts[0]!);
  if (!isForwardable(from)) {
    throw new Error(`${quote(text)}: ${signalName(from)} is never forwarded, so cannot be rewritten`);
  }
  // USR1/USR2 mean reload/swap to hotinit itself (SPEC): they never reach the
  // app as such, so a rewrite of them would silently do nothing.
  if (from === 10 || from === 12) {
    throw new Error(`${quote(text)}: ${signalName(from)} is hotinit's own (${from === 12 ? 'swap' : 'reload'}); use --${from === 12 ? 'upgrade-signal' : 'reload-signal'} or --reload-mode`);
  }
  return [from, parts[1] === '0' ? 0 : parseSignal(parts[1]!)];
}
export function parseReady(text: string): ReadyMode {
  if (text === 'auto' || text === 'notify' || text === 'fd') return { kind: text };
  if (text.startsWith('exec:')) {
    const command = text.slice('exec:'.length);
    if (command.trim() === '') {
      throw new Error(`${quote(text)} has no command (e.g. exec:/app/healthcheck)`);
    }
    return { kind: 'exec', command };
  }
  if (text.startsWith('delay:')) {
    try {
      return { kind: 'delay', ms: parseDuration(text.slice('delay:'.length)) };
    } catch {
      throw new Error(`${quote(text)} has no valid duration (e.g. delay:2s)`);
    }
  }
  throw new Error(`${quote(text)} is not a readiness mode (notify, fd, exec:CMD, delay:DUR)`);
}

// sockaddr_un.sun_path is 108 bytes including the terminating NUL.
const UNIX_PATH_MAX_BYTES = 107;
const LISTEN_EG = '(e.g. tcp://0.0.0.0:8080, unix:///run/app.sock)';
// systemd joins LISTEN_FDNAMES with ':', so a name may not contain one.
const LISTEN_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

function checkUnixPath(path: string, text: string): string {
  if (!path.startsWith('/') || path.includes('\0')) {
    throw new Error(`${quote(text)} is not an absolute path ${LISTEN_EG}`);
  }
  return checkSocketPathLength(path, text);
}
function checkSocketPathLength(path: string, text: string): string {
  if (Buffer.byteLength(path) > UNIX_PATH_MAX_BYTES) {
    throw new Error(`${quote(text)} is longer than ${UNIX_PATH_MAX_BYTES} bytes`);
  }
  return path;
}
/** node:net's check, loaded only for a bracketed host: loading node:net slows start-up. */
function isIPv6Address(host: string): boolean {
  return process.getBuiltinModule('node:net').isIPv6(host);
}

function parseHostPort(rest: string, text: string): { host: string; port: number } {
  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    host = close < 0 ? '' : rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (close < 0 || !isIPv6Address(host) || (after !== '' && !after.startsWith(':'))) {
      throw new Error(`${quote(text)} is not an address ${LISTEN_EG}`);
    }
    portText = after.slice(1);
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? '' : rest.slice(colon + 1);
    if (host.includes(':')) {
      throw new Error(`${quote(text)}: an IPv6 address goes in brackets (e.g. tcp://[::1]:8080)`);
    }
    // `tcp://:8080` means every IPv4 interface, as in Go and nginx.
    if (host === '') host = '0.0.0.0';
    if (!/^[A-Za-z0-9.-]+$/.test(host)) throw new Error(`${quote(text)} is not an address ${LISTEN_EG}`);
  }
  if (portText === '') throw new Error(`${quote(text)} has no port ${LISTEN_EG}`);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new Error(`${quote(text)} has a port outside 0-65535`);
  }
  return { host, port: Number(portText) };
}
/** `[NAME=]ADDR`; a socket without a NAME is called after its position (listen0, listen1, ...). */
export function parseListen(text: string, index: number): ListenSpec {
  let name = `listen${index}`;
  let addr = text;
  const eq = text.indexOf('=');
  const scheme = text.indexOf('://');
  if (eq >= 0 && (scheme < 0 || eq < scheme)) {
    name = text.slice(0, eq);
    addr = text.slice(eq + 1);
    if (!LISTEN_NAME.test(name)) {
      throw new Error(`${quote(name)} is not a socket name (1-255 of A-Z a-z 0-9 _ . -)`);
    }
  }
  const match = /^([a-z0-9]+):\/\/(.*)$/i.exec(addr);
  const kind = match?.[1]?.toLowerCase();
  const rest = match?.[2] ?? '';
  if (kind === 'unix') return { name, text, address: { kind, path: checkUnixPath(rest, text) } };
  if (kind === 'tcp' || kind === 'udp') {
    return { name, text, address: { kind, ...parseHostPort(rest, text) } };
  }
  if (kind !== undefined) {
    throw new Error(`${quote(text)} has an unknown scheme (tcp://, udp://, unix://)`);
  }
  throw new Error(`${quote(text)} is not an address ${LISTEN_EG}`);
}
export function parseControlPath(text: string): string | null {
  if (text === 'off') return null;
  if (text === '' || text.includes('\0')) throw new Error(`${quote(text)} is not a path (or off)`);
  return checkSocketPathLength(text, text);
}

/** -v/--verbose count (flags) or HOTINIT_VERBOSE (a number) → level. */
export function verbosityLevel(count: number): LogLevel {
  return count <= 0 ? 'info' : count === 1 ? 'debug' : 'trace';
}
export function parseVerbosity(text: string): number {
  if (!/^\d+$/.test(text)) {
    throw new Error(`${quote(text)} is not a number (e.g. 1 for debug, 2 for trace)`);
  }
  return Number(text);
}
