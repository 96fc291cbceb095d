// The Linux x86_64 signal table, as users write it on the command line
// (`TERM`, `SIGTERM`, `15`, `RTMIN+3`) and as hotinit prints it in logs.
// Pure: no process access, so it is safe to use before anything else runs.

export type SignalName = `SIG${string}`;

/** Standard signal numbers (x86_64; arm64 and most other Linux ABIs agree). */
export const SIG = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8,
  KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15,
  STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22,
  URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29,
  PWR: 30, SYS: 31,
} as const;

// What glibc reports for SIGRTMIN/SIGRTMAX: the kernel's realtime range
// starts at 32, but glibc keeps 32 and 33 for its threading internals.
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;
const RT_SPAN = SIGRTMAX - SIGRTMIN; // 30

/** Canonical name (without SIG) for each standard number, index = number. */
const NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, n] of Object.entries(SIG)) names[n] = name;
  return names;
})();

// Other spellings glibc and procps accept for the same numbers.
const ALIASES: Readonly<Record<string, number>> = {
  IOT: SIG.ABRT,
  POLL: SIG.IO,
  CLD: SIG.CHLD,
};

/** 1..31 and 34..64: the numbers a user may name. */
export function isValidSignal(n: number): boolean {
  return Number.isInteger(n) && ((n >= 1 && n <= 31) || (n >= SIGRTMIN && n <= SIGRTMAX));
}

const ACCEPTED = '(e.g. TERM, SIGHUP, 15, RTMIN+3)';

/**
 * Parses `TERM`, `SIGTERM`, `sigterm`, `15`, `RTMIN`, `RTMIN+3`, `SIGRTMAX-1`.
 * Throws an Error whose message is `"<text>" is not a signal (...)`, meant
 * to be prefixed with the flag name by the caller.
 */
export function parseSignal(text: string): number {
  const bad = (why = ACCEPTED): Error => new Error(`${JSON.stringify(text)} is not a signal ${why}`);
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n === 32 || n === 33) throw bad('(32 and 33 are reserved by glibc)');
    if (!isValidSignal(n)) throw bad('(1-31 or 34-64)');
    return n;
  }
  const upper = text.toUpperCase();
  const name = upper.startsWith('SIG') ? upper.slice(3) : upper;
  // hasOwn: only the tables' own keys count, never inherited ones.
  if (Object.hasOwn(SIG, name)) return (SIG as Readonly<Record<string, number>>)[name]!;
  if (Object.hasOwn(ALIASES, name)) return ALIASES[name]!;
  const rt = /^RT(MIN|MAX)(?:([+-])(\d{1,2}))?$/.exec(name);
  if (rt) {
    const [, base, sign, digits] = rt;
    const offset = digits === undefined ? 0 : Number(digits);
    // Only RTMIN+n and RTMAX-n stay inside the range; RTMIN-1 would be 33.
    if (base === 'MIN' && (sign ?? '+') === '+' && offset <= RT_SPAN) return SIGRTMIN + offset;
    if (base === 'MAX' && (sign ?? '-') === '-' && offset <= RT_SPAN) return SIGRTMAX - offset;
    throw bad('(RTMIN+0..RTMIN+30, RTMAX-30..RTMAX-0)');
  }
  throw bad();
}

/**
 * `15` → `SIGTERM`, `37` → `SIGRTMIN+3`, `63` → `SIGRTMAX-1`. The realtime
 * half-way split (RTMIN+15 / RTMAX-14) is the one `kill -l` prints. Never
 * throws: numbers outside the table come back as `SIG<n>` so a log line
 * about an odd signal still gets written.
 */
export function signalName(n: number): SignalName {
  const standard = n >= 1 && n <= 31 ? NAMES[n] : undefined;
  if (standard !== undefined) return `SIG${standard}`;
  if (n === SIGRTMIN) return 'SIGRTMIN';
  if (n === SIGRTMAX) return 'SIGRTMAX';
  if (n > SIGRTMIN && n <= SIGRTMIN + 15) return `SIGRTMIN+${n - SIGRTMIN}`;
  if (n > SIGRTMIN + 15 && n < SIGRTMAX) return `SIGRTMAX-${SIGRTMAX - n}`;
  return `SIG${n}`;
}

// Not forwarded:
// - KILL and STOP cannot be caught at all;
// - CHLD is hotinit's own business (reaping), never the app's;
// - ILL, BUS, FPE, SEGV are synchronous faults: a Node process cannot keep
//   them blocked or handle them in JS, and a kill(2)-sent one would crash us;
// - 32 and 33 belong to glibc's thread implementation.
const NOT_FORWARDABLE: ReadonlySet<number> = new Set([
  SIG.ILL, SIG.BUS, SIG.FPE, SIG.KILL, SIG.SEGV, SIG.CHLD, SIG.STOP, 32, 33,
]);

/** Every signal hotinit listens for and passes on (USR1/USR2 included: the
 * caller translates those into reload/swap). Ascending order. */
export const FORWARDABLE_SIGNALS: readonly number[] = Object.freeze(
  Array.from({ length: SIGRTMAX }, (_, i) => i + 1).filter((n) => !NOT_FORWARDABLE.has(n)),
);

export function isForwardable(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= SIGRTMAX && !NOT_FORWARDABLE.has(n);
}
