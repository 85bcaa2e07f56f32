/** Session-test helpers: changes that each leave a visible, distinct mark in the document. */
import type { AitwsDocument, TomlTable } from '../../src/document/types.js';
import type { Mutate } from '../../src/session/apply.js';

/** The `items` table of a test document: one key per change that landed. */
export function itemsOf(document: AitwsDocument | null): TomlTable {
  const items = document?.items;
  if (typeof items !== 'object' || items === null || Array.isArray(items) || items instanceof Date) return {};
  return items;
}

/** A mutation adding one distinct item, so every landed change is visible in the document. */
export function addItem(name: string): Mutate<string> {
  return (current) => ({
    document: { ...current.document, items: { ...itemsOf(current.document), [name]: current.version + 1 } },
    change: `add ${name}`,
    by: name,
    result: name,
  });
}
