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

async function main(argv: string[]): Promise<number> {
  process.title = 'hotinit';
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
