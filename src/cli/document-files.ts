/**
 * What `aitws validate` and `aitws fmt` share: the exit codes, reading a file named on the command
 * line, and reporting a file that cannot be read or parsed, each line safe for a CI log.
 */
import { inert } from '../document/inert-text.js';
import type { Limits } from '../document/types.js';
import { AitwsError, TomlSyntaxError } from '../errors.js';
import type { Output } from '../output.js';
import { readTextFile } from '../text-file.js';

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_UNREADABLE = 2;

/**
 * A file as it starts an output line: inert, and never starting with `::`, which GitHub Actions
 * runs as a workflow command (`::error::…`, `::add-mask::…`) whatever follows.
 */
export function shownPath(file: string): string {
  const shown = inert(file);
  return shown.startsWith('::') ? `./${shown}` : shown;
}

export async function readText(file: string, limits: Limits, output: Output): Promise<string | undefined> {
  try {
    return await readTextFile(file, limits.documentBytes);
  } catch (error) {
    if (error instanceof AitwsError) {
      output.err(`${shownPath(file)}: cannot read the file: ${error.message}`);
      return undefined;
    }
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    output.err(`${shownPath(file)}: cannot read the file (${reason})`);
    return undefined;
  }
}

export function describeParseError(file: string, error: unknown, output: Output): void {
  if (error instanceof TomlSyntaxError) {
    output.err(`${shownPath(file)}:${error.line ?? 0}:${error.column ?? 0}: error: ${inert(error.message)}`);
    if (error.excerpt !== undefined) output.err(inert(error.excerpt));
  } else if (error instanceof AitwsError) {
    output.err(`${shownPath(file)}: error: ${inert(error.message)}`);
  } else {
    throw error;
  }
}
