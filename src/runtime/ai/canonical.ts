/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and the fingerprint built on it. Every
 * hash that must agree across runs, hosts and key orders (cache keys, replay, snapshots) goes
 * through here, so one rule verifies all of them.
 *
 * Written here rather than taken from the `canonicalize` package because that package mirrors
 * JSON.stringify: it turns `undefined` in arrays into null, drops functions silently and honours
 * toJSON (a Date becomes a string). A fingerprint that quietly hashes something other than what
 * the caller holds would make two different requests share a cache entry, so anything that is not
 * plainly a JSON value is refused instead.
 */
import { createHash } from 'node:crypto';
import { AitwsError } from '../../errors.js';

/** Deep enough for any real request; stops a hostile or cyclic-looking value before the stack does. */
const MAX_DEPTH = 256;

/**
 * Lone surrogates have no UTF-8 form, so RFC 8785 §3.2.2.2 forbids them; with the `u` flag this
 * class matches a surrogate only when it is not half of a pair.
 */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * RFC 8785 text of `value`: object keys sorted by UTF-16 code units, no whitespace, strings and
 * numbers as ECMAScript's JSON.stringify prints them (which is what the RFC specifies).
 * An object property whose value is `undefined` is treated as absent, as JSON itself has no
 * `undefined` and optional fields are often spread in that way; `undefined` anywhere else
 * (top level, array element) is refused, as are NaN, ±Infinity, bigint, functions, symbols,
 * lone surrogates, cycles and objects that are not plain (Date, Map, class instances).
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set<object>(), 0);
}

/** `sha256:` + lowercase hex of the UTF-8 bytes of the value's canonical JSON. */
export function fingerprint(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex')}`;
}

function write(value: unknown, path: string, open: Set<object>, depth: number): string {
  switch (typeof value) {
    case 'string':
      return writeString(value, path);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, `the number ${String(value)}`);
      // JSON.stringify prints numbers exactly as RFC 8785 §3.2.2.3 requires (and -0 as 0).
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      return writeContainer(value, path, open, depth);
    default:
      throw notJson(path, typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`);
  }
}

function writeString(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) throw notJson(path, 'a string with a lone surrogate');
  return JSON.stringify(value);
}

function writeContainer(value: object, path: string, open: Set<object>, depth: number): string {
  if (depth >= MAX_DEPTH) throw notJson(path, `a value nested deeper than ${MAX_DEPTH} levels`);
  if (open.has(value)) throw notJson(path, 'a circular reference');
  open.add(value);
  try {
    if (Array.isArray(value)) return writeArray(value, path, open, depth);
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw notJson(path, `an object of class ${className(value)}`);
    }
    return writeObject(value as Readonly<Record<string, unknown>>, path, open, depth);
  } finally {
    open.delete(value);
  }
}

function writeArray(items: readonly unknown[], path: string, open: Set<object>, depth: number): string {
  const parts: string[] = [];
  for (let index = 0; index < items.length; index += 1) {
    parts.push(write(items[index], `${path}[${index}]`, open, depth + 1));
  }
  return `[${parts.join(',')}]`;
}

function writeObject(
  record: Readonly<Record<string, unknown>>,
  path: string,
  open: Set<object>,
  depth: number,
): string {
  // Array.prototype.sort without a comparator orders by UTF-16 code units: RFC 8785 §3.2.3.
  const keys = Object.keys(record).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    const where = `${path}.${key}`;
    parts.push(`${writeString(key, where)}:${write(item, where, open, depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}

function className(value: object): string {
  const ctor: unknown = (value as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name !== '' ? ctor.name : 'unknown';
}

function notJson(path: string, what: string): AitwsError {
  return new AitwsError('VALIDATION', `Canonical JSON cannot represent ${what} (at ${path}).`, {
    hint: 'Only JSON values can be hashed or sent to a model: null, booleans, finite numbers, strings, arrays and plain objects.',
  });
}
