// `hotinit --help` and `--version` text. Defaults come from options.ts so
// the help cannot drift from what the parser does. Lines stay within 80
// columns so the text reads well in `docker run --rm img --help`.

import { formatDuration } from './durations.js';
import { DEFAULTS } from './options.js';

const stop = formatDuration(DEFAULTS.stopTimeoutMs);
const readyTimeout = formatDuration(DEFAULTS.readyTimeoutMs);
const readyDelay = formatDuration(DEFAULTS.readyDelayMs);
const minReady = formatDuration(DEFAULTS.minReadyMs);
const drainTimeout = formatDuration(DEFAULTS.drainTimeoutMs);
const reloadTimeout = formatDuration(DEFAULTS.reloadTimeoutMs);

export function helpText(): string {
  return `\
Usage: hotinit [options] [--] command [args...]
       hotinit status|swap|reload|health [--control PATH] [...]

hotinit is the PID 1 of a container. It runs one command, reaps zombies,
forwards signals and exits with the command's status, like tini. On SIGUSR2
it starts a new generation of the command on the same listening sockets,
waits until it is ready, then drains the old one: a zero-downtime swap. On
SIGUSR1 it reloads the command's configuration. Options stop at the first
argument that is not one; write '--' before a command that starts with '-'.

Init (tini/dumb-init compatible):
  -s, --subreaper         become a child subreaper (automatic when not PID 1)
  -g, --group             send forwarded signals to the child's process group
  -p, --pdeathsig SIG     get SIG when hotinit's own parent dies
  -e, --remap-exit CODE   exit 0 instead of CODE, 128+N included (repeatable)
  -r, --rewrite FROM:TO   forward signal FROM as TO; TO 0 drops it (repeatable)
  -w, --warn-reap         log every reaped orphan at warn level
      --stop-timeout DUR  on TERM/INT/QUIT or exit, SIGKILL what is still
                          running after DUR (default ${stop})

Swap (SIGUSR2):
  -l, --listen [NAME=]ADDR  hold a listening socket for every generation
                          (repeatable; fd 3, 4, ... with LISTEN_FDS and
                          LISTEN_FDNAMES=NAME, default listen0, listen1, ...).
                          ADDR: tcp://HOST:PORT (tcp://:PORT = 0.0.0.0),
                          tcp://[::]:PORT, udp://HOST:PORT,
                          unix:///abs/path.sock
      --ready MODE        how a generation says it is ready: notify
                          (NOTIFY_SOCKET), fd (HOTINIT_READY_FD), exec:CMD
                          (CMD exits 0), delay:DUR (alive after DUR).
                          Default: notify or fd, whichever is used; a child
                          using neither is ready after --ready-delay
      --ready-timeout DUR not ready by then: the swap fails (default ${readyTimeout})
      --ready-delay DUR   see --ready (default ${readyDelay})
      --min-ready DUR     a ready generation must stay up this long before
                          the old one is drained (default ${minReady})
      --drain-signal SIG  sent to the old generation (default TERM)
      --drain-timeout DUR SIGKILL the old generation after DUR (default ${drainTimeout})
      --stage PATH        new binary: checked, renamed over the command's
                          binary (old one kept as <binary>.prev) on swap
      --verify CMD        run CMD against the staged binary before using it
      --swap-mode MODE    handoff (default) or forward: pass USR2 on to an
                          app that re-execs itself (nginx, tableflip, ...)
      --upgrade-signal SIG  forward mode: what the app gets (default USR2)
      --pidfile PATH      forward mode: where the successor writes its pid
      --watch-binary      swap when the binary or --stage file changes

Reload (SIGUSR1):
      --reload-signal SIG the signal the app reloads on (default HUP)
      --reload-check CMD  run first; if it fails, the reload is refused
      --reload-mode MODE  signal (default) or swap, for apps that cannot
                          reload themselves
      --reload-timeout DUR  how long a reload may take (default ${reloadTimeout})
      --watch PATH        reload when PATH changes (repeatable)

Control:
      --control PATH|off  control socket (default ${DEFAULTS.control})

Logging:
  -v, --verbose           debug logging; -vv for trace
      --log-level LEVEL   trace, debug, info (default), warn, error, fatal,
                          silent
      --log-format FMT    json, pretty, or auto (default: pretty on a TTY)
  -h, --help              show this help
  -V, --version           show the version

Every --flag also reads HOTINIT_FLAG (upper case, '-' as '_'), e.g.
HOTINIT_STOP_TIMEOUT=20s; a flag wins over its variable. Repeatable options
take a comma-separated list (HOTINIT_LISTEN=tcp://:80,tcp://:443). Switches
take 1/true/yes/on or 0/false/no/off. HOTINIT_VERBOSE is a count (1, 2).
TINI_SUBREAPER and TINI_KILL_PROCESS_GROUP are honoured as in tini.
SIG is TERM, SIGTERM, 15 or RTMIN+3; DUR is 500ms, 10s, 2m, 1h or seconds.

Commands (inside the container; exit 0 success, 1 failure, 3 no hotinit):
  status [--json] [--health]  generations, pids, states, last swap/reload
  swap [--stage PATH] [--timeout DUR]  swap now and wait for the outcome
  reload [--timeout DUR]      reload now and wait for the outcome
  health                      exit 0 if the app is up and ready (HEALTHCHECK)
To run a program that is called status, swap, reload or health, write
'hotinit -- status'.

Exit status:
  N      the command exited with N (0 if N is listed in --remap-exit)
  128+N  the command was killed by signal N (0 if 128+N is in --remap-exit)
  1      hotinit could not start (a --listen socket could not be opened)
  2      bad usage: unknown option, bad value, missing command
  126    the command exists but cannot be executed
  127    the command was not found

Examples:
  # Dockerfile: serve :8080 across swaps, new binaries staged at server.new
  ENV HOTINIT_LISTEN=tcp://:8080 HOTINIT_STAGE=/app/server.new
  ENTRYPOINT ["hotinit", "--"]
  CMD ["/app/server"]

  docker cp server app:/app/server.new && docker kill -s USR2 app
  docker kill -s USR1 app          # validated config reload
  docker exec app hotinit swap     # swap, wait, report; exits 1 on failure
`;
}

export function versionText(version: string): string {
  return `hotinit ${version}\n`;
}
