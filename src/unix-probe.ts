/**
 * Is anyone listening on this Unix socket path? The one answer shared by
 * everything that must tell a live socket from the file a killed process
 * left behind: --listen paths, the control socket, runtime directories.
 */

export type SocketState = 'live' | 'stale' | 'denied';

/** A live listener answers a connect at once (the kernel accepts for it). */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * 'stale': nobody listens (ECONNREFUSED) or the file is gone; 'denied': this
 * user may not connect; 'live' otherwise, including a full backlog (EAGAIN)
 * and anything else that is not ours to judge.
 */
export async function probeUnixSocket(path: string): Promise<SocketState> {
  const { connect } = await import('node:net'); // imported when needed: it slows start-up
  return new Promise((resolve) => {
    const socket = connect({ path });
    const finish = (state: SocketState) => {
      socket.destroy();
      resolve(state);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish('live'));
    socket.on('connect', () => finish('live'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') finish('stale');
      else if (error.code === 'EACCES' || error.code === 'EPERM') finish('denied');
      else finish('live');
    });
  });
}
