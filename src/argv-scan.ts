// getopt_long-style scanning of argv and the flag-then-environment lookup
// that options.ts builds its ParsedCommand with. Every failure is a
// UsageError naming the flag (as written) or the env variable.

import { parseBoolean } from './option-values.js';

/** Bad usage: the CLI prints `hotinit: <message>`, a --help hint, exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type Arity = 'flag' | 'count' | 'value';
export interface OptionDef { long: string; short?: string; arity: Arity }
export const opt = (long: string, arity: Arity, short?: string): OptionDef =>
  short === undefined ? { long, arity } : { long, arity, short };

/** One occurrence of an option: `label` is what to name in an error. */
export interface Given { label: string; value: string }
export type Env = Record<string, string | undefined>;
interface Scanned { given: Map<string, Given[]>; rest: string[]; early?: 'help' | 'version' }

/** `--stop-timeout` → `HOTINIT_STOP_TIMEOUT`. */
export function envName(long: string): string {
  return `HOTINIT_${long.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * getopt_long-style scan: bundles (`-sgw`, `-vv`), attached values (`-e3`,
 * `--remap-exit=3`), separate values, stops at `--` or the first non-option.
 * Stops early on --help/--version so that they work whatever else is wrong.
 */
export function scan(argv: readonly string[], defs: readonly OptionDef[]): Scanned {
  const given = new Map<string, Given[]>();
  let i = 0;
  const takeNext = (label: string): string => {
    const next = argv[i];
    // `--stage -- cmd` is a forgotten value, not a stage called "--".
    if (next === undefined || next === '--') throw new UsageError(`${label} needs a value`);
    i++;
    return next;
  };
  const record = (def: OptionDef, label: string, value: string): void => {
    const list = given.get(def.long) ?? [];
    list.push({ label, value });
    given.set(def.long, list);
  };
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg === '--') { i++; break; }
    if (!arg.startsWith('-') || arg === '-') break;
    i++;
    const found: Array<{ def: OptionDef; label: string; attached: string | null }> = [];
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const def = defs.find((d) => d.long === name);
      if (!def) throw new UsageError(`unknown option --${name}${suggest(name, defs)}`);
      if (def.arity !== 'value' && eq >= 0) throw new UsageError(`--${name} takes no value`);
      found.push({ def, label: `--${name}`, attached: eq < 0 ? null : arg.slice(eq + 1) });
    } else {
      for (let j = 1; j < arg.length; j++) {
        const label = `-${arg[j]}`;
        const def = defs.find((d) => d.short === arg[j]);
        if (!def) throw new UsageError(`unknown option ${label}`);
        if (def.arity !== 'value') {
          found.push({ def, label, attached: null });
          continue;
        }
        // The rest of the bundle is the value; `-e=3` is read as `-e 3`
        // (no value of a short option can start with '=').
        const rest = arg.slice(j + 1);
        found.push({ def, label, attached: rest === '' ? null : rest.replace(/^=/, '') });
        break;
      }
    }
    for (const { def, label, attached } of found) {
      if (def.long === 'help' || def.long === 'version') {
        return { given, rest: [], early: def.long };
      }
      record(def, label, def.arity === 'value' ? attached ?? takeNext(label) : '');
    }
  }
  return { given, rest: argv.slice(i) };
}

/** ` (did you mean --stop-timeout?)` for near misses, else ''. */
function suggest(name: string, defs: readonly OptionDef[]): string {
  const distance = (a: string, b: string): number => {
    let prev = Array.from({ length: b.length + 1 }, (_, k) => k);
    for (let x = 1; x <= a.length; x++) {
      const row = [x];
      for (let y = 1; y <= b.length; y++) {
        const substitution = prev[y - 1]! + (a[x - 1] === b[y - 1] ? 0 : 1);
        row[y] = Math.min(prev[y]! + 1, row[y - 1]! + 1, substitution);
      }
      prev = row;
    }
    return prev[b.length]!;
  };
  if (name.length < 3) return '';
  const best = defs.find((d) => d.long.startsWith(name) || distance(d.long, name) <= 2);
  return best ? ` (did you mean --${best.long}?)` : '';
}

/** Flags first, HOTINIT_* env second; empty env values count as unset. */
export class Sources {
  constructor(
    private readonly given: Map<string, Given[]>,
    private readonly env: Env,
  ) {}

  /** The last flag occurrence: getopt's "last one wins". */
  lastFlag(long: string): Given | undefined {
    return this.given.get(long)?.at(-1);
  }
  flagCount(long: string): number | undefined {
    return this.given.get(long)?.length;
  }
  fromEnv(long: string): Given | undefined {
    const label = envName(long);
    const value = this.env[label];
    return value === undefined || value === '' ? undefined : { label, value };
  }
  one(long: string): Given | undefined {
    return this.lastFlag(long) ?? this.fromEnv(long);
  }
  /** All flag occurrences; only when there are none, the env twin split on ','. */
  all(long: string): Given[] {
    const flags = this.given.get(long);
    if (flags) return flags;
    const env = this.fromEnv(long);
    if (!env) return [];
    const items = env.value.split(',').map((v) => v.trim()).filter((v) => v !== '');
    return items.map((value) => ({ label: env.label, value }));
  }
  /** Flag given → on; else the env twin as a boolean; else the tini variable set → on. */
  flag(long: string, tiniEnv?: string): boolean {
    if (this.given.has(long)) return true;
    const env = this.fromEnv(long);
    if (env) return convert(env, parseBoolean);
    return tiniEnv !== undefined && (this.env[tiniEnv] ?? '') !== '';
  }
}

/** Runs a value parser and puts the flag/env name in front of its message. */
export function convert<T>(given: Given, parse: (text: string) => T): T {
  try {
    return parse(given.value);
  } catch (err) {
    throw new UsageError(`${given.label}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
export const maybe = <T>(given: Given | undefined, fallback: T, parse: (text: string) => T): T =>
  given === undefined ? fallback : convert(given, parse);
