/**
 * SPEC --ready exec:CMD and delay:DUR drive a swap like the notify channels:
 * the old generation is drained only once the new one is ready.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, Hotinit, PYTHON, tempDir, waitForFile } from '../helpers/swap-harness.js';

const APP = ['node', `${FIXTURES}/http-app.mjs`];
let hotinit: Hotinit | null = null;
const cleanups: Array<() => void> = [];

afterEach(async () => {
  await hotinit?.stop();
  hotinit = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('readiness modes in a swap', () => {
  it('exec:CMD — the new generation is ready when CMD exits 0 (HOTINIT_CHILD_PID is its pid)', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const probe = `exec:echo "$HOTINIT_GENERATION $HOTINIT_CHILD_PID" >> ${dir.path}/probes; test -e ${dir.path}/go-$HOTINIT_GENERATION`;
    writeFileSync(`${dir.path}/go-1`, '');
    const h = (hotinit = await Hotinit.start({ args: ['-l', 'tcp://127.0.0.1:0', '--ready', probe], command: APP }));
    const from = h.mark();
    h.signal('SIGUSR2');
    await h.waitFor((l) => l.event === 'spawn' && l.gen === 2, { from });
    // Let the probe fail a few times (it retries every 250 ms) before it may succeed.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(h.events('swap.done', from)).toEqual([]);
    expect(h.events('drain', from)).toEqual([]);
    const goAt = Date.now();
    writeFileSync(`${dir.path}/go-2`, '');
    const done = await h.waitFor((l) => l.event === 'swap.done', { from });
    expect(done).toMatchObject({ gen: 2, from: 1 });
    expect(done.time).toBeGreaterThanOrEqual(goAt);
    const probes = readFileSync(`${dir.path}/probes`, 'utf8').trim().split('\n');
    const gen2 = probes.filter((line) => line.startsWith('2 '));
    expect(gen2.length).toBeGreaterThanOrEqual(1);
    for (const line of gen2) expect(line).toBe(`2 ${h.pidOf(2)}`);
  });

  it('delay:DUR — the new generation is ready once alive for DUR, not before', async () => {
    const h = (hotinit = await Hotinit.start({ args: ['-l', 'tcp://127.0.0.1:0', '--ready', 'delay:700ms'], command: APP }));
    const from = h.mark();
    h.signal('SIGUSR2');
    const spawned = await h.waitFor((l) => l.event === 'spawn' && l.gen === 2, { from });
    const drain = await h.waitFor((l) => l.event === 'drain' && l.gen === 1 && l.signal === 'SIGTERM', { from });
    expect(drain.time - spawned.time).toBeGreaterThanOrEqual(690);
    expect(await h.waitGone(1, { from })).toMatchObject({ event: 'drain', gen: 1 });
  });

  it('notify: READY=1 from a helper process that has exited before hotinit reads it (systemd-notify style) counts', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    // Generation 1 notifies from its own pid. Generation 2 runs a helper that
    // sends READY=1 and exits, as `systemd-notify --ready` in a wrapper does.
    const app = `
      send='import os, socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])'
      if [ "$HOTINIT_GENERATION" = 1 ]; then exec "$PYTHON" -c "$send; os.execvp('sleep', ['sleep', '600'])"; fi
      while [ ! -e "$DIR/go" ]; do sleep 0.02; done
      "$PYTHON" -c "$send"
      touch "$DIR/sent"
      exec sleep 600`;
    const h = (hotinit = await Hotinit.start({
      args: ['-v', '-l', 'tcp://127.0.0.1:0', '--ready', 'notify', '--ready-timeout', '5s'],
      command: ['/bin/sh', '-c', app],
      env: { DIR: dir.path, PYTHON },
    }));
    const from = h.mark();
    h.signal('SIGUSR2');
    await h.waitFor((l) => l.event === 'spawn' && l.gen === 2, { from });
    // Hold hotinit still until the helper has sent and exited: then it reads the message.
    h.signal('SIGSTOP');
    try {
      writeFileSync(`${dir.path}/go`, '');
      await waitForFile(`${dir.path}/sent`);
    } finally {
      h.signal('SIGCONT');
    }
    const outcome = await h.waitFor((l) => l.event === 'swap.done' || l.event === 'swap.failed', { from });
    expect(outcome, h.tail()).toMatchObject({ event: 'swap.done', gen: 2 });
  });
});
