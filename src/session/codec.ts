/**
 * The stored form of documents and session records, shared by every store (files, Redis). How
 * values that JSON cannot hold are tagged lives in src/session/codec-values.ts.
 *
 * Stored data is a boundary: everything read back is validated, and any problem becomes one
 * AitwsError that names where the data came from. The text functions (encodeDocumentText,
 * decodeHistoryEntry, …) are the stores' hot path, so they avoid a second copy of the tree: plain
 * JSON.stringify when nothing needs a tag, JSON.parse plus an in-place check of the document
 * (zod only for the small envelope). Whatever that fast path does not accept goes through the
 * zod schemas below, which stay the reference and produce the error.
 */
import { z } from 'zod';
import { AitwsError } from '../errors.js';
import type { AitwsDocument } from '../document/types.js';
import {
  documentSchema,
  encodeDocument,
  isRecord,
  type JsonObject,
  type JsonValue,
  plainDocumentText,
  reviveDocument,
} from './codec-values.js';
import type { HistoryEntry, SavedDocument, SessionRecord } from './port.js';

export {
  documentSchema,
  encodeDocument,
  encodeValue,
  type JsonObject,
  type JsonValue,
} from './codec-values.js';

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

// ---------------------------------------------------------------------------------------------
// Text: what the stores write and read
// ---------------------------------------------------------------------------------------------

/**
 * JSON.parse, zod for the small envelope, then the document in place; undefined for anything
 * unexpected, so the caller can hand the text to the reference schema for the precise error.
 */
function reviveEnveloped<M>(
  text: string,
  envelope: z.ZodType<M, unknown>,
): { readonly meta: M; readonly document: AitwsDocument | null } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(json)) return undefined;
  const meta = envelope.safeParse(json);
  if (!meta.success) return undefined;
  if (json.document === null) return { meta: meta.data, document: null };
  const document = reviveDocument(json.document);
  return document === undefined ? undefined : { meta: meta.data, document };
}

/** `meta` as JSON with the already encoded document appended as its last member. */
function withDocument(meta: JsonObject, document: string): string {
  return `${JSON.stringify(meta).slice(0, -1)},"document":${document}}`;
}

/** A document as JSON text: one JSON.stringify when nothing needs a tag (the common case). */
export function encodeDocumentText(document: AitwsDocument): string {
  return plainDocumentText(document) ?? JSON.stringify(encodeDocument(document));
}

export function decodeDocumentText(text: string, source = UNNAMED_SOURCE): AitwsDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return reviveDocument(json) ?? parseStored(documentSchema, text, source);
}

function encodeNullableDocumentText(document: AitwsDocument | null): string {
  return document === null ? 'null' : encodeDocumentText(document);
}

const recordMetaSchema = z.object({
  version,
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
});
const savedMetaSchema = z.object({ name: z.string(), at: z.string(), by: z.string() });

export function encodeRecord(record: SessionRecord): string {
  const { version: v, updatedAt, updatedBy } = record;
  return withDocument({ version: v, updatedAt, updatedBy }, encodeNullableDocumentText(record.document));
}

export function decodeRecord(text: string, source = UNNAMED_SOURCE): SessionRecord {
  const fast = reviveEnveloped(text, recordMetaSchema);
  if (fast === undefined) return parseStored(sessionRecordSchema, text, source);
  return { ...fast.meta, document: fast.document };
}

export function encodeHistoryEntry(entry: HistoryEntry): string {
  const { version: v, at, by, change, reverts } = entry;
  const meta: JsonObject = { version: v, at, by, change };
  if (reverts !== undefined) meta.reverts = reverts;
  return withDocument(meta, encodeNullableDocumentText(entry.document));
}

export function decodeHistoryEntry(text: string, source = UNNAMED_SOURCE): HistoryEntry {
  const fast = reviveEnveloped(text, historyEntryMetaSchema);
  if (fast === undefined) return parseStored(historyEntrySchema, text, source);
  const { version: v, at, by, change, reverts } = fast.meta;
  const entry = { version: v, at, by, change, document: fast.document };
  return reverts === undefined ? entry : { ...entry, reverts };
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
  const { name, at, by } = saved;
  return withDocument({ name, at, by }, encodeDocumentText(saved.document));
}

export function decodeSavedDocument(text: string, source = UNNAMED_SOURCE): SavedDocument {
  const fast = reviveEnveloped(text, savedMetaSchema);
  if (fast === undefined || fast.document === null) return parseStored(savedDocumentSchema, text, source);
  return { ...fast.meta, document: fast.document };
}

/** Already parsed JSON (which it leaves untouched) → document. */
export function decodeDocument(json: unknown, source = UNNAMED_SOURCE): AitwsDocument {
  return parseStoredJson(documentSchema, json, source);
}

/** Encode then decode: a deep copy with exactly the values a store would give back. */
export function cloneDocument(document: AitwsDocument): AitwsDocument {
  return decodeDocumentText(encodeDocumentText(document), 'a document copy');
}
