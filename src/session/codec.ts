/**
 * The JSON form of documents and session records, shared by every store (files, Redis).
 *
 * JSON cannot hold everything a TOML document can, so a few values travel as one-key tagged
 * objects: dates as `{"$toml_date": "1979-05-27"}` (TomlDate's own text, which keeps the local
 * date / local time / local date-time / offset form), non-finite floats and -0 as `{"$float": …}`,
 * bigints as `{"$bigint": "…"}`. A real table that happens to look like a tag is wrapped in
 * `{"$table": …}`, so decoding is never ambiguous.
 *
 * Stored data is a boundary: everything read back goes through zod, and any problem becomes one
 * AitwsError that names where the data came from.
 */
import { TomlDate } from 'smol-toml';
import { z } from 'zod';
import { AitwsError } from '../errors.js';
import type { AitwsDocument, TomlTable, TomlValue } from '../spec/types.js';
import type { HistoryEntry, SavedDocument, SessionRecord } from './port.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const DATE_TAG = '$toml_date';
const FLOAT_TAG = '$float';
const BIGINT_TAG = '$bigint';
const TABLE_TAG = '$table';
const TAGS: ReadonlySet<string> = new Set([DATE_TAG, FLOAT_TAG, BIGINT_TAG, TABLE_TAG]);

/** Where data came from, when the caller does not say (errors name it). */
const UNNAMED_SOURCE = 'the session store';

const SPECIAL_FLOATS = new Map<string, number>([
  ['nan', Number.NaN],
  ['inf', Number.POSITIVE_INFINITY],
  ['-inf', Number.NEGATIVE_INFINITY],
  ['-0', -0],
]);

// ---------------------------------------------------------------------------------------------
// Values
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

function decodeTag(tag: string, payload: unknown): TomlValue {
  if (tag === TABLE_TAG) {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new DecodeIssue('expected a table');
    }
    return decodeTable(payload);
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

const nullableDocumentSchema = z.union([z.null(), documentSchema]);

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

const version = z.number().int().nonnegative();

/** The parts of a history entry other than its document, for stores that decode documents lazily. */
export const historyEntryMetaSchema = z.object({
  version: version.min(1),
  at: z.string(),
  by: z.string(),
  change: z.string(),
  reverts: version.min(1).optional(),
});

export const historyEntrySchema: z.ZodType<HistoryEntry, unknown> = historyEntryMetaSchema
  .extend({ document: nullableDocumentSchema })
  .transform(({ reverts, ...entry }) => (reverts === undefined ? entry : { ...entry, reverts }));

export const sessionRecordSchema: z.ZodType<SessionRecord, unknown> = z.object({
  version,
  document: nullableDocumentSchema,
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
});

export const savedDocumentSchema: z.ZodType<SavedDocument, unknown> = z.object({
  name: z.string(),
  document: documentSchema,
  at: z.string(),
  by: z.string(),
});

function encodeNullableDocument(document: AitwsDocument | null): JsonValue {
  return document === null ? null : encodeDocument(document);
}

export function historyEntryToJson(entry: HistoryEntry): JsonObject {
  const { version: v, at, by, change, reverts } = entry;
  const json: JsonObject = { version: v, at, by, change, document: encodeNullableDocument(entry.document) };
  if (reverts !== undefined) json.reverts = reverts;
  return json;
}

export function sessionRecordToJson(record: SessionRecord): JsonObject {
  const { version: v, updatedAt, updatedBy } = record;
  return { version: v, updatedAt, updatedBy, document: encodeNullableDocument(record.document) };
}

export function savedDocumentToJson(saved: SavedDocument): JsonObject {
  const { name, at, by } = saved;
  return { name, at, by, document: encodeDocument(saved.document) };
}

// ---------------------------------------------------------------------------------------------
// Text and errors
// ---------------------------------------------------------------------------------------------

/**
 * Stored data that cannot be read. Retrying will not help and the data is never overwritten;
 * `source` names the file or key so an operator can find it.
 */
export function unreadableDataError(
  source: string,
  problem: string,
  options: { cause?: unknown; details?: readonly string[]; hint?: string } = {},
): AitwsError {
  return new AitwsError(
    'STORAGE_UNAVAILABLE',
    `Stored session data in ${source} cannot be read: ${problem}.`,
    {
      hint:
        options.hint ??
        'Nothing was changed and the data was left as it is. Restore it from a backup, or move it aside to start afresh.',
      retryable: false,
      details: options.details ?? [],
      cause: options.cause,
    },
  );
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
  return `${path === '' ? '(top level)' : path}: ${issue.message}`;
}

/** Validates already-parsed JSON against `schema`; every failure is one unreadableDataError. */
export function parseStoredJson<T>(schema: z.ZodType<T, unknown>, json: unknown, source: string): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.slice(0, 5).map(formatIssue);
  throw unreadableDataError(source, 'it does not have the expected shape', { cause: parsed.error, details });
}

/** JSON.parse + parseStoredJson. */
export function parseStored<T>(schema: z.ZodType<T, unknown>, text: string, source: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw unreadableDataError(source, 'it is not valid JSON', { cause: error });
  }
  return parseStoredJson(schema, json, source);
}

export function encodeRecord(record: SessionRecord): string {
  return JSON.stringify(sessionRecordToJson(record));
}

export function decodeRecord(text: string, source = UNNAMED_SOURCE): SessionRecord {
  return parseStored(sessionRecordSchema, text, source);
}

export function encodeHistoryEntry(entry: HistoryEntry): string {
  return JSON.stringify(historyEntryToJson(entry));
}

export function decodeHistoryEntry(text: string, source = UNNAMED_SOURCE): HistoryEntry {
  return parseStored(historyEntrySchema, text, source);
}

export function encodeSavedDocument(saved: SavedDocument): string {
  return JSON.stringify(savedDocumentToJson(saved));
}

export function decodeSavedDocument(text: string, source = UNNAMED_SOURCE): SavedDocument {
  return parseStored(savedDocumentSchema, text, source);
}

export function decodeDocument(json: unknown, source = UNNAMED_SOURCE): AitwsDocument {
  return parseStoredJson(documentSchema, json, source);
}

/** Encode then decode: a deep copy with exactly the values a store would give back. */
export function cloneDocument(document: AitwsDocument): AitwsDocument {
  return decodeDocument(encodeDocument(document), 'a document copy');
}
