/**
 * The TOML codec: parse with limits and a readable syntax error, and a canonical stringify whose
 * output is stable (registry order, then alphabetical), so saved files diff cleanly and
 * `stringify(parse(stringify(d))) === stringify(d)`.
 */
import { parse, stringify, TomlError } from 'smol-toml';
import { TomlSyntaxError } from '../errors.js';
import { containsDate, findImpossibleDate } from './calendar.js';
import { checkDocumentBytes, checkStructure } from './limits.js';
import { getSection, SECTIONS } from './sections.js';
import { isTable } from './tree.js';
import {
  type AitwsDocument,
  DEFAULT_LIMITS,
  type Limits,
  type NestedListSpec,
  type SectionSpec,
  type TomlTable,
  type TomlValue,
} from './types.js';

/** Enough of a long line either side of the error to recognise it, little enough for a chat message. */
const EXCERPT_CONTEXT = 40;

/** The offending line and a caret under the column, the line cut to a window around the column. */
export function caretExcerpt(text: string, line: number, column: number): string {
  const source = text.split(/\r?\n/)[line - 1] ?? '';
  const start = Math.max(0, column - 1 - EXCERPT_CONTEXT);
  const end = Math.min(source.length, column - 1 + EXCERPT_CONTEXT);
  // Tabs and control characters would shift or hide the caret; show them as single spaces/marks.
  const visible = Array.from(source.slice(start, end), (char) => {
    if (char === '\t') return ' ';
    const code = char.charCodeAt(0);
    return code < 0x20 || code === 0x7f ? '\ufffd' : char;
  }).join('');
  const before = start > 0 ? '…' : '';
  const after = end < source.length ? '…' : '';
  const gutter = String(line);
  const caretAt = before.length + (column - 1 - start);
  return `${gutter} | ${before}${visible}${after}\n${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, caretAt))}^`;
}

function syntaxError(error: TomlError, text: string): TomlSyntaxError {
  const [firstLine = ''] = error.message.split('\n');
  const reason = firstLine.replace(/^Invalid TOML document:\s*/, '');
  return new TomlSyntaxError(`Invalid TOML at line ${error.line}, column ${error.column}: ${reason}.`, {
    line: error.line,
    column: error.column,
    excerpt: caretExcerpt(text, error.line, error.column),
  });
}

/**
 * Parses an aiTWS document. The size is checked before parsing, so an oversized upload costs
 * nothing; limits and forbidden keys are checked on the result.
 */
export function parseDocument(text: string, limits: Limits = DEFAULT_LIMITS): AitwsDocument {
  checkDocumentBytes(text, limits);
  let document: AitwsDocument;
  try {
    document = parse(text);
  } catch (error) {
    if (error instanceof TomlError) throw syntaxError(error, text);
    throw new TomlSyntaxError(`Invalid TOML: ${error instanceof Error ? error.message : String(error)}`);
  }
  checkStructure(document, limits);
  checkCalendarDates(text, document);
  return document;
}

function checkCalendarDates(text: string, document: AitwsDocument): void {
  // The text scan is cheap; the walk that confirms the document holds dates runs only on a hit.
  const found = findImpossibleDate(text);
  if (found === undefined || !containsDate(document)) return;
  const before = text.slice(0, found.index).split(/\r?\n/);
  const line = before.length;
  const column = (before.at(-1)?.length ?? 0) + 1;
  throw new TomlSyntaxError(
    `Invalid TOML at line ${line}, column ${column}: ${found.text} is not a date (${found.reason}).`,
    { line, column, excerpt: caretExcerpt(text, line, column) },
  );
}

/**
 * Limits for a document built in memory (after `/add`): the structural checks, then the size of
 * the TOML a save would write, so every draft can also be loaded again.
 */
export function checkLimits(document: AitwsDocument, limits: Limits = DEFAULT_LIMITS): void {
  checkStructure(document, limits);
  // The canonical order only moves lines around, so the writer's own output has the same size.
  checkDocumentBytes(stringify(document), limits);
}

