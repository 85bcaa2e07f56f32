/**
 * The TOML codec: parse with limits and a readable syntax error, and a canonical stringify whose
 * output is stable (registry order, then alphabetical), so saved files diff cleanly and
 * `stringify(parse(stringify(d))) === stringify(d)`.
 */
import { parse, stringify, TomlError } from 'smol-toml';
import { LimitError, TomlSyntaxError } from '../errors.js';
import { checkDocumentBytes, checkStructure, formatBytes } from './limits.js';
import { getSection, SECTIONS } from './sections.js';
import { serialisedBound } from './size-bound.js';
import { isTable, newTable } from './tree.js';
import {
  type AitwsDocument,
  DEFAULT_LIMITS,
  type FieldSpec,
  type Limits,
  type NestedListSpec,
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
  return document;
}

/**
 * Limits for a document built in memory (after `/add`): the structural checks, then the size the
 * draft would have once saved, so every draft can also be loaded again.
 */
export function checkLimits(document: AitwsDocument, limits: Limits = DEFAULT_LIMITS): void {
  checkStructure(document, limits);
  // Writing a draft out only to measure it cost more than the rest of an edit; a bound will do
  // unless it reaches the limit.
  if (serialisedBound(document) <= limits.documentBytes) return;
  const bytes = Buffer.byteLength(stringifyDocument(document), 'utf8');
  if (bytes > limits.documentBytes) {
    throw new LimitError(
      `The document would be ${formatBytes(bytes)}; the limit is ${formatBytes(limits.documentBytes)}.`,
      'Remove entries or long text it does not need.',
    );
  }
}

function byCodeUnit(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Unknown content: tables get their keys sorted, at every depth. */
function sorted(value: TomlValue): TomlValue {
  if (Array.isArray(value)) return value.map(sorted);
  if (!isTable(value)) return value;
  const out = newTable();
  for (const key of Object.keys(value).sort(byCodeUnit)) {
    const item = value[key];
    if (item !== undefined) out[key] = sorted(item);
  }
  return out;
}

function ordered(
  table: TomlTable,
  fields: readonly FieldSpec[],
  children: readonly NestedListSpec[] = [],
): TomlTable {
  const known = fields.map((field) => field.name).filter((key) => Object.hasOwn(table, key));
  const knownSet = new Set(known);
  const rest = Object.keys(table)
    .filter((key) => !knownSet.has(key))
    .sort(byCodeUnit);
  const out = newTable();
  for (const key of [...known, ...rest]) {
    const value = table[key];
    if (value === undefined) continue;
    const child = children.find((candidate) => candidate.name === key);
    out[key] =
      child !== undefined && Array.isArray(value)
        ? value.map((entry) => (isTable(entry) ? ordered(entry, child.fields) : sorted(entry)))
        : sorted(value);
  }
  return out;
}

function orderedSection(name: string, value: TomlValue): TomlValue {
  const spec = getSection(name);
  if (spec === undefined) return sorted(value);
  if (spec.kind === 'table' && isTable(value)) return ordered(value, spec.fields, spec.children);
  if (spec.kind === 'list' && Array.isArray(value)) {
    return value.map((entry) =>
      isTable(entry) ? ordered(entry, spec.fields, spec.children) : sorted(entry),
    );
  }
  return sorted(value);
}

/*
 * A section already in canonical order (as every file this bot saved is) is written as it is
 * rather than copied: stringify reads keys in order and values, and copying changes neither.
 */

function isSortedDeep(value: TomlValue | undefined): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isSortedDeep(value[i])) return false;
    return true;
  }
  if (!isTable(value)) return true;
  let previous: string | undefined;
  for (const key of Object.keys(value)) {
    const item = value[key];
    // `sorted` drops undefined members, so a table holding one is not written as it is.
    if (item === undefined || (previous !== undefined && byCodeUnit(previous, key) >= 0)) return false;
    if (!isSortedDeep(item)) return false;
    previous = key;
  }
  return true;
}

const fieldRanks = new WeakMap<readonly FieldSpec[], ReadonlyMap<string, number>>();

function rankOf(fields: readonly FieldSpec[]): ReadonlyMap<string, number> {
  let ranks = fieldRanks.get(fields);
  if (ranks === undefined) {
    ranks = new Map(fields.map((field, rank) => [field.name, rank]));
    fieldRanks.set(fields, ranks);
  }
  return ranks;
}

function childNamed(children: readonly NestedListSpec[], name: string): NestedListSpec | undefined {
  for (const child of children) if (child.name === name) return child;
  return undefined;
}

/** Whether `ordered` would return a table with the same keys in the same order and equal values. */
function isOrdered(
  table: TomlTable,
  fields: readonly FieldSpec[],
  children: readonly NestedListSpec[] = [],
): boolean {
  const ranks = rankOf(fields);
  let lastRank = -1;
  let knownKeys = 0;
  let lastRest: string | undefined;
  for (const key of Object.keys(table)) {
    const value = table[key];
    if (value === undefined) return false;
    const rank = ranks.get(key);
    if (rank !== undefined) {
      if (lastRest !== undefined || rank <= lastRank) return false;
      lastRank = rank;
      knownKeys += 1;
    } else {
      if (lastRest !== undefined && byCodeUnit(lastRest, key) >= 0) return false;
      lastRest = key;
    }
    const child = children.length === 0 ? undefined : childNamed(children, key);
    if (!(child !== undefined && Array.isArray(value) ? isOrderedList(value, child.fields) : isSortedDeep(value)))
      return false;
  }
  // `ordered` also writes own fields that are not enumerable; such a table needs the copy.
  let ownFields = 0;
  for (const field of fields) if (Object.hasOwn(table, field.name)) ownFields += 1;
  return ownFields === knownKeys;
}

function isOrderedList(
  list: readonly TomlValue[],
  fields: readonly FieldSpec[],
  children?: readonly NestedListSpec[],
): boolean {
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    if (!(isTable(entry) ? isOrdered(entry, fields, children) : isSortedDeep(entry))) return false;
  }
  return true;
}

function isCanonicalSection(name: string, value: TomlValue): boolean {
  const spec = getSection(name);
  if (spec === undefined) return isSortedDeep(value);
  if (spec.kind === 'table' && isTable(value)) return isOrdered(value, spec.fields, spec.children);
  if (spec.kind === 'list' && Array.isArray(value)) return isOrderedList(value, spec.fields, spec.children);
  return isSortedDeep(value);
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

/** Lists that need no sort skip it: a sort compares each pair with two lookups. */
function isSectionOrdered(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if (sectionOrder(names[i - 1] ?? '', names[i] ?? '') > 0) return false;
  return true;
}

/**
 * Canonical TOML. Within a table TOML forces plain values before sub-tables, so nested tables
 * follow the plain fields whatever their registry position; everything else is in registry order.
 */
export function stringifyDocument(document: AitwsDocument): string {
  const out = newTable();
  const names = Object.keys(document);
  if (!isSectionOrdered(names)) names.sort(sectionOrder);
  for (const name of names) {
    const value = document[name];
    if (value !== undefined)
      out[name] = isCanonicalSection(name, value) ? value : orderedSection(name, value);
  }
  return stringify(out);
}

export function emptyDocument(name = 'Untitled workflow', version = '0.1.0'): AitwsDocument {
  return { metadata: { name, version } };
}
