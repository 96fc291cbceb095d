/**
 * The control protocol: JSON lines over a Unix stream socket, version 1.
 * This file is the contract between the control server, the supervisor that
 * implements ControlTarget, and any other tool that speaks to hotinit
 * (docs/control-protocol.md says the same for people).
 *
 * Request, one line of at most MAX_LINE_BYTES (UTF-8, `\n`-terminated):
 *
 *   {"v":1,"id":"a1","op":"swap","stage":"/app/server.new"}
 *
 *   v      required, 1. Any other value → error `unsupported-version`.
 *   id     optional string (≤ 200 chars) or number, echoed in the response.
 *   op     "status" | "swap" | "reload" | "health".
 *   stage  swap only, optional: a staged binary to use instead of --stage.
 *   Unknown fields are ignored, so later clients can add optional ones.
 *
 * Response, one line:
 *
 *   {"v":1,"id":"a1","ok":true,"result":{...}}
 *   {"v":1,"id":"a1","ok":false,"error":{"code":"unknown-op","message":"..."}}
 *
 * `ok` is about the request, not the swap: a swap that was carried out and
 * failed is `ok:true` with an ActionOutcome whose own `ok` is false. Results:
 * status → StatusReport, swap/reload → ActionOutcome, health → HealthReport.
 *
 * A connection carries any number of requests in sequence; each is answered
 * before the next line is read. The server closes the connection after the
 * errors marked "closes" in ERROR_CODES, when a client sends no complete line
 * within the idle timeout (after answering it `timeout`), and when the client
 * half-closes and every request it sent has been answered.
 */

export const PROTOCOL_VERSION = 1;
/** Longest request line accepted, newline excluded. */
export const MAX_LINE_BYTES = 64 * 1024;
export const OPS = ['status', 'swap', 'reload', 'health'] as const;
export type ControlOp = (typeof OPS)[number];

/** What a swap or a reload came to. `message` is a phrase without a final
 * period: on success what now serves ("generation 3 (pid 41) serving"), on
 * failure why, and what keeps serving. */
export interface ActionOutcome {
  ok: boolean;
  action: 'swap' | 'reload';
  message: string;
  /** The generation serving afterwards. */
  gen?: number;
  durationMs: number;
  /** Machine-readable extras (e.g. exitCode, checkOutput); shown by --json. */
  detail?: Record<string, unknown>;
}

export interface GenerationStatus {
  gen: number;
  pid: number;
  state: 'starting' | 'ready' | 'draining' | 'exited';
  uptimeMs: number;
  /** Its sockets are the ones clients reach now. */
  serving: boolean;
}

export interface StatusReport {
  version: string;
  pid: number;
  uptimeMs: number;
  /** Same rule as assessHealth: a generation is serving and ready. */
  healthy: boolean;
  generations: GenerationStatus[];
  listeners: { name: string; address: string }[];
  lastSwap: (ActionOutcome & { at: string }) | null;
  lastReload: (ActionOutcome & { at: string }) | null;
  swapInProgress: boolean;
}

export interface HealthReport {
  healthy: boolean;
  /** Why not, when not healthy. */
  reason: string | null;
}

/** What the control server drives: the supervisor implements it. */
export interface ControlTarget {
  /** Coalescing with SIGUSR2 is the target's job: callers that share a swap
   * all get its outcome. Should resolve, not reject, when the swap fails. */
  swap(request: { stage: string | null }): Promise<ActionOutcome>;
  reload(): Promise<ActionOutcome>;
  status(): StatusReport;
}

/** Error codes, and whether the server closes the connection after each. */
export const ERROR_CODES = {
  'bad-json': false,
  'bad-request': false,
  'unsupported-version': false,
  'unknown-op': false,
  /** The target threw: a bug in hotinit, logged at error level. */
  internal: false,
  'line-too-long': true,
  /** No complete line within the idle timeout. */
  timeout: true,
  /** Too many open control connections; try again shortly. */
  busy: true,
  /** The peer's uid is neither hotinit's own nor root. */
  'permission-denied': true,
} as const;
export type ControlErrorCode = keyof typeof ERROR_CODES;

export type RequestId = string | number | null;

export interface ControlRequest {
  id: RequestId;
  op: ControlOp;
  /** swap only; null: the server's own --stage. */
  stage: string | null;
}

export interface ControlError {
  code: ControlErrorCode;
  message: string;
}

export type ControlResponse =
  | { v: typeof PROTOCOL_VERSION; id: RequestId; ok: true; result: StatusReport | ActionOutcome | HealthReport }
  | { v: typeof PROTOCOL_VERSION; id: RequestId; ok: false; error: ControlError };

export type ParsedRequest = { ok: true; request: ControlRequest } | { ok: false; id: RequestId; error: ControlError };

const MAX_ID_LENGTH = 200;

function refuse(id: RequestId, code: ControlErrorCode, message: string): ParsedRequest {
  return { ok: false, id, error: { code, message } };
}

/** One request line (without its newline) → a request, or the error to answer. */
export function parseRequest(line: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return refuse(null, 'bad-json', `not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refuse(null, 'bad-request', 'a request is a JSON object, e.g. {"v":1,"op":"status"}');
  }
  const fields = value as Record<string, unknown>;
  const rawId = fields.id;
  const idOk =
    rawId === undefined ||
    rawId === null ||
    (typeof rawId === 'string' && rawId.length <= MAX_ID_LENGTH) ||
    (typeof rawId === 'number' && Number.isFinite(rawId));
  if (!idOk) return refuse(null, 'bad-request', `"id" must be a string (at most ${MAX_ID_LENGTH} characters) or a number`);
  const id = (rawId ?? null) as RequestId;
  if (fields.v === undefined) {
    return refuse(id, 'bad-request', `missing "v": the protocol version (this hotinit speaks ${PROTOCOL_VERSION})`);
  }
  if (fields.v !== PROTOCOL_VERSION) {
    return refuse(id, 'unsupported-version', `protocol version ${JSON.stringify(fields.v)} is not supported (this hotinit speaks ${PROTOCOL_VERSION})`);
  }
  const op = fields.op;
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
    return refuse(id, 'unknown-op', `unknown op ${JSON.stringify(op ?? null)} (expected one of ${OPS.join(', ')})`);
  }
  const stage = fields.stage ?? null;
  if (stage !== null && op !== 'swap') return refuse(id, 'bad-request', `"stage" applies to swap only, not ${op}`);
  if (stage !== null && (typeof stage !== 'string' || stage === '' || stage.includes('\0'))) {
    return refuse(id, 'bad-request', '"stage" must be a non-empty path');
  }
  return { ok: true, request: { id, op: op as ControlOp, stage: stage as string | null } };
}

export function encodeResponse(response: ControlResponse): string {
  return `${JSON.stringify(response)}\n`;
}

export function errorResponse(id: RequestId, error: ControlError): ControlResponse {
  return { v: PROTOCOL_VERSION, id, ok: false, error };
}

/** Healthy when a generation is serving and ready; otherwise names why. */
export function assessHealth(report: StatusReport): HealthReport {
  const live = report.generations.filter((g) => g.state !== 'exited');
  if (live.some((g) => g.serving && g.state === 'ready')) {
    return report.healthy ? { healthy: true, reason: null } : { healthy: false, reason: 'hotinit reports itself unhealthy' };
  }
  if (live.length === 0) return { healthy: false, reason: 'no generation is running' };
  const states = live.map((g) => `generation ${g.gen} (pid ${g.pid}) is ${g.state}${g.state === 'ready' ? ' but not serving' : ''}`);
  return { healthy: false, reason: states.join('; ') };
}
