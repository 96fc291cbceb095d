/**
 * What the control commands print: one line per outcome, a readable table for
 * status. Pure functions of the server's answer (and the clock, passed in).
 */
import { assessHealth, type ActionOutcome, type HealthReport, type StatusReport } from './protocol.js';

/** A span for people: 850ms, 1.2s, 45s, 3m12s, 3h10m, 2d4h. */
export function formatSpan(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  if (total < 1_000) return `${total}ms`;
  if (total < 10_000) return `${(Math.floor(total / 100) / 10).toFixed(1)}s`;
  const seconds = Math.floor(total / 1_000);
  if (seconds < 60) return `${seconds}s`;
  const [minutes, hours, days] = [Math.floor(seconds / 60), Math.floor(seconds / 3_600), Math.floor(seconds / 86_400)];
  if (minutes < 60) return `${minutes}m${pad2(seconds % 60)}s`;
  if (hours < 24) return `${hours}h${pad2(minutes % 60)}m`;
  return `${days}d${hours % 24}h`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `swap done: generation 3 (pid 41) serving after 1.2s`, or
 * `swap failed: <why>; generation 2 keeps serving (after 3.4s)`. */
export function formatOutcome(outcome: ActionOutcome): string {
  const what = outcome.message.trim() || (outcome.gen !== undefined ? `generation ${outcome.gen}` : 'no details given');
  const span = formatSpan(outcome.durationMs);
  return outcome.ok ? `${outcome.action} done: ${what} after ${span}` : `${outcome.action} failed: ${what} (after ${span})`;
}

export function formatHealth(health: HealthReport): string {
  return health.healthy ? 'healthy' : `unhealthy: ${health.reason ?? 'no reason given'}`;
}

/** Left-aligned columns, two spaces apart, no trailing blanks. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
}

function formatLast(label: string, last: StatusReport['lastSwap'], nowMs: number): string {
  if (last === null) return `${label}never`;
  const atMs = Date.parse(last.at);
  const when = Number.isNaN(atMs) ? last.at : `${formatSpan(nowMs - atMs)} ago (${last.at})`;
  const verdict = last.ok ? 'done' : 'FAILED';
  return `${label}${verdict} in ${formatSpan(last.durationMs)}, ${when}: ${last.message || 'no details given'}`;
}

export function formatStatus(report: StatusReport, nowMs: number): string {
  const health = assessHealth(report);
  const lines = [
    `hotinit ${report.version} (pid ${report.pid}), up ${formatSpan(report.uptimeMs)}, ${formatHealth(health)}`,
  ];
  if (report.swapInProgress) lines.push('a swap is in progress');
  lines.push('');
  if (report.generations.length === 0) {
    lines.push('no generations');
  } else {
    const rows = [['GEN', 'PID', 'STATE', 'SERVING', 'UPTIME']];
    for (const g of report.generations) {
      rows.push([String(g.gen), String(g.pid), g.state, g.serving ? 'yes' : 'no', formatSpan(g.uptimeMs)]);
    }
    lines.push(...table(rows));
  }
  lines.push('');
  if (report.listeners.length === 0) {
    lines.push('no listeners held by hotinit (no --listen)');
  } else {
    lines.push(...table([['LISTENER', 'ADDRESS'], ...report.listeners.map((l) => [l.name, l.address])]));
  }
  lines.push('', formatLast('last swap:    ', report.lastSwap, nowMs), formatLast('last reload:  ', report.lastReload, nowMs));
  return `${lines.join('\n')}\n`;
}
