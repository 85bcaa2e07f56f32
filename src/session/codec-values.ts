/**
 * TOML values as JSON values and back: the tree level of the codec (src/session/codec.ts holds the
 * stored records, their text and their errors).
 *
 * JSON cannot hold everything a TOML document can, so a few values travel as one-key tagged
 * objects: dates as `{"$toml_date": "1979-05-27"}` (TomlDate's own text, which keeps the local
 * date / local time / local date-time / offset form), non-finite floats and -0 as `{"$float": …}`,
 * bigints as `{"$bigint": "…"}`. A real table that happens to look like a tag is wrapped in
 * `{"$table": …}`, so decoding is never ambiguous.
 *
 * Two ways each direction. The reference ones (encodeDocument, documentSchema) build a new tree
 * and report problems with their path. The fast ones (plainDocumentText, reviveDocument) are what
 * the stores' hot path uses: they check and fix up a tree in place, and only say yes or no; on no
 * the caller falls back to the reference, so both always agree on what is accepted and produced.
 */
import { TomlDate } from 'smol-toml';
import { z } from 'zod';
import { AitwsError } from '../errors.js';
import { isFrozenDeep } from '../document/frozen.js';
import { previousEntry, SectionMemo, type SectionResult } from '../document/section-memo.js';
import type { AitwsDocument, TomlTable, TomlValue } from '../document/types.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const DATE_TAG = '$toml_date';
const FLOAT_TAG = '$float';
const BIGINT_TAG = '$bigint';
const TABLE_TAG = '$table';
const TAGS: ReadonlySet<string> = new Set([DATE_TAG, FLOAT_TAG, BIGINT_TAG, TABLE_TAG]);

const SPECIAL_FLOATS = new Map<string, number>([
  ['nan', Number.NaN],
  ['inf', Number.POSITIVE_INFINITY],
  ['-inf', Number.NEGATIVE_INFINITY],
  ['-0', -0],
]);

// ---------------------------------------------------------------------------------------------
// Reference: a new tree each way, problems reported with their path
// ---------------------------------------------------------------------------------------------

function encodeNumber(value: number): JsonValue {
  if (Number.isFinite(value) && !Object.is(value, -0)) return value;
  for (const [name, special] of SPECIAL_FLOATS) {
    if (Object.is(value, special)) return { [FLOAT_TAG]: name };
  }
  return { [FLOAT_TAG]: 'nan' };
}

function encodeDate(value: Date): string {
  if (Number.isNaN(value.getTime())) {
    throw new AitwsError('VALIDATION', 'The document holds an invalid date, which cannot be stored.');
  }
  // A plain Date has no TOML form of its own; it is an offset date-time in UTC.
  return value instanceof TomlDate ? value.toISOString() : new TomlDate(value.toISOString()).toISOString();
}

function encodeEntries(table: TomlTable): JsonObject {
  // fromEntries defines own properties, so a "__proto__" key stays a key.
  return Object.fromEntries(Object.entries(table).map(([key, value]) => [key, encodeValue(value)]));
}

/** A nested table; the top level is always a table, so only nested ones can be mistaken for tags. */
function encodeTable(table: TomlTable): JsonObject {
  const encoded = encodeEntries(table);
  const keys = Object.keys(encoded);
  const [only] = keys;
  return keys.length === 1 && only !== undefined && TAGS.has(only) ? { [TABLE_TAG]: encoded } : encoded;
}

/** A TOML value as plain JSON (see the tags above). */
export function encodeValue(value: TomlValue): JsonValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return encodeNumber(value);
  if (typeof value === 'bigint') return { [BIGINT_TAG]: value.toString() };
  if (value instanceof Date) return { [DATE_TAG]: encodeDate(value) };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (typeof value !== 'object' || value === null) {
    throw new AitwsError(
      'VALIDATION',
      `The document holds a ${typeof value} value, which TOML cannot represent.`,
    );
  }
  return encodeTable(value);
}

export function encodeDocument(document: AitwsDocument): JsonObject {
  return encodeEntries(document);
}

/** A problem found while decoding; the path is filled in on the way out, so success allocates none. */
class DecodeIssue extends Error {
  readonly path: (string | number)[] = [];
}

function entriesOf(value: object): [string, unknown][] {
  return Object.entries(value);
}

