/**
 * What /load would say about a document, without loading it: for a form that must answer a bad
 * paste inside its own short deadline (Slack's modal has a 3-second ack), before anything touches
 * the store. It checks the text the way /load does (parse, limits, validation); /load checks again
 * when it runs, so this is advice for the form and /load stays the authority.
 */
import { parseDocument, validateDocument } from '../document/index.js';
import type { Limits } from '../document/types.js';
import { AitwsError, type Finding, formatFinding, TomlSyntaxError } from '../errors.js';

/** A form shows this under its input; a short one reads best (Slack cuts field errors). */
const MAX_MESSAGE = 1500;
const MAX_FINDINGS = 5;

function cut(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}

function describeErrors(errors: readonly Finding[]): string {
  const listed = errors.slice(0, MAX_FINDINGS).map(formatFinding);
  const more = errors.length - listed.length;
  const count = `${errors.length} error${errors.length === 1 ? '' : 's'}`;
  return cut(`${count}; nothing was loaded. ${listed.join(' · ')}${more > 0 ? ` · …and ${more} more` : ''}`);
}

function describeFailure(error: unknown): string {
  if (error instanceof TomlSyntaxError) {
    const where = error.line === undefined ? '' : ` (line ${error.line}, column ${error.column ?? 1})`;
    return cut(`Not valid TOML${where}: ${error.message}`);
  }
  if (error instanceof AitwsError) return cut(error.message);
  return 'This document could not be read.';
}

/** Undefined when the text would load; otherwise what to fix, one line for the form. */
export function checkDocument(text: string, limits: Limits): string | undefined {
  if (text.trim() === '') return 'Paste an aiTWS TOML document.';
  try {
    const report = validateDocument(parseDocument(text, limits), { mode: 'draft' });
    return report.errors.length === 0 ? undefined : describeErrors(report.errors);
  } catch (error) {
    return describeFailure(error);
  }
}
