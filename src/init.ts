/**
 * run(): hotinit as an init, in the order things must happen. Signals are
 * already held (the launcher blocked them before Node started), so nothing
 * sent meanwhile is lost: it waits in the signalfd until the reader opens,
 * after the first generation exists to receive it.
 */
import { isatty } from 'node:tty';
import { CommandError, execFailureStatus, resolveCommand } from './command.js';
import { childBaseEnvironment } from './environment.js';
import { startGeneration } from './generation.js';
import { createLog, type Log } from './log.js';
import { closeReader, native } from './native.js';
import type { Options } from './options.js';
import { isPid1 } from './processes.js';
import { Reaper } from './reaper.js';
import { Supervisor } from './supervisor.js';

function becomeSubreaper(options: Options, log: Log): void {
  if (isPid1()) return;
  native.setChildSubreaper();
  log.debug('start', { subreaper: true, requested: options.subreaper }, 'not PID 1: registered as child subreaper');
}

export async function run(options: Options, version: string): Promise<number> {
  const log = createLog({ level: options.logLevel, format: options.logFormat });
  const signalState = native.signalState();
  log.info('start', { version, pid: process.pid, command: options.command });
  if (!signalState.holding) log.debug('start', {}, 'not started by the launcher: early signals may be lost');

  becomeSubreaper(options, log);
  if (options.pdeathsig !== null) native.setParentDeathSignal(options.pdeathsig);

  const baseEnv = childBaseEnvironment(process.env);
  const [name, ...args] = options.command as [string, ...string[]];
  let file: string;
  try {
    file = resolveCommand(name, baseEnv.PATH);
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    log.error('exit', { status: error.exitStatus, command: options.command }, error.message);
    return error.exitStatus;
  }

  let supervisor: Supervisor;
  const reaper = new Reaper((exit) => supervisor.onExit(exit));
  const foreground = isatty(0);
  supervisor = new Supervisor({ options, log, reaper, foreground });
  supervisor.setHooks({
    startGeneration: (gen) =>
      startGeneration({
        gen,
        file,
        argv: options.command,
        env: baseEnv,
        listenFds: [],
        listenNames: [],
        readyFd: null,
        notifySocket: null,
        foreground,
      }),
    onSwapRequest: () => supervisor.forward(12),
    onReloadRequest: () => supervisor.forward(10),
    onOtherGenerationExit: () => {},
    onStop: () => {},
  });

  process.on('SIGCHLD', () => supervisor.reap());
  try {
    supervisor.launch();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const status = execFailureStatus(code);
    log.error('exit', { status, command: options.command, error: code }, `cannot execute ${file}: ${(error as Error).message}`);
    return status;
  }
  const signals = native.openSignalReader((signo, sender, code) => supervisor.onSignal(signo, sender, code));
  supervisor.reap();

  const status = await supervisor.finished;
  closeReader(signals);
  log.info('exit', { status }, 'hotinit exiting');
  return status;
}

