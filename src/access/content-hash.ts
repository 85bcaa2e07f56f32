/**
 * A version's identity for review and runs: the SHA-256 of the canonical document (keys sorted at
 * every level, then the canonical TOML writer), so the same content has the same hash however it
 * was typed or loaded.
 */
import { createHash } from 'node:crypto';
import { stringifyDocument } from '../document/toml.js';
import { isTable } from '../document/tree.js';
import type { AitwsDocument, TomlTable, TomlValue } from '../document/types.js';

function sorted(value: TomlValue): TomlValue {
  if (Array.isArray(value)) return value.map(sorted);
  if (!isTable(value)) return value;
  const table: TomlTable = Object.create(null) as TomlTable;
  for (const key of Object.keys(value).sort()) table[key] = sorted(value[key] as TomlValue);
  return table;
}

export function contentHash(document: AitwsDocument | null): string {
  const text = document === null ? '' : stringifyDocument(sorted(document) as AitwsDocument);
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** `sha256:1a2b3c4d…`: enough to tell versions apart in a chat line. */
export function shortHash(hash: string): string {
  return `${hash.slice(0, 'sha256:'.length + 12)}…`;
}
