/** `aitws validate FILE...` — for CI pipelines and editors. */
import { parseDocument, validateDocument } from '../document/index.js';
import { inert, jsonLineSafe } from '../document/inert-text.js';
import { maskSecrets } from '../document/redact.js';
import type { Limits } from '../document/types.js';
import { type Finding, formatFinding } from '../errors.js';
import type { Output } from '../output.js';
import {
  describeParseError,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_UNREADABLE,
  readText,
  shownPath,
} from './document-files.js';

export { EXIT_UNREADABLE } from './document-files.js';
// formatFile lived here before `aitws fmt` grew its own module; callers still import it from here.
export { formatFile } from './fmt.js';

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
