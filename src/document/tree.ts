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
  return Array.isArray(value) && everyItem(value, isTable);
}

/*
 * Loops over a draft's lists go through these (or plain `for` loops) rather than the Array
 * builtins that take a callback: on Node 20, findIndex, every, some, forEach, filter and slice
 * have no fast path for frozen arrays and run about ten times slower on them, and a draft's
 * lists are frozen (frozen.ts).
 */

/** Whether every item passes `test`. */
export function everyItem<T>(list: readonly T[], test: (item: T, index: number) => boolean): boolean {
  for (let index = 0; index < list.length; index++) {
    if (!test(list[index] as T, index)) return false;
  }
  return true;
}

/** The index of the first item that passes `test`, or -1. */
export function indexWhere<T>(list: readonly T[], test: (item: T, index: number) => boolean): number {
  for (let index = 0; index < list.length; index++) {
    if (test(list[index] as T, index)) return index;
  }
  return -1;
}

/**
 * A table with no prototype: keys such as `constructor` then stay plain data, the same as what
 * smol-toml itself builds.
 */
export function newTable(): TomlTable {
  return Object.create(null) as TomlTable;
}

/** The one descriptor copies define their members with; reused, so a copy allocates none. */
const MEMBER: PropertyDescriptor = { value: undefined, writable: true, enumerable: true, configurable: true };

/**
 * An empty prototype-less table for a copy that is about to get its members. `Object.create(null)`
 * and member-by-member assignment both make V8 keep a table as a hash table ("dictionary mode"),
 * about 1.7 KB for a draft's 25 sections against 0.25 KB laid out as fields, and every edit
 * copies the root: that difference was most of what each version left behind for the garbage
 * collector. Members defined (not assigned) on an object whose prototype was set to null keep
 * the field layout, and copies with the same keys share it.
 */
function emptyCopy(): TomlTable {
  const copy = {};
  Object.setPrototypeOf(copy, null);
  return copy as TomlTable;
}

function defineMember(table: TomlTable, key: string, value: TomlValue): void {
  MEMBER.value = value;
  Object.defineProperty(table, key, MEMBER);
  MEMBER.value = undefined;
}

/**
 * A shallow copy of `table` with `key` set to `value` (or removed, for undefined), in the key order
 * a spread would give. Copied key by key: V8 spreads a large or prototype-less object slowly
 * (microseconds for a draft's 25 sections), and edits copy the draft's root on every change.
 */
export function withKey(table: TomlTable, key: string, value: TomlValue | undefined): TomlTable {
  const copy = emptyCopy();
  const keys = Object.keys(table);
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i] ?? '';
    const item = name === key ? value : table[name];
    if (item !== undefined) defineMember(copy, name, item);
  }
  if (value !== undefined && !Object.hasOwn(table, key)) defineMember(copy, key, value);
  return copy;
}

/** A shallow copy of `table` (see withKey on why not a spread). */
export function copyTable(table: TomlTable): TomlTable {
  const copy = emptyCopy();
  const keys = Object.keys(table);
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i] ?? '';
    const item = table[name];
    if (item !== undefined) defineMember(copy, name, item);
  }
  return copy;
}

export function cloneValue(value: TomlValue): TomlValue {
  if (value instanceof TomlDate) return new TomlDate(value.toISOString());
  if (value instanceof Date) return new Date(value.getTime());
  if (Array.isArray(value)) return value.map(cloneValue);
  if (isTable(value)) {
    const copy = newTable();
    for (const [key, item] of Object.entries(value)) copy[key] = item === undefined ? item : cloneValue(item);
    return copy;
  }
  return value;
}

/** True when entryLabel names `entry` by its key, false when by its position. */
export function isKeyed(entry: TomlValue | undefined, keyField: string | undefined): boolean {
  if (keyField === undefined || !isTable(entry)) return false;
  const key = entry[keyField];
  return typeof key === 'string' && key !== '';
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
