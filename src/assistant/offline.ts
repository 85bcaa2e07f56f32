/**
 * The assistant without a model: a keyword search over the same reference the model would get.
 * Names (a section, a command, a field) weigh most, then words of the descriptions.
 */
import type { Reference, ReferenceEntry } from './reference.js';

const MAX_RESULTS = 3;

const STOP_WORDS: ReadonlySet<string> = new Set(
  'a an and are can could do does for from have how i in is it me my of on or should that the this to what when where which who why with would you your add use set'.split(
    ' ',
  ),
);

/** Lower-case words of three or more letters, and the plural-less form of each. */
function terms(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z_][a-z0-9_.]*/g) ?? [];
  const found = new Set<string>();
  for (const word of words) {
    const trimmed = word.replace(/^\/|[.]+$/g, '');
    if (trimmed.length < 3 || STOP_WORDS.has(trimmed)) continue;
    found.add(trimmed);
    if (trimmed.endsWith('s') && trimmed.length > 3) found.add(trimmed.slice(0, -1));
  }
  return [...found];
}

function score(entry: ReferenceEntry, queryTerms: readonly string[]): number {
  const names = entry.names.map((name) => name.toLowerCase());
  const body = entry.text.toLowerCase();
  let total = 0;
  for (const term of queryTerms) {
    if (names[0] === term || names[0] === `${term}s`) total += 10;
    else if (names.some((name) => name === term || name === `${term}s`)) total += 4;
    else if (body.includes(term)) total += 1;
  }
  return total;
}

export function searchReference(reference: Reference, question: string): readonly ReferenceEntry[] {
  const queryTerms = terms(question);
  if (queryTerms.length === 0) return [];
  return reference.entries
    .map((entry, index) => ({ entry, index, points: score(entry, queryTerms) }))
    .filter((candidate) => candidate.points > 0)
    .sort((a, b) => b.points - a.points || a.index - b.index)
    .slice(0, MAX_RESULTS)
    .map((candidate) => candidate.entry);
}
