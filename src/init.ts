/**
 * run(): hotinit as an init, in the order things must happen. Signals are
 * already held (the launcher blocked them before Node started), so nothing
 * sent meanwhile is lost: it waits in the signalfd until the reader opens,
 * after the first generation exists to receive it.
 */
import { resolve } from 'node:path';
import { CommandError, execFailureStatus, resolveCommand } from './command.js';
import { createControlTarget } from './control-target.js';
import type { ControlTarget } from './control/protocol.js';
import { childBaseEnvironment } from './environment.js';
import { startGeneration, type Generation } from './generation.js';
import { Helpers } from './helpers.js';
import { createLog, type Log, type RootLog } from './log.js';
import { closeReader, native } from './native.js';
import type { Options } from './options.js';
import { isPid1 } from './processes.js';
import { Readiness } from './readiness.js';
import { Reaper } from './reaper.js';
import { RuntimeDir } from './runtime-dir.js';
import { closeSockets, inheritedSockets, ListenError, openSockets, type HeldSocket } from './sockets.js';
import { StagedBinary } from './stage.js';
import { Supervisor } from './supervisor.js';
import { Swapper } from './swapper.js';
import { Forwarder } from './forward.js';
import { Reloader } from './reloader.js';
import { watchBinary, watchForReload } from './watch.js';

/** Exit status when hotinit itself cannot start (a socket it cannot open). */
const CANNOT_START = 1;

function becomeSubreaper(options: Options, log: Log): void {
  if (isPid1()) return;
  native.setChildSubreaper();
  log.debug('start', { subreaper: true, requested: options.subreaper }, 'not PID 1: registered as child subreaper');
}

/**
 * The control socket is a convenience: if it cannot be opened (another
 * hotinit holds it, no writable directory) the application still runs.
 */
async function openControl(options: Options, log: Log, target: () => ControlTarget) {
  if (options.control === null) return null;
  try {
    // Imported here: the control modules load node:net and node:fs/promises,
    // which the first generation need not wait for.
    const { startControlServer } = await import('./control/server.js');
    return await startControlServer({ path: options.control, target: target(), log });
  } catch (error) {
    log.warn('control', { path: options.control, error: (error as Error).message }, 'control socket disabled');
    return null;
  }
}

export async function run(options: Options, version: string): Promise<number> {
  const log = createLog({ level: options.logLevel, format: options.logFormat });
  try {
    return await supervise(options, version, log);
  } finally {
    await log.open(); // whatever path ends the run, every line kept is written
  }
}

async function supervise(options: Options, version: string, log: RootLog): Promise<number> {
  const startedAtMs = Date.now();
  const signalState = native.signalState();
  log.info('start', { version, pid: process.pid, command: options.command });
  if (!signalState.holding) log.debug('start', {}, 'not started by the launcher: early signals may be lost');

  becomeSubreaper(options, log);
  if (options.pdeathsig !== null) native.setParentDeathSignal(options.pdeathsig);

  const baseEnv = childBaseEnvironment(process.env);
  const [name] = options.command as [string, ...string[]];
  let file: string;
  try {
    file = resolveCommand(name, baseEnv.PATH);
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    log.error('exit', { status: error.exitStatus, command: options.command }, error.message);
    return error.exitStatus;
  }

  let sockets: HeldSocket[];
  try {
    sockets = await openSockets(options.listen, inheritedSockets(process.env));
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    log.error('exit', { status: CANNOT_START }, error.message);
    return CANNOT_START;
  }
  for (const socket of sockets) log.info('start', { listen: socket.name, address: socket.address, fd: socket.fd });

  const runtimeDir = new RuntimeDir();
  let supervisor: Supervisor;
  const reaper = new Reaper((exit) => supervisor.onExit(exit));
  const helpers = new Helpers(reaper);
  const foreground = native.isTerminal(0);
  supervisor = new Supervisor({ options, log, reaper, foreground });
  const stage = options.stage ? new StagedBinary(options.stage, resolve(file), options.verify, helpers, baseEnv) : null;
  const swapper = new Swapper(supervisor, options, log, stage);
  // Forward mode swaps by the app's own upgrade; the forwarder also follows apps that daemonize.
  const forwarder = new Forwarder(supervisor, options, log, helpers, baseEnv, stage);
  const swaps = options.swapMode === 'forward' ? forwarder : swapper;
  const reloader = new Reloader(supervisor, swaps, options, log, helpers, baseEnv);

  const spawnGeneration = (gen: number): Generation => {
    const readiness = new Readiness(options.ready, gen, runtimeDir, log.child({ gen }));
    let generation: Generation;
    try {
      generation = startGeneration({
        gen,
        file,
        argv: options.command,
        env: baseEnv,
        listenFds: sockets.map((s) => s.fd),
        listenNames: sockets.map((s) => s.name),
        readyFd: readiness.readyFd,
        notifySocket: readiness.notifySocket,
        foreground,
      });
    } catch (error) {
      readiness.close();
      throw error;
    }
    generation.readiness = readiness;
    readiness.started(generation, helpers, options.readyDelayMs);
    return generation;
  };

  supervisor.setHooks({
    startGeneration: spawnGeneration,
    onSwapRequest: () => void swaps.request('SIGUSR2'),
    onReloadRequest: () => void reloader.request('SIGUSR1'),
    onServingExit: (generation) => forwarder.onServingExit(generation),
    onOtherGenerationExit: (generation) => swapper.onGenerationExit(generation),
    onStop: () => {
      swapper.stop();
      forwarder.stop();
      reloader.stop();
    },
  });

  process.on('SIGCHLD', () => supervisor.reap());
  let first: Generation;
  try {
    first = supervisor.launch();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const status = execFailureStatus(code);
    log.error('exit', { status, command: options.command, error: code }, `cannot execute ${file}: ${(error as Error).message}`);
    closeSockets(sockets);
    runtimeDir.remove();
    return status;
  }
  void first.readiness?.ready.then(() => {
    if (!first.alive) return;
    first.markReady();
    log.info('ready', { gen: first.gen, pid: first.pid, startupMs: Date.now() - first.startedAtMs });
  });
  const signals = native.openSignalReader((signo, sender, code) => supervisor.onSignal(signo, sender, code));
  supervisor.reap();
  // Only now, with the application started and signals read: lines so far were kept.
  await log.open();
  void runtimeDir.removeStale().then(
    (removed) => {
      if (removed.length > 0) log.info('start', { removed }, 'removed the runtime directories of hotinits that were killed');
    },
    (error: Error) => log.warn('start', { error: error.message }, 'could not look for stale runtime directories'),
  );
  const control = await openControl(options, log, () =>
    createControlTarget({
      version,
      startedAtMs,
      supervisor,
      sockets,
      swaps,
      reloads: reloader,
      stageAt: (path) => new StagedBinary(path, resolve(file), options.verify, helpers, baseEnv),
    }),
  );
  const watchers = [
    ...watchForReload(options.watch, (source) => reloader.request(source), log),
    ...(options.watchBinary ? [watchBinary(resolve(file), options.stage, swaps, log)] : []),
  ];

  const status = await supervisor.finished;
  await control?.close();
  for (const watcher of watchers) watcher.close();
  closeReader(signals);
  closeSockets(sockets);
  runtimeDir.remove();
  log.info('exit', { status }, 'hotinit exiting');
  return status;
}
