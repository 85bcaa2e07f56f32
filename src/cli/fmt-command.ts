/** `aitws fmt`: canonical TOML for aiTWS files. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { type Environment, stdio } from './subcommand.js';
import { EXIT_UNREADABLE, formatFile } from './validate-files.js';

export const FMT_USAGE = `  fmt FILE [--write | --check]    print canonical TOML, rewrite the file, or check it`;

export async function fmtCommand(args: readonly string[], env: Environment): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { write: { type: 'boolean', default: false }, check: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) {
    stdio.err('aitws fmt: give exactly one file, e.g. aitws fmt ai.toml --write');
    return EXIT_UNREADABLE;
  }
  const config = loadConfig(env, ['limits', 'log']);
  return formatFile(file, { write: values.write, check: values.check, limits: config.limits }, stdio);
}
