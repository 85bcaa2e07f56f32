/**
 * Size limits and forbidden keys (DESIGN §2): bad input never crashes the bot or bloats a session.
 * The same walk guards a freshly parsed file and an in-memory draft after an edit.
 */
import { LimitError, ValidationError } from '../errors.js';
import { getSection } from './sections.js';
import { entryLabel, joinPath } from './tree.js';
import type { AitwsDocument, Limits, TomlValue } from './types.js';

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

function forbiddenKey(key: string, path: string): ValidationError {
  return new ValidationError(
    [{ path: path === '' ? key : path, message: `the key "${key}" is not allowed`, code: 'FORBIDDEN_KEY' }],
    [],
    `The key "${key}"${path === '' ? '' : ` (at ${path})`} is not allowed in an aiTWS document.`,
  );
}

function checkString(text: string, what: string, path: string, limits: Limits): void {
  const bytes = utf8Bytes(text);
  if (bytes > limits.stringBytes) {
    throw new LimitError(
      `${what} at ${path} is ${formatBytes(bytes)}; the limit is ${formatBytes(limits.stringBytes)} per string.`,
      'Keep long text (prompts, documents) outside the workflow and refer to it.',
    );
  }
}

/**
 * A value at `depth` (a section's value is at depth 1). Entries of a top-level list are named by
 * that section's key field in messages (`authorization[Admin]`), deeper ones by `name`.
 */
function checkValue(value: TomlValue, depth: number, path: string, keyField: string, limits: Limits): void {
  if (typeof value === 'string') {
    checkString(value, 'A string', path, limits);
    return;
  }
  if (typeof value !== 'object' || value instanceof Date) return;
  if (depth > limits.nestingDepth) {
    throw new LimitError(
      `The value at ${path} is nested ${depth} levels deep; the limit is ${limits.nestingDepth} levels of nesting.`,
      'Flatten the structure.',
    );
  }
  if (Array.isArray(value)) {
    if (value.length > limits.entriesPerList) {
      throw new LimitError(
        `${path} has ${value.length} entries; the limit is ${limits.entriesPerList} per list.`,
        'Split the list or remove entries.',
      );
    }
    value.forEach((item, index) => {
      checkValue(item, depth + 1, joinPath(path, entryLabel(item, keyField, index)), 'name', limits);
    });
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw forbiddenKey(key, path);
    const itemPath = joinPath(path, key);
    checkString(key, 'A key', itemPath, limits);
    checkValue(item, depth + 1, itemPath, 'name', limits);
  }
}

/**
 * Checks limits on a parsed or edited document: entries per list, bytes per string and key,
 * nesting depth, and forbidden keys. Depth counts containers: `[logging]` is 1, a field of a
 * `[[stages.actions]]` entry sits at depth 4 (stages, the stage, actions, the action).
 */
export function checkStructure(document: AitwsDocument, limits: Limits): void {
  for (const [key, value] of Object.entries(document)) {
    if (FORBIDDEN_KEYS.has(key)) throw forbiddenKey(key, '');
    checkString(key, 'A key', key, limits);
    checkValue(value, 1, key, getSection(key)?.key ?? 'name', limits);
  }
}
