/**
 * The control socket's log lines go through logControl() so that their event
 * name is set in one place. SPEC.md's closed list has no event for control
 * connections (a refused peer, a dropped slow client); 'control' is proposed
 * to the lead. Until it joins LOG_EVENTS the cast below stands in for it: when
 * it does, delete the cast and nothing else changes.
 */
import type { Log, LogEvent, LogFields } from '../log.js';

const CONTROL_EVENT = 'control' as LogEvent;

export type ControlLogLevel = 'debug' | 'info' | 'warn' | 'error';

export function logControl(log: Log, level: ControlLogLevel, fields: LogFields, message: string): void {
  log[level](CONTROL_EVENT, fields, message);
}
