/**
 * The control socket's log lines go through logControl() so that their event
 * name is set in one place: 'control', an addition to SPEC.md's list for
 * facts about control connections (a refused peer, a dropped slow client).
 */
import type { Log, LogFields } from '../log.js';

const CONTROL_EVENT = 'control';

export type ControlLogLevel = 'debug' | 'info' | 'warn' | 'error';

export function logControl(log: Log, level: ControlLogLevel, fields: LogFields, message: string): void {
  log[level](CONTROL_EVENT, fields, message);
}
