import { describe, it, expect } from 'vitest';
import { DEFAULTS, UsageError, envName, parseArgs, type Options } from '../../src/options.js';
import { helpText, versionText } from '../../src/usage.js';

type Env = Record<string, string | undefined>;

/** Parses a run command and returns its options (fails the test otherwise). */
function run(argv: string[], env: Env = {}): Options {
  const parsed = parseArgs(argv, env);
  if (parsed.kind !== 'run') throw new Error(`expected run, got ${parsed.kind}`);
  return parsed.options;
}
/** The UsageError message for argv/env (fails the test if none is thrown). */
function usageError(argv: string[], env: Env = {}): string {
  try {
    parseArgs(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error(`no UsageError for ${JSON.stringify(argv)}`);
}

describe('defaults', () => {
  it('match the contract', () => {
    expect(run(['/app/server'])).toEqual({
      command: ['/app/server'],
      subreaper: false,
      killProcessGroup: false,
      pdeathsig: null,
      remapExit: [],
      rewrite: new Map(),
      warnReap: false,
      stopTimeoutMs: 8000,
      logLevel: 'info',
      logFormat: 'auto',
      listen: [],
      ready: { kind: 'auto' },
      readyTimeoutMs: 30_000,
      readyDelayMs: 2000,
      minReadyMs: 200,
      drainSignal: 15,
      drainTimeoutMs: 30_000,
      stage: null,
      verify: null,
      swapMode: 'handoff',
      upgradeSignal: 12,
      pidfile: null,
      watchBinary: false,
      reloadSignal: 1,
      reloadCheck: null,
      reloadMode: 'signal',
      reloadTimeoutMs: 30_000,
      watch: [],
      control: '/run/hotinit.sock',
    } satisfies Options);
    expect(DEFAULTS.control).toBe('/run/hotinit.sock');
  });
});

describe('command and option scanning', () => {
  it('stops at the first non-option', () => {
    expect(run(['sh', '-c', 'x']).command).toEqual(['sh', '-c', 'x']);
    expect(run(['-s', 'sh', '-g', '--subreaper']).command).toEqual(['sh', '-g', '--subreaper']);
    expect(run(['-s', 'sh', '-g']).killProcessGroup).toBe(false);
  });
  it('takes everything after -- as the command', () => {
    expect(run(['--', '-weird']).command).toEqual(['-weird']);
    expect(run(['-s', '--', 'app', '--', '-x']).command).toEqual(['app', '--', '-x']);
    expect(run(['--', 'status']).command).toEqual(['status']);
  });
  it('treats a lone - as the command', () => {
    expect(run(['-']).command).toEqual(['-']);
  });
  it('bundles short switches', () => {
    const o = run(['-sgw', 'app']);
    expect([o.subreaper, o.killProcessGroup, o.warnReap]).toEqual([true, true, true]);
  });
  it('accepts attached and separate values', () => {
    for (const argv of [['-e', '3'], ['-e3'], ['-e=3'], ['--remap-exit=3'], ['--remap-exit', '3']]) {
      expect(run([...argv, 'app']).remapExit).toEqual([3]);
    }
  });
  it('ends a bundle at an option that takes a value', () => {
    const o = run(['-sge3', 'app']);
    expect(o.remapExit).toEqual([3]);
    expect(o.subreaper && o.killProcessGroup).toBe(true);
    expect(run(['-sp', 'KILL', 'app']).pdeathsig).toBe(9);
  });
  it('takes a separate value verbatim, even if it starts with -', () => {
    expect(run(['--verify', '-x', 'app']).verify).toBe('-x');
  });
  it('returns help and version wherever they appear before the command', () => {
    expect(parseArgs(['--help'], {})).toEqual({ kind: 'help' });
    expect(parseArgs(['-h'], {})).toEqual({ kind: 'help' });
    expect(parseArgs(['-sh'], {})).toEqual({ kind: 'help' });
    expect(parseArgs(['--stop-timeout', 'bad', '--help'], {})).toEqual({ kind: 'help' });
    expect(parseArgs(['--version'], {})).toEqual({ kind: 'version' });
    expect(parseArgs(['-V'], {})).toEqual({ kind: 'version' });
    expect(run(['app', '--help']).command).toEqual(['app', '--help']);
  });
});

describe('usage errors', () => {
  it.each<[string[], string]>([
    [[], 'missing command (e.g. hotinit -- /app/server)'],
    [['-s'], 'missing command (e.g. hotinit -- /app/server)'],
    [['--'], 'missing command (e.g. hotinit -- /app/server)'],
    [['--', ''], 'the command is an empty string'],
    [['--frobnicate', 'app'], 'unknown option --frobnicate'],
    [['--stop-timout', '1s', 'app'], 'unknown option --stop-timout (did you mean --stop-timeout?)'],
    [['--verbos', 'app'], 'unknown option --verbos (did you mean --verbose?)'],
    [['-x', 'app'], 'unknown option -x'],
    [['-sx', 'app'], 'unknown option -x'],
    [['--subreaper=1', 'app'], '--subreaper takes no value'],
    [['--stop-timeout'], '--stop-timeout needs a value'],
    [['-e'], '-e needs a value'],
    [['--stage', '--', 'app'], '--stage needs a value'],
    [['--stop-timeout', '10 sec', 'app'], '--stop-timeout: "10 sec" is not a duration (e.g. 500ms, 10s, 2m)'],
    [['-e', '300', 'app'], '-e: "300" is not an exit code (0-255)'],
    [['--remap-exit=-1', 'app'], '--remap-exit: "-1" is not an exit code (0-255)'],
    [['-r', 'TERM', 'app'], '-r: "TERM" is not FROM:TO (e.g. TERM:QUIT, or WINCH:0 to drop)'],
    [['--rewrite', 'TERM:QUIT:HUP', 'app'], '--rewrite: "TERM:QUIT:HUP" is not FROM:TO (e.g. TERM:QUIT, or WINCH:0 to drop)'],
    [['--rewrite', 'FOO:QUIT', 'app'], '--rewrite: "FOO" is not a signal (e.g. TERM, SIGHUP, 15, RTMIN+3)'],
    [['--rewrite', 'KILL:TERM', 'app'], '--rewrite: "KILL:TERM": SIGKILL is never forwarded, so cannot be rewritten'],
    [['--listen', 'tcp://localhost', 'app'], '--listen: "tcp://localhost" has no port (e.g. tcp://0.0.0.0:8080, unix:///run/app.sock)'],
    [['-l', 'tcp://:70000', 'app'], '-l: "tcp://:70000" has a port outside 0-65535'],
    [['-l', '8080', 'app'], '-l: "8080" is not an address (e.g. tcp://0.0.0.0:8080, unix:///run/app.sock)'],
    [['-l', 'http://:80', 'app'], '-l: "http://:80" has an unknown scheme (tcp://, udp://, unix://)'],
    [['-l', 'unix://run/a.sock', 'app'], '-l: "unix://run/a.sock" is not an absolute path (e.g. tcp://0.0.0.0:8080, unix:///run/app.sock)'],
    [['-l', 'tcp://::1:80', 'app'], '-l: "tcp://::1:80": an IPv6 address goes in brackets (e.g. tcp://[::1]:8080)'],
    [['-l', 'tcp://[nope]:80', 'app'], '-l: "tcp://[nope]:80" is not an address (e.g. tcp://0.0.0.0:8080, unix:///run/app.sock)'],
    [['-l', 'a:b=tcp://:80', 'app'], '-l: "a:b" is not a socket name (1-255 of A-Z a-z 0-9 _ . -)'],
    [['-l', 'web=tcp://:80', '-l', 'web=tcp://:81', 'app'], '-l: name "web" is used twice'],
    [['-l', 'listen1=tcp://:80', '-l', 'tcp://:81', 'app'], '-l: name "listen1" is used twice'],
    [['--ready', 'soon', 'app'], '--ready: "soon" is not a readiness mode (notify, fd, exec:CMD, delay:DUR)'],
    [['--ready', 'exec:', 'app'], '--ready: "exec:" has no command (e.g. exec:/app/healthcheck)'],
    [['--ready', 'delay:x', 'app'], '--ready: "delay:x" has no valid duration (e.g. delay:2s)'],
    [['--ready-timeout', '0', 'app'], '--ready-timeout: "0" is not a duration above 0 (e.g. 30s)'],
    [['--drain-timeout', '0s', 'app'], '--drain-timeout: "0s" is not a duration above 0 (e.g. 30s)'],
    [['--drain-signal', 'NOPE', 'app'], '--drain-signal: "NOPE" is not a signal (e.g. TERM, SIGHUP, 15, RTMIN+3)'],
    [['--log-level', 'loud', 'app'], '--log-level: "loud" is not a log level (trace, debug, info, warn, error, fatal, silent)'],
    [['--log-format', 'xml', 'app'], '--log-format: "xml" is not a log format (auto, json, pretty)'],
    [['--swap-mode', 'x', 'app'], '--swap-mode: "x" is not a swap mode (handoff, forward)'],
    [['--reload-mode', 'x', 'app'], '--reload-mode: "x" is not a reload mode (signal, swap)'],
    [['--stage=', 'app'], '--stage: "" is not a path'],
    [['--verify', '', 'app'], '--verify: "" is not a command'],
    [['--control', '', 'app'], '--control: "" is not a path (or off)'],
  ])('%j → %s', (argv, message) => {
    expect(usageError(argv)).toBe(message);
  });

  it('names the env variable when the bad value came from it', () => {
    expect(usageError(['app'], { HOTINIT_STOP_TIMEOUT: '10 sec' })).toBe(
      'HOTINIT_STOP_TIMEOUT: "10 sec" is not a duration (e.g. 500ms, 10s, 2m)',
    );
    expect(usageError(['app'], { HOTINIT_REMAP_EXIT: '1,999' })).toBe('HOTINIT_REMAP_EXIT: "999" is not an exit code (0-255)');
    expect(usageError(['app'], { HOTINIT_GROUP: 'maybe' })).toBe(
      'HOTINIT_GROUP: "maybe" is not a boolean (1, true, yes, on / 0, false, no, off)',
    );
    expect(usageError(['app'], { HOTINIT_VERBOSE: 'lots' })).toBe(
      'HOTINIT_VERBOSE: "lots" is not a number (e.g. 1 for debug, 2 for trace)',
    );
  });

  it('rejects unix socket paths of 108 bytes or more', () => {
    const ok = `/${'a'.repeat(106)}`; // 107 bytes
    expect(run(['-l', `unix://${ok}`, 'app']).listen[0]!.address).toEqual({ kind: 'unix', path: ok });
    expect(usageError(['-l', `unix://${ok}b`, 'app'])).toBe(`-l: "unix://${ok}b" is longer than 107 bytes`);
    expect(usageError(['--control', `${ok}b`, 'app'])).toMatch(/is longer than 107 bytes$/);
  });
});

describe('init flags', () => {
  it('reads -p/--pdeathsig', () => {
    expect(run(['-p', 'SIGKILL', 'app']).pdeathsig).toBe(9);
    expect(run(['--pdeathsig=HUP', 'app']).pdeathsig).toBe(1);
  });
  it('collects -e repeatedly, without duplicates', () => {
    expect(run(['-e', '3', '-e4', '--remap-exit', '3', '-e', '0', 'app']).remapExit).toEqual([3, 4, 0]);
  });
  it('collects -r rules, names or numbers, 0 drops, later FROM wins', () => {
    const o = run(['-r', 'TERM:QUIT', '-r', '28:0', '--rewrite=RTMIN+1:SIGUSR1', '-r', 'TERM:INT', 'app']);
    expect([...o.rewrite]).toEqual([[15, 2], [28, 0], [35, 10]]);
  });
  it('reads --stop-timeout, 0 allowed', () => {
    expect(run(['--stop-timeout', '20', 'app']).stopTimeoutMs).toBe(20_000);
    expect(run(['--stop-timeout=500ms', 'app']).stopTimeoutMs).toBe(500);
    expect(run(['--stop-timeout', '0', 'app']).stopTimeoutMs).toBe(0);
  });
});

describe('logging', () => {
  it('maps -v counts to levels', () => {
    expect(run(['-v', 'app']).logLevel).toBe('debug');
    expect(run(['-vv', 'app']).logLevel).toBe('trace');
    expect(run(['-v', '--verbose', 'app']).logLevel).toBe('trace');
    expect(run(['-vvv', 'app']).logLevel).toBe('trace');
  });
  it('reads --log-level and --log-format', () => {
    expect(run(['--log-level', 'warn', 'app']).logLevel).toBe('warn');
    expect(run(['--log-format=json', 'app']).logFormat).toBe('json');
    expect(run(['--log-format', 'pretty', 'app']).logFormat).toBe('pretty');
  });
  it('lets --log-level beat -v, and any flag beat the env', () => {
    expect(run(['-v', '--log-level', 'error', 'app']).logLevel).toBe('error');
    expect(run(['-v', 'app'], { HOTINIT_LOG_LEVEL: 'warn' }).logLevel).toBe('debug');
    expect(run(['app'], { HOTINIT_LOG_LEVEL: 'warn', HOTINIT_VERBOSE: '2' }).logLevel).toBe('warn');
    expect(run(['app'], { HOTINIT_VERBOSE: '1' }).logLevel).toBe('debug');
    expect(run(['app'], { HOTINIT_VERBOSE: '2' }).logLevel).toBe('trace');
    expect(run(['app'], { HOTINIT_VERBOSE: '0' }).logLevel).toBe('info');
  });
});

describe('swap flags', () => {
  it('parses --listen addresses', () => {
    const o = run([
      '-l', 'tcp://0.0.0.0:8080', '--listen', 'tcp://:0', '--listen=tcp://[::]:443', '-l', 'udp://127.0.0.1:53',
      '-l', 'api=unix:///run/app.sock', '-l', 'tcp://localhost:9000', '-l', 'v6=tcp://[::1]:1', 'app',
    ]);
    expect(o.listen).toEqual([
      { name: 'listen0', text: 'tcp://0.0.0.0:8080', address: { kind: 'tcp', host: '0.0.0.0', port: 8080 } },
      { name: 'listen1', text: 'tcp://:0', address: { kind: 'tcp', host: '0.0.0.0', port: 0 } },
      { name: 'listen2', text: 'tcp://[::]:443', address: { kind: 'tcp', host: '::', port: 443 } },
      { name: 'listen3', text: 'udp://127.0.0.1:53', address: { kind: 'udp', host: '127.0.0.1', port: 53 } },
      { name: 'api', text: 'api=unix:///run/app.sock', address: { kind: 'unix', path: '/run/app.sock' } },
      { name: 'listen5', text: 'tcp://localhost:9000', address: { kind: 'tcp', host: 'localhost', port: 9000 } },
      { name: 'v6', text: 'v6=tcp://[::1]:1', address: { kind: 'tcp', host: '::1', port: 1 } },
    ]);
  });
  it('keeps a "=" inside a unix path out of the name', () => {
    expect(run(['-l', 'unix:///run/a=b.sock', 'app']).listen[0]).toMatchObject({
      name: 'listen0',
      address: { kind: 'unix', path: '/run/a=b.sock' },
    });
  });
  it('parses --ready modes', () => {
    expect(run(['--ready', 'notify', 'app']).ready).toEqual({ kind: 'notify' });
    expect(run(['--ready=fd', 'app']).ready).toEqual({ kind: 'fd' });
    expect(run(['--ready', 'auto', 'app']).ready).toEqual({ kind: 'auto' });
    expect(run(['--ready', 'exec:curl -fs http://localhost/healthz', 'app']).ready).toEqual({
      kind: 'exec',
      command: 'curl -fs http://localhost/healthz',
    });
    expect(run(['--ready', 'delay:1.5s', 'app']).ready).toEqual({ kind: 'delay', ms: 1500 });
    expect(run(['--ready', 'delay:0', 'app']).ready).toEqual({ kind: 'delay', ms: 0 });
  });
  it('reads the other swap options', () => {
    const o = run([
      '--ready-timeout', '5s', '--ready-delay', '0', '--drain-signal', 'QUIT', '--drain-timeout', '1m',
      '--stage', '/app/server.new', '--verify', '/bin/check', '--swap-mode', 'forward',
      '--upgrade-signal', 'HUP', '--pidfile', '/run/app.pid', '--watch-binary', 'app',
    ]);
    expect(o).toMatchObject({
      readyTimeoutMs: 5000, readyDelayMs: 0, drainSignal: 3, drainTimeoutMs: 60_000,
      stage: '/app/server.new', verify: '/bin/check', swapMode: 'forward', upgradeSignal: 1,
      pidfile: '/run/app.pid', watchBinary: true,
    });
  });
});

describe('reload and control flags', () => {
  it('reads the reload options', () => {
    const o = run([
      '--reload-signal', 'USR1', '--reload-check', 'nginx -t', '--reload-mode', 'swap',
      '--reload-timeout', '10s', '--watch', '/etc/app', '--watch=/etc/other', 'app',
    ]);
    expect(o).toMatchObject({
      reloadSignal: 10, reloadCheck: 'nginx -t', reloadMode: 'swap', reloadTimeoutMs: 10_000,
      watch: ['/etc/app', '/etc/other'],
    });
  });
  it('turns --control off into null', () => {
    expect(run(['--control', 'off', 'app']).control).toBeNull();
    expect(run(['--control', '/tmp/h.sock', 'app']).control).toBe('/tmp/h.sock');
    expect(run(['app'], { HOTINIT_CONTROL: 'off' }).control).toBeNull();
  });
});

describe('environment twins', () => {
  it('derives the variable name', () => {
    expect(envName('stop-timeout')).toBe('HOTINIT_STOP_TIMEOUT');
    expect(envName('listen')).toBe('HOTINIT_LISTEN');
  });
  it('reads every value option from HOTINIT_*', () => {
    const o = run(['app'], {
      HOTINIT_PDEATHSIG: 'TERM', HOTINIT_STOP_TIMEOUT: '3s', HOTINIT_LOG_FORMAT: 'json',
      HOTINIT_READY: 'fd', HOTINIT_READY_TIMEOUT: '9s', HOTINIT_READY_DELAY: '1s',
      HOTINIT_DRAIN_SIGNAL: 'INT', HOTINIT_DRAIN_TIMEOUT: '4s', HOTINIT_STAGE: '/s',
      HOTINIT_VERIFY: 'v', HOTINIT_SWAP_MODE: 'forward', HOTINIT_UPGRADE_SIGNAL: 'WINCH',
      HOTINIT_PIDFILE: '/p', HOTINIT_RELOAD_SIGNAL: 'USR2', HOTINIT_RELOAD_CHECK: 'c',
      HOTINIT_RELOAD_MODE: 'swap', HOTINIT_RELOAD_TIMEOUT: '7s', HOTINIT_CONTROL: '/c.sock',
    });
    expect(o).toMatchObject({
      pdeathsig: 15, stopTimeoutMs: 3000, logFormat: 'json', ready: { kind: 'fd' },
      readyTimeoutMs: 9000, readyDelayMs: 1000, drainSignal: 2, drainTimeoutMs: 4000, stage: '/s',
      verify: 'v', swapMode: 'forward', upgradeSignal: 28, pidfile: '/p', reloadSignal: 12,
      reloadCheck: 'c', reloadMode: 'swap', reloadTimeoutMs: 7000, control: '/c.sock',
    });
  });
  it('splits repeatable options on commas', () => {
    const o = run(['app'], {
      HOTINIT_REMAP_EXIT: '1, 2,,3',
      HOTINIT_REWRITE: 'TERM:QUIT,WINCH:0',
      HOTINIT_LISTEN: 'web=tcp://:80, tcp://:443',
      HOTINIT_WATCH: '/etc/a,/etc/b',
    });
    expect(o.remapExit).toEqual([1, 2, 3]);
    expect([...o.rewrite]).toEqual([[15, 3], [28, 0]]);
    expect(o.listen.map((l) => l.name)).toEqual(['web', 'listen1']);
    expect(o.watch).toEqual(['/etc/a', '/etc/b']);
  });
  it('lets flags win, replacing (not merging) repeatable lists', () => {
    const env = { HOTINIT_STOP_TIMEOUT: '3s', HOTINIT_REMAP_EXIT: '1,2', HOTINIT_LISTEN: 'tcp://:80', HOTINIT_READY: 'fd' };
    const o = run(['--stop-timeout', '4s', '-e', '5', '-l', 'tcp://:81', 'app'], env);
    expect(o.stopTimeoutMs).toBe(4000);
    expect(o.remapExit).toEqual([5]);
    expect(o.listen.map((l) => l.text)).toEqual(['tcp://:81']);
    expect(o.ready).toEqual({ kind: 'fd' });
  });
  it('treats an empty variable as unset', () => {
    expect(run(['app'], { HOTINIT_STOP_TIMEOUT: '', HOTINIT_STAGE: '' })).toMatchObject({ stopTimeoutMs: 8000, stage: null });
  });
  it.each([
    ['1', true], ['true', true], ['YES', true], ['on', true],
    ['0', false], ['false', false], ['No', false], ['off', false], ['', false],
  ])('reads boolean %j as %s', (value, on) => {
    const o = run(['app'], { HOTINIT_SUBREAPER: value, HOTINIT_GROUP: value, HOTINIT_WARN_REAP: value, HOTINIT_WATCH_BINARY: value });
    expect([o.subreaper, o.killProcessGroup, o.warnReap, o.watchBinary]).toEqual([on, on, on, on]);
  });
  it('honours tini variables: set and non-empty = on', () => {
    expect(run(['app'], { TINI_SUBREAPER: '1' }).subreaper).toBe(true);
    expect(run(['app'], { TINI_SUBREAPER: 'anything' }).subreaper).toBe(true);
    expect(run(['app'], { TINI_SUBREAPER: '' }).subreaper).toBe(false);
    expect(run(['app'], { TINI_KILL_PROCESS_GROUP: '0' }).killProcessGroup).toBe(true);
    // The HOTINIT_ variable, when set, decides.
    expect(run(['app'], { TINI_SUBREAPER: '1', HOTINIT_SUBREAPER: 'off' }).subreaper).toBe(false);
    // A switch flag cannot be turned off from the command line, only on.
    expect(run(['-g', 'app'], { HOTINIT_GROUP: '0' }).killProcessGroup).toBe(true);
  });
});

describe('control commands', () => {
  it('parses each action with defaults', () => {
    for (const action of ['status', 'swap', 'reload', 'health'] as const) {
      expect(parseArgs([action], {})).toEqual({
        kind: 'control', action, json: false, stage: null, timeoutMs: null, control: '/run/hotinit.sock',
      });
    }
  });
  it('reads the per-action options', () => {
    expect(parseArgs(['status', '--json'], {})).toMatchObject({ action: 'status', json: true });
    expect(parseArgs(['status', '--health'], {})).toMatchObject({ action: 'health' });
    expect(parseArgs(['swap', '--stage', '/app/new', '--timeout=90s'], {})).toMatchObject({
      action: 'swap', stage: '/app/new', timeoutMs: 90_000,
    });
    expect(parseArgs(['reload', '--timeout', '5'], {})).toMatchObject({ action: 'reload', timeoutMs: 5000 });
    expect(parseArgs(['status', '--help'], {})).toEqual({ kind: 'help' });
  });
  it('takes the socket from --control, else HOTINIT_CONTROL', () => {
    expect(parseArgs(['swap', '--control', '/x.sock'], { HOTINIT_CONTROL: '/y.sock' })).toMatchObject({ control: '/x.sock' });
    expect(parseArgs(['swap'], { HOTINIT_CONTROL: '/y.sock' })).toMatchObject({ control: '/y.sock' });
  });
  it('ignores the server-side env twins', () => {
    expect(parseArgs(['swap'], { HOTINIT_STAGE: '/s', HOTINIT_TIMEOUT: '1s' })).toMatchObject({ stage: null, timeoutMs: null });
  });
  it.each<[string[], Env, string]>([
    [['status', '--stage', '/x'], {}, '--stage does not apply to hotinit status'],
    [['reload', '--json'], {}, '--json does not apply to hotinit reload'],
    [['swap', '--health'], {}, '--health does not apply to hotinit swap'],
    [['swap', '-s'], {}, 'unknown option -s'],
    [['swap', '--frob'], {}, 'unknown option --frob'],
    [['status', 'extra'], {}, 'unexpected argument "extra" after hotinit status'],
    [['swap', '--timeout', '0'], {}, '--timeout: "0" is not a duration above 0 (e.g. 30s)'],
    [['swap', '--timeout'], {}, '--timeout needs a value'],
    [['swap', '--control', 'off'], {}, '--control: the control socket is off, nothing to talk to'],
    [['swap'], { HOTINIT_CONTROL: 'off' }, 'HOTINIT_CONTROL: the control socket is off, nothing to talk to'],
  ])('%j → %s', (argv, env, message) => {
    expect(usageError(argv, env)).toBe(message);
  });
  it('is only a subcommand in first position', () => {
    expect(run(['-s', 'status']).command).toEqual(['status']);
  });
});

describe('help text', () => {
  const text = helpText();
  it('fits in 80 columns', () => {
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });
  it('mentions every option and command', () => {
    const longs = [
      'subreaper', 'group', 'pdeathsig', 'remap-exit', 'rewrite', 'warn-reap', 'stop-timeout', 'verbose',
      'log-level', 'log-format', 'listen', 'ready', 'ready-timeout', 'ready-delay', 'drain-signal',
      'drain-timeout', 'stage', 'verify', 'swap-mode', 'upgrade-signal', 'pidfile', 'watch-binary',
      'reload-signal', 'reload-check', 'reload-mode', 'reload-timeout', 'watch', 'control', 'help', 'version',
    ];
    for (const long of longs) {
      expect(text).toContain(`--${long}`);
      // Every option the help lists must parse (flags: alone; values: with a value).
      expect(() => parseArgs([`--${long}`], {})).not.toThrow(/unknown option/);
    }
    for (const word of ['status', 'swap', 'reload', 'health', 'HOTINIT_STOP_TIMEOUT', 'TINI_SUBREAPER']) {
      expect(text).toContain(word);
    }
  });
  it('shows the defaults', () => {
    expect(text).toContain('(default 8s)');
    expect(text).toContain('(default 30s)');
    expect(text).toContain('/run/hotinit.sock');
  });
  it('prints the version', () => {
    expect(versionText('1.2.3')).toBe('hotinit 1.2.3\n');
  });
});

describe('rewrite of hotinit\'s own signals', () => {
  it('refuses -r USR2:… and -r USR1:… (translated to swap/reload, never forwarded)', () => {
    expect(() => parseArgs(['-r', 'USR2:HUP', 'app'], {})).toThrow(
      '-r: "USR2:HUP": SIGUSR2 is hotinit\'s own (swap); use --upgrade-signal or --reload-mode',
    );
    expect(() => parseArgs(['-r', 'USR1:0', 'app'], {})).toThrow(/SIGUSR1 is hotinit's own \(reload\)/);
  });
});

