/**
 * A version's identity for review and runs: the SHA-256 of the document's canonical JSON (keys
 * sorted at every level, dates and big integers tagged so they never equal a string), so the same
 * content has the same hash however it was typed, ordered or loaded. JSON rather than the TOML
 * writer: it is computed on every change, and this costs half as much.
 */
import { createHash } from 'node:crypto';
import type { AitwsDocument, TomlValue } from '../document/types.js';

function canonical(value: TomlValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  // TomlDate is a Date whose toISOString keeps TOML's form (a local date stays a local date).
  if (value instanceof Date) return `{"$date":${JSON.stringify(value.toISOString())}}`;
  if (typeof value === 'bigint') return `{"$integer":"${value.toString()}"}`;
  // JSON has no inf or nan (both would print as null).
  if (typeof value === 'number' && !Number.isFinite(value)) return `{"$float":"${String(value)}"}`;
  if (typeof value === 'object') {
    const fields = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key] as TomlValue)}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function contentHash(document: AitwsDocument | null): string {
  const text = document === null ? '' : canonical(document);
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** `sha256:1a2b3c4d…`: enough to tell versions apart in a chat line. */
export function shortHash(hash: string): string {
  return `${hash.slice(0, 'sha256:'.length + 12)}…`;
}
