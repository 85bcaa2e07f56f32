/** `aitws validate`: check aiTWS files, for people and CI. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { type Environment, stdio } from './subcommand.js';
import { EXIT_UNREADABLE, validateFiles } from './validate-files.js';

export const VALIDATE_USAGE = `  validate FILE... [--strict] [--json]
                                  check aiTWS files; exit 0 valid, 1 errors, 2 unreadable`;

export async function validateCommand(args: readonly string[], env: Environment): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { strict: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    stdio.err('aitws validate: give at least one file, e.g. aitws validate ai.toml');
    return EXIT_UNREADABLE;
  }
  const config = loadConfig(env, ['limits', 'log']);
  return validateFiles(
    positionals,
    { strict: values.strict, json: values.json, limits: config.limits },
    stdio,
  );
}
