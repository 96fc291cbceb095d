// Command line and HOTINIT_* environment → a typed, validated ParsedCommand.
// Pure: reads only the argv and env it is given. Every failure is a
// UsageError whose message is one line naming the flag (as written) or the
// env variable, the value in double quotes, and what would be accepted.

import { parseDuration } from './durations.js';
import {
  LOG_LEVELS, nonEmpty, oneOf, parseControlPath, parseExitCode, parseListen, parseReady,
  parseRewrite, parseVerbosity, positiveDuration, quote, verbosityLevel, type ListenSpec, type LogLevel,
  type ReadyMode,
} from './option-values.js';
import { parseSignal, SIG } from './signals.js';
import { convert, maybe, opt, scan, Sources, UsageError, type Env, type Given, type OptionDef } from './argv-scan.js';

export { envName, UsageError } from './argv-scan.js';
// The value types are part of this module's interface: Options is made of them.
export { LOG_LEVELS, type ListenAddress, type ListenSpec, type LogLevel, type ReadyMode } from './option-values.js';

export type ControlAction = 'status' | 'swap' | 'reload' | 'health';
export type ParsedCommand =
  | { kind: 'run'; options: Options }
  | { kind: 'help' }
  | { kind: 'version' }
  | {
      kind: 'control';
      action: ControlAction;
      json: boolean;
      stage: string | null;      // swap --stage; null = the server's own --stage
      timeoutMs: number | null;  // swap/reload --timeout; null = wait for the server
      control: string;           // socket path
    };

export interface Options {
  command: string[];               // [file, ...args], never empty
  subreaper: boolean;              // -s; HOTINIT_SUBREAPER, else TINI_SUBREAPER set = on
  killProcessGroup: boolean;       // -g; HOTINIT_GROUP, else TINI_KILL_PROCESS_GROUP set = on
  pdeathsig: number | null;        // -p SIG
  remapExit: number[];             // -e CODE, repeatable, deduplicated
  rewrite: Map<number, number>;    // -r FROM:TO, TO 0 = drop; a later FROM wins
  warnReap: boolean;               // -w
  stopTimeoutMs: number;           // --stop-timeout, may be 0
  logLevel: LogLevel;              // --log-level, -v (debug), -vv (trace)
  logFormat: 'json' | 'pretty' | 'auto';
  listen: ListenSpec[];            // -l [NAME=]ADDR, in order (fd 3, 4, ...)
  ready: ReadyMode;
  readyTimeoutMs: number;          // > 0
  readyDelayMs: number;            // auto mode: alive this long = ready
  minReadyMs: number;              // a ready candidate must stay up this long before the old one drains
  drainSignal: number;
  drainTimeoutMs: number;          // > 0
  stage: string | null;
  verify: string | null;
  swapMode: 'handoff' | 'forward';
  upgradeSignal: number;           // forward mode: sent to the app on USR2
  pidfile: string | null;
  watchBinary: boolean;
  reloadSignal: number;
  reloadCheck: string | null;
  reloadMode: 'signal' | 'swap';
  reloadTimeoutMs: number;         // > 0
  watch: string[];
  control: string | null;          // null = --control off
}

/** Shared with usage.ts so the help text cannot drift from the parser. */
export const DEFAULTS = {
  stopTimeoutMs: 8_000, readyTimeoutMs: 30_000, readyDelayMs: 2_000, minReadyMs: 200, drainTimeoutMs: 30_000,
  reloadTimeoutMs: 30_000, control: '/run/hotinit.sock',
} as const;


const RUN_OPTIONS: readonly OptionDef[] = [
  opt('subreaper', 'flag', 's'), opt('group', 'flag', 'g'), opt('pdeathsig', 'value', 'p'),
  opt('remap-exit', 'value', 'e'), opt('rewrite', 'value', 'r'), opt('warn-reap', 'flag', 'w'),
  opt('stop-timeout', 'value'), opt('verbose', 'count', 'v'), opt('log-level', 'value'),
  opt('log-format', 'value'), opt('listen', 'value', 'l'), opt('ready', 'value'),
  opt('ready-timeout', 'value'), opt('ready-delay', 'value'), opt('min-ready', 'value'), opt('drain-signal', 'value'),
  opt('drain-timeout', 'value'), opt('stage', 'value'), opt('verify', 'value'),
  opt('swap-mode', 'value'), opt('upgrade-signal', 'value'), opt('pidfile', 'value'),
  opt('watch-binary', 'flag'), opt('reload-signal', 'value'), opt('reload-check', 'value'),
  opt('reload-mode', 'value'), opt('reload-timeout', 'value'), opt('watch', 'value'),
  opt('control', 'value'), opt('help', 'flag', 'h'), opt('version', 'flag', 'V'),
];
const CONTROL_OPTIONS: readonly OptionDef[] = [
  opt('control', 'value'), opt('json', 'flag'), opt('health', 'flag'), opt('stage', 'value'),
  opt('timeout', 'value'), opt('help', 'flag', 'h'),
];
/** Which control option each subcommand accepts (besides --control, --help). */
const CONTROL_ALLOWED: Readonly<Record<ControlAction, readonly string[]>> = {
  status: ['json', 'health'],
  health: ['json', 'health'],
  swap: ['stage', 'timeout'],
  reload: ['timeout'],
};

