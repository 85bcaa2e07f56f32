/** `aitws validate FILE...` and `aitws fmt FILE` — for CI pipelines and editors. */
import { writeFile } from 'node:fs/promises';
import { parseDocument, stringifyDocument, validateDocument } from '../document/index.js';
import { inert, jsonLineSafe } from '../document/inert-text.js';
import { maskSecrets } from '../document/redact.js';
import type { Limits } from '../document/types.js';
import { AitwsError, type Finding, formatFinding, TomlSyntaxError } from '../errors.js';
import type { Output } from '../output.js';
import { readTextFile } from '../text-file.js';

const EXIT_OK = 0;
const EXIT_INVALID = 1;
export const EXIT_UNREADABLE = 2;

/**
 * A file as it starts an output line: inert, and never starting with `::`, which GitHub Actions
 * runs as a workflow command (`::error::…`, `::add-mask::…`) whatever follows.
 */
function shownPath(file: string): string {
  const shown = inert(file);
  return shown.startsWith('::') ? `./${shown}` : shown;
}

async function readText(file: string, limits: Limits, output: Output): Promise<string | undefined> {
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

function describeParseError(file: string, error: unknown, output: Output): void {
  if (error instanceof TomlSyntaxError) {
    output.err(`${shownPath(file)}:${error.line ?? 0}:${error.column ?? 0}: error: ${inert(error.message)}`);
    if (error.excerpt !== undefined) output.err(inert(error.excerpt));
  } else if (error instanceof AitwsError) {
    output.err(`${shownPath(file)}: error: ${inert(error.message)}`);
  } else {
    throw error;
  }
}

function printFindings(file: string, level: string, findings: readonly Finding[], output: Output): void {
  for (const finding of findings) {
    output.out(`${shownPath(file)}: ${level}: ${inert(maskSecrets(formatFinding(finding)))}`);
  }
}

export async function validateFiles(
  files: readonly string[],
  options: { strict: boolean; limits: Limits; json: boolean },
  output: Output,
): Promise<number> {
  let exit = EXIT_OK;
  const results: unknown[] = [];
  for (const file of files) {
    const text = await readText(file, options.limits, output);
    if (text === undefined) {
      exit = EXIT_UNREADABLE;
      continue;
    }
    let document: ReturnType<typeof parseDocument>;
    try {
      document = parseDocument(text, options.limits);
    } catch (error) {
      describeParseError(file, error, output);
      exit = EXIT_UNREADABLE;
      continue;
    }
    const report = validateDocument(document, { mode: options.strict ? 'run' : 'draft' });
    if (report.errors.length > 0 && exit === EXIT_OK) exit = EXIT_INVALID;
    if (options.json) {
      results.push({ file, errors: report.errors, warnings: report.warnings, notices: report.notices });
      continue;
    }
    printFindings(file, 'error', report.errors, output);
    printFindings(file, 'warning', report.warnings, output);
    printFindings(file, 'note', report.notices, output);
    output.out(`${shownPath(file)}: ${report.errors.length} error(s), ${report.warnings.length} warning(s)`);
  }
  if (options.json) output.out(jsonLineSafe(maskSecrets(JSON.stringify(results, null, 2))));
  return exit;
}

export async function formatFile(
  file: string,
  options: { write: boolean; check: boolean; limits: Limits },
  output: Output,
): Promise<number> {
  const text = await readText(file, options.limits, output);
  if (text === undefined) return EXIT_UNREADABLE;
  let canonical: string;
  try {
    canonical = stringifyDocument(parseDocument(text, options.limits));
  } catch (error) {
    describeParseError(file, error, output);
    return EXIT_UNREADABLE;
  }
  if (options.check) {
    if (canonical === text) return EXIT_OK;
    output.err(`${shownPath(file)}: not in canonical form (run: aitws fmt ${shownPath(file)} --write)`);
    return EXIT_INVALID;
  }
  if (options.write) {
    if (canonical !== text) await writeFile(file, canonical, 'utf8');
    output.err(`${shownPath(file)}: ${canonical === text ? 'already canonical' : 'formatted'}`);
    return EXIT_OK;
  }
  // stdout is the file's content: a terminal or a redirect, never a chat, so values stay real.
  output.out(canonical.replace(/\n$/, ''));
  return EXIT_OK;
}
