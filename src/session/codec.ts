/**
 * The stored form of documents and session records, shared by every store (files, Redis). How
 * values that JSON cannot hold are tagged lives in src/session/codec-values.ts.
 *
 * Stored data is a boundary: everything read back is validated with the zod schemas below, and any
 * problem becomes one AitwsError that names where the data came from.
 */
import { z } from 'zod';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import { documentSchema, encodeDocument, type JsonObject, type JsonValue } from './codec-values.js';
import { type HistoryEntry, markersOf, type SavedDocument } from './port.js';

export { documentSchema, encodeDocument, type JsonValue } from './codec-values.js';

/** Where data came from, when the caller does not say (errors name it). */
const UNNAMED_SOURCE = 'the session store';

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
  redoes: version.min(1).optional(),
});

const historyEntrySchema: z.ZodType<HistoryEntry, unknown> = historyEntryMetaSchema
  .extend({ document: nullableDocumentSchema })
  .transform(({ reverts, redoes, ...entry }) => ({ ...entry, ...markersOf({ reverts, redoes }) }));

const savedDocumentSchema: z.ZodType<SavedDocument, unknown> = z.object({
  name: z.string(),
  document: documentSchema,
  at: z.string(),
  by: z.string(),
});

function encodeNullableDocument(document: AitwsDocument | null): JsonValue {
  return document === null ? null : encodeDocument(document);
}

export function savedDocumentToJson(saved: SavedDocument): JsonObject {
  const { name, at, by } = saved;
  return { name, at, by, document: encodeDocument(saved.document) };
}

// ---------------------------------------------------------------------------------------------
// Errors
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

/** The version comes first, so `historyEntryVersion` can read it without parsing the entry. */
export function encodeHistoryEntry(entry: HistoryEntry): string {
  const { version: v, at, by, change } = entry;
  const json: JsonObject = { version: v, at, by, change, ...markersOf(entry) };
  json.document = encodeNullableDocument(entry.document);
  return JSON.stringify(json);
}

export function decodeHistoryEntry(text: string, source = UNNAMED_SOURCE): HistoryEntry {
  return parseStored(historyEntrySchema, text, source);
}

/**
 * The version of an entry written by encodeHistoryEntry, read without parsing it (it comes first);
 * undefined when the text does not start that way.
 */
export function historyEntryVersion(text: string): number | undefined {
  const match = /^\{"version":(\d{1,15})[,}]/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export function encodeSavedDocument(saved: SavedDocument): string {
  return JSON.stringify(savedDocumentToJson(saved));
}

export function decodeSavedDocument(text: string, source = UNNAMED_SOURCE): SavedDocument {
  return parseStored(savedDocumentSchema, text, source);
}

/** Already parsed JSON (which it leaves untouched) → document. */
export function decodeDocument(json: unknown, source = UNNAMED_SOURCE): AitwsDocument {
  return parseStoredJson(documentSchema, json, source);
}

/** Encode then decode: a deep copy with exactly the values a store would give back. */
export function cloneDocument(document: AitwsDocument): AitwsDocument {
  return decodeDocument(JSON.parse(JSON.stringify(encodeDocument(document))), 'a document copy');
}
