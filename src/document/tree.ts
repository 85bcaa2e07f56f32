/**
 * Small helpers over the TOML value tree shared by the codec, the validator and the redactor.
 */
import { TomlDate } from 'smol-toml';
import type { TomlTable, TomlValue } from './types.js';

export function isTable(value: unknown): value is TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** An array of tables (`[[roles]]`); the empty array counts, since `roles = []` is a valid empty list. */
export function isTableArray(value: unknown): value is TomlTable[] {
  return Array.isArray(value) && value.every(isTable);
}

/**
 * A table with no prototype: keys such as `constructor` then stay plain data, the same as what
 * smol-toml itself builds, and assigning any key can never reach Object.prototype.
 */
export function newTable(): TomlTable {
  return Object.create(null) as TomlTable;
}

/** A shallow copy of `table` with `key` set to `value`, or removed when `value` is undefined. */
export function withKey(table: TomlTable, key: string, value: TomlValue | undefined): TomlTable {
  const copy = Object.assign(newTable(), table);
  if (value === undefined) delete copy[key];
  else copy[key] = value;
  return copy;
}

export function cloneValue(value: TomlValue): TomlValue {
  if (value instanceof TomlDate) return new TomlDate(value.toISOString());
  if (value instanceof Date) return new Date(value.getTime());
  if (Array.isArray(value)) return value.map(cloneValue);
  if (isTable(value)) {
    const copy = newTable();
    for (const [key, item] of Object.entries(value)) copy[key] = cloneValue(item);
    return copy;
  }
  return value;
}

/**
 * How an entry of a keyed list is named in paths: by its key (`roles[Developer]`), or by its
 * 1-based position (`roles[#2]`) when the key is missing or not a string.
 */
export function entryLabel(
  entry: TomlValue | undefined,
  keyField: string | undefined,
  index: number,
): string {
  if (keyField !== undefined && isTable(entry)) {
    const key = entry[keyField];
    if (typeof key === 'string' && key !== '') return `[${key}]`;
  }
  return `[#${index + 1}]`;
}

/** A dotted path for messages: `stages[Execution].actions[Train].type`. */
export function joinPath(base: string, segment: string): string {
  if (segment.startsWith('[')) return `${base}${segment}`;
  return base === '' ? segment : `${base}.${segment}`;
}
