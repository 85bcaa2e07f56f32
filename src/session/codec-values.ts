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
 * Decoding reports a problem with its path, as a zod issue.
 */
import { TomlDate } from 'smol-toml';
import { z } from 'zod';
import type { AitwsDocument, TomlTable, TomlValue } from '../document/types.js';
import { AitwsError } from '../errors.js';

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
  // fromEntries defines own properties, so a "__proto__" key stays a key. Keys and a lookup rather
  // than Object.entries, which costs about four times as much on prototype-less tables.
  return Object.fromEntries(Object.keys(table).map((key) => [key, encodeValue(table[key] as TomlValue)]));
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

function locate(error: unknown, segment: string | number): unknown {
  if (error instanceof DecodeIssue) error.path.unshift(segment);
  return error;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeTag(tag: string, payload: unknown): TomlValue {
  if (tag === TABLE_TAG) {
    if (!isRecord(payload)) throw new DecodeIssue('expected a table');
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

function decodeTable(value: Record<string, unknown>): TomlTable {
  // Null prototype, as smol-toml produces: there, assigning "__proto__" makes an ordinary key.
  const table: TomlTable = Object.create(null);
  for (const key of Object.keys(value)) {
    try {
      table[key] = decodeJsonValue(value[key]);
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
  if (!isRecord(value)) throw new DecodeIssue('expected a table');
  const table = value;
  const keys = Object.keys(table);
  const [only] = keys;
  if (keys.length === 1 && only !== undefined && TAGS.has(only)) {
    try {
      return decodeTag(only, table[only]);
    } catch (error) {
      throw locate(error, only);
    }
  }
  return decodeTable(table);
}

/** Encoded JSON → document, reporting malformed tags as zod issues with their path. */
export const documentSchema: z.ZodType<AitwsDocument, unknown> = z.unknown().transform((value, context) => {
  if (!isRecord(value)) {
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
