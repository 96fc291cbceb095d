/**
 * An in-process HTTP load generator for swap tests (loopback only).
 *
 * `workers` loops each send one GET at a time, back to back, until stopped,
 * until `maxRequests` were sent in all, or until `maxDurationMs` has passed:
 * always bounded in time and in count. Modes:
 *   keep-alive      one Agent of `workers` reused connections;
 *   new-connection  a fresh connection for every request (agent: false).
 *
 * Every outcome is recorded: each response (status, body, which connection,
 * start and end time) and each error (code and message). Nothing is retried:
 * a request that fails is a failure the test must see.
 */
import { Agent, request, type ClientRequest } from 'node:http';
import type { Socket } from 'node:net';

export type LoadMode = 'keep-alive' | 'new-connection';

export interface LoadOptions {
  mode: LoadMode;
  host?: string;
  port?: number;
  /** A Unix socket path instead of host/port. */
  socketPath?: string;
  path?: string;
  /** Concurrent request loops (and, in keep-alive mode, connections). Default 8. */
  workers?: number;
  /** Stop after this many requests in all. Default 200,000. */
  maxRequests?: number;
  /** Stop after this long. Default 120 s. */
  maxDurationMs?: number;
  /** A request taking longer than this is an error (code ETIMEDOUT). Default 10 s. */
  requestTimeoutMs?: number;
}

export interface LoadResponse {
  worker: number;
  /** Identifies the TCP/Unix connection the response came on. */
  connection: number;
  status: number;
  body: string;
  /** gen=N parsed from the body, or null. */
  gen: number | null;
  startMs: number;
  endMs: number;
}

export interface LoadError {
  worker: number;
  code: string;
  message: string;
  startMs: number;
  endMs: number;
}

export interface LoadSummary {
  sent: number;
  ok: number;
  errors: LoadError[];
  /** Responses whose status was not 200 (counted in `ok` only when 200). */
  badStatus: LoadResponse[];
  responses: LoadResponse[];
  connections: number;
  latencyMs: { p50: number; p99: number; max: number };
  durationMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function parseGen(body: string): number | null {
  const match = /gen=(\d+)/.exec(body);
  return match ? Number(match[1]) : null;
}

export class Load {
  readonly responses: LoadResponse[] = [];
  readonly errors: LoadError[] = [];
  private sent = 0;
  private stopping = false;
  private readonly agent: Agent | undefined;
  private readonly options: Required<Omit<LoadOptions, 'host' | 'port' | 'socketPath'>> &
    Pick<LoadOptions, 'host' | 'port' | 'socketPath'>;
  private readonly socketIds = new WeakMap<Socket, number>();
  private nextSocketId = 1;
  private readonly workersDone: Promise<void>;
  private readonly startedAtMs = Date.now();
  private readonly deadline: NodeJS.Timeout;
  private readonly waiters = new Set<() => void>();

  constructor(options: LoadOptions) {
    if (options.socketPath === undefined && options.port === undefined) throw new Error('Load: port or socketPath is required');
    this.options = {
      path: '/',
      workers: 8,
      maxRequests: 200_000,
      maxDurationMs: 120_000,
      requestTimeoutMs: 10_000,
      ...options,
      host: options.host ?? '127.0.0.1',
    };
    this.agent =
      options.mode === 'keep-alive'
        ? new Agent({ keepAlive: true, maxSockets: this.options.workers, maxFreeSockets: this.options.workers })
        : undefined;
    this.deadline = setTimeout(() => (this.stopping = true), this.options.maxDurationMs);
    this.workersDone = Promise.all(Array.from({ length: this.options.workers }, (_, i) => this.work(i))).then(() => {});
  }

  /** Starts a load run; it goes on until stop() or one of its bounds. */
  static start(options: LoadOptions): Load {
    return new Load(options);
  }

  get ok(): number {
    return this.responses.filter((r) => r.status === 200).length;
  }

  /** True once a bound was hit or stop() was called. */
  get stopped(): boolean {
    return this.stopping;
  }

  /**
   * Resolves once `count` more responses have arrived that were *sent* at or
   * after `sinceMs` (default: now). Rejects if the run ends first.
   */
  async waitForResponses(count: number, sinceMs = Date.now()): Promise<LoadResponse[]> {
    const found: LoadResponse[] = [];
    let scanned = 0;
    for (;;) {
      for (; scanned < this.responses.length; scanned++) {
        const response = this.responses[scanned]!;
        if (response.startMs >= sinceMs) found.push(response);
      }
      if (found.length >= count) return found;
      if (this.stopping) throw new Error(`load stopped with ${found.length}/${count} responses since ${sinceMs}`);
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  /** Stops sending, waits for requests in flight, and summarises. */
  async stop(): Promise<LoadSummary> {
    this.stopping = true;
    await this.workersDone;
    clearTimeout(this.deadline);
    this.agent?.destroy();
    for (const wake of this.waiters) wake();
    const latencies = this.responses.map((r) => r.endMs - r.startMs).sort((a, b) => a - b);
    return {
      sent: this.sent,
      ok: this.ok,
      errors: this.errors,
      badStatus: this.responses.filter((r) => r.status !== 200),
      responses: this.responses,
      connections: this.nextSocketId - 1,
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
      durationMs: Date.now() - this.startedAtMs,
    };
  }

  private async work(worker: number): Promise<void> {
    while (!this.stopping && this.sent < this.options.maxRequests) {
      this.sent++;
      await this.once(worker);
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    }
    if (this.sent >= this.options.maxRequests) this.stopping = true;
  }

  private once(worker: number): Promise<void> {
    const startMs = Date.now();
    const { host, port, socketPath, path, requestTimeoutMs } = this.options;
    return new Promise((resolve) => {
      let settled = false;
      let connection = 0;
      const fail = (code: string, message: string) => {
        if (settled) return;
        settled = true;
        this.errors.push({ worker, code, message, startMs, endMs: Date.now() });
        resolve();
      };
      const target = socketPath !== undefined ? { socketPath } : { host, port };
      const req: ClientRequest = request(
        { ...target, path, method: 'GET', agent: this.agent ?? false, timeout: requestTimeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? 'ERESPONSE', error.message));
          res.on('end', () => {
            if (settled) return;
            if (!res.complete) return fail('EINCOMPLETE', 'response ended before its body was complete');
            settled = true;
            const body = Buffer.concat(chunks).toString('utf8');
            this.responses.push({
              worker,
              connection,
              status: res.statusCode ?? 0,
              body,
              gen: parseGen(body),
              startMs,
              endMs: Date.now(),
            });
            resolve();
          });
        },
      );
      req.on('socket', (socket: Socket) => {
        let id = this.socketIds.get(socket);
        if (id === undefined) {
          id = this.nextSocketId++;
          this.socketIds.set(socket, id);
        }
        connection = id;
      });
      req.on('timeout', () => {
        req.destroy(Object.assign(new Error(`no response within ${requestTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      req.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? 'EUNKNOWN', error.message));
      req.end();
    });
  }
}

/** One-line description of a run, for assertion messages. */
export function describeLoad(summary: LoadSummary): string {
  const codes = new Map<string, number>();
  for (const error of summary.errors) codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
  const errorText = [...codes].map(([code, n]) => `${code}×${n}`).join(' ') || 'none';
  return (
    `${summary.sent} sent, ${summary.ok} ok, errors: ${errorText}, ${summary.badStatus.length} bad status, ` +
    `${summary.connections} connections, p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms, ` +
    `${summary.durationMs} ms`
  );
}
