/**
 * `aitws fmt FILE...`: print, rewrite or check the canonical form of aiTWS files, comments kept
 * (src/document/toml-format.ts). A file is written only when its canonical form parses to the same
 * document with the same comments, and atomically.
 */
import { formatDocumentText } from '../document/toml-format.js';
import type { Limits } from '../document/types.js';
import type { Output } from '../output.js';
import {
  describeParseError,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_UNREADABLE,
  readText,
  shownPath,
} from './document-files.js';
import { replaceFile } from './fmt-write.js';

/** Print the canonical form (one file), rewrite files into it, or only say which are not in it. */
export type FmtMode = 'print' | 'write' | 'check';

async function write(file: string, formatted: string, output: Output): Promise<number> {
  try {
    await replaceFile(file, formatted);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unwritable';
    output.err(`${shownPath(file)}: cannot write the file (${reason}); it was left as it is`);
    return EXIT_UNREADABLE;
  }
  output.err(`${shownPath(file)}: formatted`);
  return EXIT_OK;
}

async function formatOne(file: string, mode: FmtMode, limits: Limits, output: Output): Promise<number> {
  const text = await readText(file, limits, output);
  if (text === undefined) return EXIT_UNREADABLE;
  let formatted: string;
  try {
    formatted = formatDocumentText(text, limits);
  } catch (error) {
    describeParseError(file, error, output);
    return EXIT_UNREADABLE;
  }
  if (mode === 'print') {
    // stdout is the file's content: a terminal or a redirect, never a chat, so values stay real.
    output.out(formatted.replace(/\n$/, ''));
    return EXIT_OK;
  }
  if (formatted === text) {
    if (mode === 'write') output.err(`${shownPath(file)}: already canonical`);
    return EXIT_OK;
  }
  if (mode === 'write') return write(file, formatted, output);
  output.err(`${shownPath(file)}: not in canonical form (run: aitws fmt ${shownPath(file)} --write)`);
  return EXIT_INVALID;
}

/** Each file in turn; the exit status is the worst of theirs (0 < 1 not canonical < 2 unreadable). */
export async function formatFiles(
  files: readonly string[],
  options: { mode: FmtMode; limits: Limits },
  output: Output,
): Promise<number> {
  let exit = EXIT_OK;
  for (const file of files)
    exit = Math.max(exit, await formatOne(file, options.mode, options.limits, output));
  return exit;
}

/** One file, `check` winning over `write` as it always has. */
export function formatFile(
  file: string,
  options: { write: boolean; check: boolean; limits: Limits },
  output: Output,
): Promise<number> {
  const mode: FmtMode = options.check ? 'check' : options.write ? 'write' : 'print';
  return formatFiles([file], { mode, limits: options.limits }, output);
}
