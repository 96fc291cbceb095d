/**
 * The entry point, and the only module that reads argv and decides the exit
 * status. One catch at the top turns every error into a message.
 */
import { readFileSync } from 'node:fs';
import { helpText, versionText } from './usage.js';
import { parseArgs, UsageError } from './options.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const MINIMUM_NODE = [22, 14] as const;

/** The launcher runs whatever `node` is on PATH: say plainly when it is too old. */
function nodeTooOld(): string | null {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > MINIMUM_NODE[0] || (major === MINIMUM_NODE[0] && minor >= MINIMUM_NODE[1])) return null;
  return `hotinit needs Node.js >= ${MINIMUM_NODE.join('.')}, but ${process.execPath} is ${process.version}; put a newer node first on PATH or set HOTINIT_NODE\n`;
}

async function main(argv: string[]): Promise<number> {
  process.title = 'hotinit';
  const tooOld = nodeTooOld();
  if (tooOld) {
    process.stderr.write(tooOld);
    return 127;
  }
  let parsed;
  try {
    parsed = parseArgs(argv, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`hotinit: ${error.message}\nTry 'hotinit --help'.\n`);
    return 2;
  }
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(helpText());
      return 0;
    case 'version':
      process.stdout.write(versionText(packageVersion()));
      return 0;
    case 'control': {
      const { runControlCommand } = await import('./control/client.js');
      return runControlCommand(parsed);
    }
    case 'run': {
      const { run } = await import('./init.js');
      return run(parsed.options, packageVersion());
    }
  }
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`hotinit: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
