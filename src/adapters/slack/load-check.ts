/**
 * The modal must answer a bad paste with a field error inside its 3-second ack, before anything
 * touches the store, so it checks the text the same way /load will (parse, limits, validation).
 * /load checks again when it runs: this is for the form, the core stays the authority.
 */
import { AitwsError, formatFinding, TomlSyntaxError } from '../../errors.js';
import { parseDocument, validateDocument } from '../../document/index.js';
import type { Limits } from '../../document/types.js';

/** Slack shows a field error under the input; a short one reads best. */
const MAX_MESSAGE = 1500;
const MAX_FINDINGS = 5;

function cut(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}

/** Undefined when the text would load; otherwise what to fix, for the form. */
export function checkDocumentText(text: string, limits: Limits): string | undefined {
  if (text.trim() === '') return 'Paste an aiTWS TOML document.';
  try {
    const report = validateDocument(parseDocument(text, limits), { mode: 'draft' });
    if (report.errors.length === 0) return undefined;
    const listed = report.errors.slice(0, MAX_FINDINGS).map(formatFinding);
    const more = report.errors.length - listed.length;
    return cut(
      `${report.errors.length} error${report.errors.length === 1 ? '' : 's'}; nothing was loaded. ${listed.join(' · ')}${more > 0 ? ` · …and ${more} more` : ''}`,
    );
  } catch (error) {
    if (error instanceof TomlSyntaxError) {
      const where = error.line === undefined ? '' : ` (line ${error.line}, column ${error.column ?? 1})`;
      return cut(`Not valid TOML${where}: ${error.message}`);
    }
    if (error instanceof AitwsError) return cut(error.message);
    return 'This document could not be read.';
  }
}