function locate(error: unknown, segment: string | number): unknown {
  if (error instanceof DecodeIssue) error.path.unshift(segment);
  return error;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isList(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

function decodeTag(
  tag: string,
  payload: unknown,
  table: (value: Record<string, unknown>) => TomlTable = decodeTable,
): TomlValue {
  if (tag === TABLE_TAG) {
    if (!isRecord(payload)) throw new DecodeIssue('expected a table');
    return table(payload);
  }
  if (typeof payload !== 'string') throw new DecodeIssue('expected a string');
  if (tag === DATE_TAG) {
    const date = new TomlDate(payload);
    if (!date.isValid() || Number.isNaN(date.getTime())) throw new DecodeIssue(`invalid date "${payload}"`);
    return date;
  }
  if (tag === BIGINT_TAG) {
    if (!/^-?\d+$/.test(payload)) throw new DecodeIssue(`invalid integer "${payload}"`);
    return BigInt(payload);
  }
  const special = SPECIAL_FLOATS.get(payload);
  if (special === undefined) throw new DecodeIssue(`unknown float "${payload}"`);
  return special;
}

function decodeTable(value: object): TomlTable {
  // Null prototype, as smol-toml produces: there, assigning "__proto__" makes an ordinary key.
  const table: TomlTable = Object.create(null);
  for (const [key, item] of entriesOf(value)) {
    try {
      table[key] = decodeJsonValue(item);
    } catch (error) {
      throw locate(error, key);
    }
  }
  return table;
}

function decodeArray(items: readonly unknown[]): TomlValue[] {
  const decoded: TomlValue[] = new Array(items.length);
  for (let index = 0; index < items.length; index += 1) {
    try {
      decoded[index] = decodeJsonValue(items[index]);
    } catch (error) {
      throw locate(error, index);
    }
  }
  return decoded;
}

function decodeJsonValue(value: unknown): TomlValue {
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  if (Array.isArray(value)) return decodeArray(value);
  if (typeof value !== 'object' || value === null) {
    throw new DecodeIssue(`unexpected ${value === null ? 'null' : typeof value}`);
  }
  const entries = entriesOf(value);
  const [first] = entries;
  if (entries.length === 1 && first !== undefined && TAGS.has(first[0])) {
    try {
      return decodeTag(first[0], first[1]);
    } catch (error) {
      throw locate(error, first[0]);
    }
  }
  return decodeTable(value);
}

/** Encoded JSON → document, reporting malformed tags as zod issues with their path. */
export const documentSchema: z.ZodType<AitwsDocument, unknown> = z.unknown().transform((value, context) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    context.issues.push({ code: 'custom', message: 'expected a document (a table)', input: value });
    return z.NEVER;
  }
  try {
    return decodeTable(value);
  } catch (error) {
    if (!(error instanceof DecodeIssue)) throw error;
    context.issues.push({ code: 'custom', message: error.message, path: [...error.path], input: value });
    return z.NEVER;
  }
});

// ---------------------------------------------------------------------------------------------
// Fast paths: same results as the functions above, without building a second tree
// ---------------------------------------------------------------------------------------------

const DOLLAR = 0x24;

/**
 * JSON.stringify(encodeDocument(document)) without building the encoded tree, when nothing in the
 * document needs a tag (the common case); undefined otherwise.
 *
 * Each section's text is kept for the next version of the draft (see spec/section-memo.ts), so an
 * edit writes out only the section, and the entries, it changed. The text is put together the way
 * JSON.stringify writes it: own keys in order, `,` between members and items, no spaces.
 */
export function plainDocumentText(document: AitwsDocument): string | undefined {
  const prototype: unknown = Object.getPrototypeOf(document);
  if (prototype !== null && prototype !== Object.prototype) return undefined;
  const pass = sectionTexts.open(document);
  // Nothing to reuse (a draft just read from a store): one JSON.stringify is faster than pieces.
  if (pass.fresh && !isFrozenDeep(document))
    return plainTable(document) ? JSON.stringify(document) : undefined;
  let text = '';
  for (const key of Object.keys(document)) {
    if (key.charCodeAt(0) === DOLLAR) return undefined;
    const value = document[key];
    const section = pass.find(key, value) ?? sectionText(key, value, pass.previous(key));
    pass.keep(key, section);
    if (section.member === undefined) return undefined;
    text += text === '' ? `{${section.member}` : `,${section.member}`;
  }
  pass.close();
  return text === '' ? '{}' : `${text}}`;
}

