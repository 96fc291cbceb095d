/** Placeholder until the control server exists (issue 5): says so and exits 3. */
import type { ParsedCommand } from '../options.js';

export async function runControlCommand(command: Extract<ParsedCommand, { kind: 'control' }>): Promise<number> {
  process.stderr.write(`hotinit ${command.action}: the control socket is not implemented yet\n`);
  return 3;
}
