/**
 * An upper bound of the canonical TOML size of a document, so the size limit of an in-memory draft
 * is checked without writing the draft out. Only a bound under the limit is trusted; near the limit,
 * or for a value the writer could refuse, the caller writes the document and measures it exactly.
 *
 * The constants follow smol-toml's writer: `key = value\n` lines, `[a.b]` and `[[a.b]]` headers with
 * the full dotted key, inline `[ a, b ]` and `{ k = v }` values, blank lines between tables.
 */
import { previousEntry, SectionMemo, type SectionResult } from './section-memo.js';
import { everyItem, isTable } from './tree.js';
import type { AitwsDocument, TomlValue } from './types.js';

/** Printable ASCII other than `"` and `\`: written as it is, one byte each. */
const NEEDS_WIDER = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/** JSON escapes (`\u0000`) are the widest form of one UTF-16 unit: 6 bytes; plus the quotes. */
const stringBound = (text: string): number => (NEEDS_WIDER.test(text) ? 6 : 1) * text.length + 2;
/** The longest number text is about 24 characters (`-1.2345678901234567e-100`). */
const NUMBER_BOUND = 32;
/** ISO dates and times are under 30 characters. */
const DATE_BOUND = 64;
/** Separators, brackets and blank lines around one member, generously. */
const SLACK = 8;
/** Far below the writer's own depth limit of 1000. */
const MAX_DEPTH = 512;

/** Keys with surrogates may be refused by the writer (a lone one throws); they get no bound. */
function keyBound(key: string): number {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdfff) return Number.POSITIVE_INFINITY;
  }
  return stringBound(key);
}

/** A value written inline: a plain field, an item of an inline list, a member of an inline table. */
function inlineBound(value: TomlValue | undefined, depth: number): number {
  if (depth > MAX_DEPTH) return Number.POSITIVE_INFINITY;
  switch (typeof value) {
    case 'string':
      return stringBound(value);
    case 'number':
      return NUMBER_BOUND;
    case 'bigint':
      return String(value).length;
    case 'boolean':
      return 5;
    case 'object':
      break;
    default:
      return Number.POSITIVE_INFINITY;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? Number.POSITIVE_INFINITY : DATE_BOUND;
  let total = SLACK;
  if (Array.isArray(value)) {
    // A hole or null inside a list makes the writer throw; that is left to the exact path.
    for (let i = 0; i < value.length; i++) total += inlineBound(value[i], depth + 1) + SLACK;
    return total;
  }
  if (!isTable(value)) return Number.POSITIVE_INFINITY;
  for (const key of Object.keys(value)) total += keyBound(key) + inlineBound(value[key], depth + 1) + SLACK;
  return total;
}

function isListOfTables(value: readonly TomlValue[]): boolean {
  return value.length > 0 && everyItem(value, isTable);
}

/** A table written with headers; `prefix` bounds the dotted key its headers repeat. */
function tableBound(table: TomlValue, prefix: number, depth: number): number {
  if (depth > MAX_DEPTH || !isTable(table)) return Number.POSITIVE_INFINITY;
  let total = prefix + SLACK;
  for (const key of Object.keys(table)) total += memberBound(key, table[key], prefix, depth);
  return total;
}

/** One member of a table at `depth`: a list of tables, a nested table or a `key = value` line. */
function memberBound(key: string, value: TomlValue | undefined, prefix: number, depth: number): number {
  const inner = prefix + 1 + keyBound(key);
  if (Array.isArray(value) && isListOfTables(value)) {
    let total = 0;
    for (const entry of value) total += inner + SLACK + tableBound(entry, inner, depth + 1);
    return total;
  }
  if (isTable(value)) return inner + SLACK + tableBound(value, inner, depth + 1);
  return keyBound(key) + inlineBound(value, depth + 1) + SLACK;
}

interface BoundEntry {
  readonly node: TomlValue;
  readonly bound: number;
}

/** A section's share of the bound; a list of tables keeps its entries' shares for the next version. */
interface BoundSection extends SectionResult {
  readonly bound: number;
  readonly entries?: readonly BoundEntry[];
}

/** See section-memo.ts: an edit bounds only the section, and the entries, it changed. */
const boundSections = new SectionMemo<BoundSection>();

function sectionBound(
  key: string,
  value: TomlValue | undefined,
  previous: BoundSection | undefined,
): BoundSection {
  if (!Array.isArray(value) || !isListOfTables(value))
    return { node: value, bound: memberBound(key, value, 0, 0) };
  const inner = 1 + keyBound(key);
  let bound = 0;
  const entries: BoundEntry[] = [];
  for (let index = 0; index < value.length; index++) {
    const node = value[index];
    if (node === undefined) continue;
    const entry = previousEntry(previous?.entries, index, node) ?? {
      node,
      bound: tableBound(node, inner, 1),
    };
    entries.push(entry);
    bound += inner + SLACK + entry.bound;
  }
  return { node: value, bound, entries };
}

/** At least the UTF-8 size of `stringifyDocument(document)`; infinite when no bound is known. */
export function serialisedBound(document: AitwsDocument): number {
  let total = SLACK;
  const pass = boundSections.open(document);
  for (const key of Object.keys(document)) {
    const value = document[key];
    const bound = pass.find(key, value) ?? sectionBound(key, value, pass.previous(key));
    pass.keep(key, bound);
    total += bound.bound;
  }
  pass.close();
  return total;
}