interface EntryText {
  readonly node: TomlValue | undefined;
  /** Undefined: the entry needs the encoder. */
  readonly text: string | undefined;
}

/**
 * A section as a member of the document's JSON (`"key":…`), undefined when it needs the encoder;
 * a list keeps its entries' texts.
 */
interface SectionText extends SectionResult {
  readonly member: string | undefined;
  readonly entries?: readonly EntryText[];
}

const sectionTexts = new SectionMemo<SectionText>();

function plainText(value: TomlValue | undefined): string | undefined {
  return plainValue(value) ? JSON.stringify(value) : undefined;
}

function sectionText(
  key: string,
  value: TomlValue | undefined,
  previous: SectionText | undefined,
): SectionText {
  const member = (text: string | undefined) =>
    text === undefined ? undefined : `${JSON.stringify(key)}:${text}`;
  if (!Array.isArray(value)) return { node: value, member: member(plainText(value)) };
  const entries: EntryText[] = [];
  let text: string | undefined = '[';
  for (let index = 0; index < value.length; index += 1) {
    const node = value[index];
    const entry = previousEntry(previous?.entries, index, node) ?? { node, text: plainText(node) };
    entries.push(entry);
    text =
      entry.text === undefined || text === undefined
        ? undefined
        : `${text}${index === 0 ? '' : ','}${entry.text}`;
  }
  return { node: value, member: member(text === undefined ? undefined : `${text}]`), entries };
}

/**
 * True when JSON.stringify alone already gives the encoded form. Conservative: any key starting
 * with "$" (a possible tag look-alike), a non-plain object or a value that is invalid goes to the
 * full encoder, which tags it or rejects it with its usual error.
 */
function plainTable(table: TomlTable): boolean {
  const prototype: unknown = Object.getPrototypeOf(table);
  if (prototype !== null && prototype !== Object.prototype) return false;
  for (const key in table) {
    if (key.charCodeAt(0) === DOLLAR || !plainValue(table[key])) return false;
  }
  return true;
}

function plainValue(value: TomlValue | undefined): boolean {
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  // JSON has no NaN or infinities, and writes -0 as 0.
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) if (!plainValue(value[index])) return false;
    return true;
  }
  return typeof value === 'object' && value !== null && !(value instanceof Date) && plainTable(value);
}

/**
 * A freshly parsed JSON value as a TOML value, decoded in place (tables get the null prototype
 * decodeTable gives them, tags are replaced by their value); undefined when decodeJsonValue would
 * reject it. Only for trees nobody else holds: it mutates them.
 */
function reviveValue(value: unknown): TomlValue | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (isList(value)) return reviveItems(value) ? value : undefined;
  if (!isRecord(value)) return undefined;
  Object.setPrototypeOf(value, null);
  let only: string | undefined;
  let count = 0;
  for (const key in value) {
    only = key;
    if (++count > 1) break;
  }
  if (count === 1 && only !== undefined && TAGS.has(only)) return reviveTag(only, value[only]);
  return reviveEntries(value) ? value : undefined;
}

function reviveItems(items: unknown[]): items is TomlValue[] {
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    const revived = reviveValue(item);
    if (revived === undefined) return false;
    if (revived !== item) items[index] = revived;
  }
  return true;
}

/** The table's prototype must already be null, so a "__proto__" key stays an ordinary key. */
function reviveEntries(table: Record<string, unknown>): table is TomlTable {
  for (const key in table) {
    const item = table[key];
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') continue;
    const revived = reviveValue(item);
    if (revived === undefined) return false;
    if (revived !== item) table[key] = revived;
  }
  return true;
}

function reviveTable(table: Record<string, unknown>): TomlTable {
  Object.setPrototypeOf(table, null);
  if (reviveEntries(table)) return table;
  throw new DecodeIssue('invalid table');
}

function reviveTag(tag: string, payload: unknown): TomlValue | undefined {
  try {
    return decodeTag(tag, payload, reviveTable);
  } catch (error) {
    if (error instanceof DecodeIssue) return undefined;
    throw error;
  }
}

/**
 * A freshly parsed JSON document, decoded in place; undefined when documentSchema would reject it.
 * The top level is always a table, never a tag (as in documentSchema).
 */
export function reviveDocument(value: unknown): AitwsDocument | undefined {
  if (!isRecord(value)) return undefined;
  Object.setPrototypeOf(value, null);
  return reviveEntries(value) ? value : undefined;
}
