/** What every `aitws` subcommand is given: its arguments, the environment, and where to print. */
import type { Output } from '../output.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export const stdio: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