function resolveLogLevel(src: Sources): LogLevel {
  const level = oneOf(LOG_LEVELS, 'a log level');
  const verbosity = (g: Given): LogLevel => verbosityLevel(convert(g, parseVerbosity));
  // Flags beat env; within a layer an explicit --log-level beats -v.
  const flagLevel = src.lastFlag('log-level');
  if (flagLevel) return convert(flagLevel, level);
  const count = src.flagCount('verbose');
  if (count !== undefined) return verbosityLevel(count);
  const envLevel = src.fromEnv('log-level');
  if (envLevel) return convert(envLevel, level);
  const envVerbose = src.fromEnv('verbose');
  return envVerbose ? verbosity(envVerbose) : 'info';
}

function parseControl(action: ControlAction, argv: readonly string[], env: Env): ParsedCommand {
  const { given, rest, early } = scan(argv, CONTROL_OPTIONS);
  if (early) return { kind: early };
  for (const [long, list] of given) {
    if (long !== 'control' && !CONTROL_ALLOWED[action].includes(long)) {
      throw new UsageError(`${list[0]!.label} does not apply to hotinit ${action}`);
    }
  }
  if (rest.length > 0) {
    throw new UsageError(`unexpected argument ${quote(rest[0]!)} after hotinit ${action}`);
  }
  const src = new Sources(given, env);
  // Only --control has an env twin here: a HOTINIT_STAGE in the container's
  // env configures the server, which applies it to every swap anyway.
  const controlGiven = src.one('control');
  const control = maybe<string | null>(controlGiven, DEFAULTS.control, parseControlPath);
  if (control === null) {
    throw new UsageError(`${controlGiven!.label}: the control socket is off, nothing to talk to`);
  }
  const stage = src.lastFlag('stage');
  const timeout = src.lastFlag('timeout');
  return {
    kind: 'control',
    action: given.has('health') ? 'health' : action,
    json: given.has('json'),
    stage: maybe(stage, null, nonEmpty('a path')),
    timeoutMs: maybe(timeout, null, positiveDuration),
    control,
  };
}

const CONTROL_ACTIONS: readonly string[] = ['status', 'swap', 'reload', 'health'];

/** argv without node and script. Throws UsageError on any bad input. */
export function parseArgs(argv: string[], env: Env): ParsedCommand {
  const first = argv[0];
  if (first !== undefined && CONTROL_ACTIONS.includes(first)) {
    return parseControl(first as ControlAction, argv.slice(1), env);
  }
  const { given, rest, early } = scan(argv, RUN_OPTIONS);
  if (early) return { kind: early };
  const src = new Sources(given, env);
  const signal = (long: string, fallback: number): number =>
    maybe(src.one(long), fallback, parseSignal);
  const duration = (long: string, fallback: number, parse = parseDuration): number =>
    maybe(src.one(long), fallback, parse);
  const text = (long: string, what: string): string | null =>
    maybe(src.one(long), null, nonEmpty(what));
  const choice = <T extends string>(long: string, choices: readonly T[], what: string): T =>
    maybe(src.one(long), choices[0]!, oneOf(choices, what));

  const rewrite = new Map<number, number>();
  for (const g of src.all('rewrite')) {
    const [from, to] = convert(g, parseRewrite);
    rewrite.set(from, to); // a later rule for the same FROM wins, as in dumb-init
  }
  const listen: ListenSpec[] = [];
  for (const g of src.all('listen')) {
    const spec = convert(g, (t) => parseListen(t, listen.length));
    if (listen.some((l) => l.name === spec.name)) {
      throw new UsageError(`${g.label}: name ${quote(spec.name)} is used twice`);
    }
    listen.push(spec);
  }
  const options: Options = {
    command: rest,
    subreaper: src.flag('subreaper', 'TINI_SUBREAPER'),
    killProcessGroup: src.flag('group', 'TINI_KILL_PROCESS_GROUP'),
    pdeathsig: maybe(src.one('pdeathsig'), null, parseSignal),
    remapExit: [...new Set(src.all('remap-exit').map((g) => convert(g, parseExitCode)))],
    rewrite,
    warnReap: src.flag('warn-reap'),
    stopTimeoutMs: duration('stop-timeout', DEFAULTS.stopTimeoutMs),
    logLevel: resolveLogLevel(src),
    logFormat: choice('log-format', ['auto', 'json', 'pretty'], 'a log format'),
    listen,
    ready: maybe(src.one('ready'), { kind: 'auto' }, parseReady),
    readyTimeoutMs: duration('ready-timeout', DEFAULTS.readyTimeoutMs, positiveDuration),
    readyDelayMs: duration('ready-delay', DEFAULTS.readyDelayMs),
    minReadyMs: duration('min-ready', DEFAULTS.minReadyMs),
    drainSignal: signal('drain-signal', SIG.TERM),
    drainTimeoutMs: duration('drain-timeout', DEFAULTS.drainTimeoutMs, positiveDuration),
    stage: text('stage', 'a path'),
    verify: text('verify', 'a command'),
    swapMode: choice('swap-mode', ['handoff', 'forward'], 'a swap mode'),
    upgradeSignal: signal('upgrade-signal', SIG.USR2),
    pidfile: text('pidfile', 'a path'),
    watchBinary: src.flag('watch-binary'),
    reloadSignal: signal('reload-signal', SIG.HUP),
    reloadCheck: text('reload-check', 'a command'),
    reloadMode: choice('reload-mode', ['signal', 'swap'], 'a reload mode'),
    reloadTimeoutMs: duration('reload-timeout', DEFAULTS.reloadTimeoutMs, positiveDuration),
    watch: src.all('watch').map((g) => convert(g, nonEmpty('a path'))),
    control: maybe(src.one('control'), DEFAULTS.control, parseControlPath),
  };
  if (rest.length === 0) throw new UsageError('missing command (e.g. hotinit -- /app/server)');
  if (rest[0] === '') throw new UsageError('the command is an empty string');
  return { kind: 'run', options };
}
