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

export function checkDocumentBytes(text: string, limits: Limits): void {
  // Each UTF-16 unit is at least one UTF-8 byte, so an over-long text is refused without a count.
  const counted = text.length <= limits.documentBytes;
  const bytes = counted ? utf8Bytes(text) : text.length;
  if (bytes > limits.documentBytes) {
    throw new LimitError(
      `The document is ${counted ? '' : 'at least '}${formatBytes(bytes)}; the limit is ${formatBytes(limits.documentBytes)}.`,
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

interface Walk {
  readonly limits: Limits;
  /** A lower bound of the serialised size, so a huge in-memory draft fails before stringifying. */
  bytes: number;
}

function checkString(text: string, path: string, walk: Walk, what: string): void {
  const { stringBytes } = walk.limits;
  // At most 3 UTF-8 bytes per UTF-16 unit: short strings cannot be over and skip the count.
  const bytes = text.length * 3 <= stringBytes ? text.length : utf8Bytes(text);
  walk.bytes += bytes;
  if (bytes > stringBytes) {
    throw new LimitError(
      `${what} at ${path} is ${formatBytes(bytes)}; the limit is ${formatBytes(stringBytes)} per string.`,
      'Keep long text (prompts, documents) outside the workflow and refer to it.',
    );
  }
}

/** `keyField` names the entries of an array in paths: `roles[Developer]` rather than `roles[#2]`. */
function checkValue(value: TomlValue, path: string, depth: number, keyField: string, walk: Walk): void {
  const { limits } = walk;
  if (typeof value === 'string') {
    checkString(value, path, walk, 'A string');
    return;
  }
  if (typeof value !== 'object' || value instanceof Date) {
    walk.bytes += 1;
    return;
  }
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
      checkValue(item, joinPath(path, entryLabel(item, keyField, index)), depth + 1, 'name', walk);
    });
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const itemPath = joinPath(path, key);
    if (FORBIDDEN_KEYS.has(key)) throw forbiddenKey(key, path);
    checkString(key, itemPath, walk, 'A key');
    if (walk.bytes > limits.documentBytes) {
      throw new LimitError(
        `The document is over ${formatBytes(limits.documentBytes)}, the limit.`,
        'Split the workflow or remove sections it does not need.',
      );
    }
    checkValue(item, itemPath, depth + 1, 'name', walk);
  }
}

/**
 * Checks limits on a parsed or edited document: entries per list, bytes per string and key,
 * nesting depth, and forbidden keys. Depth counts containers: `[logging]` is 1, a field of a
 * `[[stages.actions]]` entry sits at depth 4 (stages, the stage, actions, the action).
 * Returns a lower bound of the serialised size.
 */
export function checkStructure(document: AitwsDocument, limits: Limits): number {
  const walk: Walk = { limits, bytes: 0 };
  for (const [key, value] of Object.entries(document)) {
    if (FORBIDDEN_KEYS.has(key)) throw forbiddenKey(key, '');
    checkString(key, key, walk, 'A key');
    const spec = getSection(key);
    checkValue(value, key, 1, spec?.key ?? 'name', walk);
  }
  return walk.bytes;
}
