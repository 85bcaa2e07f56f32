/** `aitws fmt`: canonical TOML for aiTWS files, comments kept. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { EXIT_UNREADABLE } from './document-files.js';
import { type FmtMode, formatFiles } from './fmt.js';
import { type Environment, stdio } from './subcommand.js';

export const FMT_USAGE = `  fmt FILE... [--write | --check]
                                  print canonical TOML (one file), rewrite or check files;
                                  comments are kept`;

/** The mode the flags ask for, or why they cannot be honoured. */
function modeOf(write: boolean, check: boolean, files: number): { mode: FmtMode } | { problem: string } {
  if (files === 0) return { problem: 'give at least one file, e.g. aitws fmt ai.toml --write' };
  if (write && check) return { problem: 'give --write or --check, not both' };
  if (write) return { mode: 'write' };
  if (check) return { mode: 'check' };
  // Several canonical texts one after another on stdout would read as one broken file.
  if (files > 1) return { problem: 'give one file to print, or --write or --check for several' };
  return { mode: 'print' };
}

export async function fmtCommand(args: readonly string[], env: Environment): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { write: { type: 'boolean', default: false }, check: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const asked = modeOf(values.write, values.check, positionals.length);
  if ('problem' in asked) {
    stdio.err(`aitws fmt: ${asked.problem}`);
    return EXIT_UNREADABLE;
  }
  const config = loadConfig(env, ['limits', 'log']);
  return formatFiles(positionals, { mode: asked.mode, limits: config.limits }, stdio);
}