/** Plain code-unit order, the same in every locale. */
function byCodeUnit(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Unknown content: tables get their keys sorted, at every depth. */
function sorted(value: TomlValue): TomlValue {
  // A list of plain values has nothing to order.
  if (Array.isArray(value)) return value.some((item) => typeof item === 'object') ? value.map(sorted) : value;
  if (!isTable(value)) return value;
  const keys = Object.keys(value).sort(byCodeUnit);
  return tableOf(keys.map((key) => [key, sorted(value[key] as TomlValue)]));
}

/**
 * A table from its members in order. Object.fromEntries defines each member, so a `__proto__` key
 * stays an ordinary key; the copy is only read by the TOML writer.
 */
function tableOf(entries: readonly (readonly [string, TomlValue])[]): TomlTable {
  return Object.fromEntries(entries) as TomlTable;
}

type TableSpec = SectionSpec | NestedListSpec;

/** Each spec's fields by position: a table's known fields are written in registry order. */
const FIELD_RANKS: ReadonlyMap<TableSpec, ReadonlyMap<string, number>> = new Map(
  SECTIONS.flatMap((spec): TableSpec[] => [spec, ...(spec.children ?? [])]).map((spec) => [
    spec,
    new Map(spec.fields.map((field, index) => [field.name, index])),
  ]),
);

/** Registry fields in registry order, then the other keys sorted; nested lists likewise. */
function ordered(table: TomlTable, spec: TableSpec): TomlTable {
  const ranks = FIELD_RANKS.get(spec);
  const rank = (key: string): number => ranks?.get(key) ?? Number.POSITIVE_INFINITY;
  // Two unknown keys rank the same (Infinity - Infinity is NaN, which is falsy): sorted by name.
  const keys = Object.keys(table).sort((a, b) => rank(a) - rank(b) || byCodeUnit(a, b));
  const children = 'children' in spec ? (spec.children ?? []) : [];
  return tableOf(
    keys.map((key) => {
      const value = table[key] as TomlValue;
      const child = children.find((candidate) => candidate.name === key);
      if (child === undefined || !Array.isArray(value)) return [key, sorted(value)];
      return [key, value.map((entry) => (isTable(entry) ? ordered(entry, child) : sorted(entry)))];
    }),
  );
}

function orderedSection(name: string, value: TomlValue): TomlValue {
  const spec = getSection(name);
  if (spec === undefined) return sorted(value);
  if (spec.kind === 'table' && isTable(value)) return ordered(value, spec);
  if (spec.kind === 'list' && Array.isArray(value)) {
    return value.map((entry) => (isTable(entry) ? ordered(entry, spec) : sorted(entry)));
  }
  return sorted(value);
}

const SECTION_ORDER: ReadonlyMap<string, number> = new Map(
  SECTIONS.map((section, index) => [section.name, index]),
);

/** Known sections in registry order, then unknown ones alphabetically. */
function sectionOrder(a: string, b: string): number {
  const ia = SECTION_ORDER.get(a) ?? Number.POSITIVE_INFINITY;
  const ib = SECTION_ORDER.get(b) ?? Number.POSITIVE_INFINITY;
  return ia === ib ? byCodeUnit(a, b) : ia - ib;
}

/**
 * Canonical TOML. Within a table TOML forces plain values before sub-tables, so nested tables
 * follow the plain fields whatever their registry position; everything else is in registry order.
 */
export function stringifyDocument(document: AitwsDocument): string {
  const names = Object.keys(document).sort(sectionOrder);
  return stringify(tableOf(names.map((name) => [name, orderedSection(name, document[name] as TomlValue)])));
}

export function emptyDocument(name = 'Untitled workflow', version = '0.1.0'): AitwsDocument {
  return { metadata: { name, version } };
}
