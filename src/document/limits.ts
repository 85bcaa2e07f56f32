/**
 * Size limits and forbidden keys: bad input never crashes the bot or bloats a session.
 * The same walk guards a freshly parsed file and an in-memory draft after an edit.
 */
import { LimitError, ValidationError } from '../errors.js';
import { hasUnsafeCharacters, inert } from './inert-text.js';
import { getSection } from './sections.js';
import { entryLabel, joinPath } from './tree.js';
import type { AitwsDocument, Limits, TomlTable, TomlValue } from './types.js';

/** Keys that would reach Object.prototype or a constructor if any consumer ever merged carelessly. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const kib = bytes / 1024;
  if (kib < 1024) return `${Number.isInteger(kib) ? kib : kib.toFixed(1)} KiB`;
  const mib = kib / 1024;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** Limits are in UTF-8 bytes: what a file, a Redis value or a chat message actually carries. */
function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The size of a document as text: checked before parsing, and on what a draft would save. */
export function checkDocumentBytes(text: string, limits: Limits): void {
  const bytes = utf8Bytes(text);
  if (bytes > limits.documentBytes) {
    throw new LimitError(
      `The document is ${formatBytes(bytes)}; the limit is ${formatBytes(limits.documentBytes)}.`,
      'Split the workflow or remove sections it does not need.',
    );
  }
}

function unsafeKey(key: string, path: string): ValidationError {
  const shown = inert(key);
  return new ValidationError(
    [
      {
        path: path === '' ? shown : `${path}.${shown}`,
        message: 'has a control or direction-changing character',
        code: 'FORBIDDEN_KEY',
      },
    ],
    [],
    `The key "${shown}"${path === '' ? '' : ` (at ${path})`} has a control or direction-changing character, which a terminal or a chat would act on.`,
  );
}

function forbiddenKey(key: string, path: string): ValidationError {
  return new ValidationError(
    [{ path: path === '' ? key : path, message: `the key "${key}" is not allowed`, code: 'FORBIDDEN_KEY' }],
    [],
    `The key "${key}"${path === '' ? '' : ` (at ${path})`} is not allowed in an aiTWS document.`,
  );
}

function stringTooLong(text: string, what: string, path: string, limits: Limits): LimitError {
  return new LimitError(
    `${what} at ${path} is ${formatBytes(utf8Bytes(text))}; the limit is ${formatBytes(limits.stringBytes)} per string.`,
    'Keep long text (prompts, documents) outside the workflow and refer to it.',
  );
}

function isTooLong(value: TomlValue, limits: Limits): value is string {
  // A UTF-16 unit is at most three UTF-8 bytes: most strings are too short to need counting.
  return (
    typeof value === 'string' &&
    value.length * 3 > limits.stringBytes &&
    utf8Bytes(value) > limits.stringBytes
  );
}

function isContainer(value: TomlValue): value is TomlTable | TomlValue[] {
  return typeof value === 'object' && !(value instanceof Date);
}

/**
 * One member of a container at `path`: its key (for a table) and its value. Paths are built only
 * for containers and for messages, as nearly every member is a short plain value.
 */
function checkMember(
  key: string | undefined,
  item: TomlValue,
  segment: string,
  path: string,
  depth: number,
  limits: Limits,
): void {
  if (key !== undefined && FORBIDDEN_KEYS.has(key)) throw forbiddenKey(key, path);
  if (key !== undefined && hasUnsafeCharacters(key)) throw unsafeKey(key, path);
  if (key !== undefined && isTooLong(key, limits))
    throw stringTooLong(key, 'A key', joinPath(path, segment), limits);
  if (isTooLong(item, limits)) throw stringTooLong(item, 'A string', joinPath(path, segment), limits);
  if (isContainer(item)) checkContainer(item, depth + 1, joinPath(path, segment), 'name', limits);
}

/**
 * A table or list at `depth` (a section's value is at depth 1). Entries of a top-level list are
 * named by that section's key field in messages (`authorization[Admin]`), deeper ones by `name`.
 */
function checkContainer(
  value: TomlTable | TomlValue[],
  depth: number,
  path: string,
  keyField: string,
  limits: Limits,
): void {
  if (depth > limits.nestingDepth) {
    throw new LimitError(
      `The value at ${path} is nested ${depth} levels deep; the limit is ${limits.nestingDepth} levels of nesting.`,
      'Flatten the structure.',
    );
  }
  if (!Array.isArray(value)) {
    // Keys and a lookup: Object.entries on these prototype-less tables costs about four times as much.
    for (const key of Object.keys(value)) checkMember(key, value[key] as TomlValue, key, path, depth, limits);
    return;
  }
  if (value.length > limits.entriesPerList) {
    throw new LimitError(
      `${path} has ${value.length} entries; the limit is ${limits.entriesPerList} per list.`,
      'Split the list or remove entries.',
    );
  }
  value.forEach((item, index) => {
    checkMember(undefined, item, entryLabel(item, keyField, index), path, depth, limits);
  });
}

/**
 * Checks limits on a parsed or edited document: entries per list, bytes per string and key,
 * nesting depth, and forbidden keys. Depth counts containers: `[logging]` is 1, a field of a
 * `[[stages.actions]]` entry sits at depth 4 (stages, the stage, actions, the action).
 */
export function checkStructure(document: AitwsDocument, limits: Limits): void {
  for (const key of Object.keys(document)) {
    const value = document[key] as TomlValue;
    if (FORBIDDEN_KEYS.has(key)) throw forbiddenKey(key, '');
    if (hasUnsafeCharacters(key)) throw unsafeKey(key, '');
    if (isTooLong(key, limits)) throw stringTooLong(key, 'A key', key, limits);
    if (isTooLong(value, limits)) throw stringTooLong(value, 'A string', key, limits);
    if (isContainer(value)) checkContainer(value, 1, key, getSection(key)?.key ?? 'name', limits);
  }
}
