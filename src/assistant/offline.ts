/**
 * The assistant without a model: a keyword search over the same reference the model would get.
 * A field the question names (`change_management.review_required`, or `logging` and `level`) is
 * answered with that field alone; otherwise names (a section, a command, a field) weigh most, then
 * words of the descriptions.
 */
import type { FieldEntry, Reference, ReferenceEntry } from './reference.js';

const MAX_RESULTS = 3;

/**
 * The command this search answers for. Its examples are questions, so its text would match
 * almost any question and put its usage under every answer; it is found only by its name.
 */
const SELF = '/ask';

const STOP_WORDS: ReadonlySet<string> = new Set(
  'a an and are can could do does for from have how i in is it me my of on or should that the this to what when where which who why with would you your add use set'.split(
    ' ',
  ),
);

/**
 * Lower-case words of three or more letters, the plural-less form of each, and the parts of a
 * dotted name as well as the whole.
 */
function terms(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z_][a-z0-9_.]*/g) ?? [];
  const found = new Set<string>();
  const add = (term: string): void => {
    if (term.length < 3 || STOP_WORDS.has(term)) return;
    found.add(term);
    if (term.endsWith('s') && term.length > 3) found.add(term.slice(0, -1));
  };
  for (const word of words) {
    const trimmed = word.replace(/^\/|[.]+$/g, '');
    add(trimmed);
    if (trimmed.includes('.')) for (const part of trimmed.split('.')) add(part);
  }
  return [...found];
}

function names(term: string, name: string): boolean {
  return name === term || name === `${term}s`;
}

/** `stages.actions` is named by `stages.actions`, `actions` or `action`. */
function namesSection(term: string, section: string): boolean {
  return names(term, section) || names(term, section.slice(section.lastIndexOf('.') + 1));
}

/**
 * Fields the question names: by their full name (`change_management.review_required`), by their
 * name beside their section's (`logging level`), or by a name with an underscore that only one
 * section has (`review_required`), which nobody types by chance.
 */
function namedFields(fields: readonly FieldEntry[], queryTerms: readonly string[]): FieldEntry[] {
  const has = (term: string): boolean => queryTerms.includes(term);
  const full = fields.filter((entry) => has(entry.title.toLowerCase()));
  const beside = fields.filter(
    (entry) => has(entry.field) && queryTerms.some((term) => namesSection(term, entry.section)),
  );
  const unique = fields.filter(
    (entry) =>
      entry.field.includes('_') &&
      has(entry.field) &&
      fields.filter((other) => other.field === entry.field).length === 1,
  );
  return [...new Set([...full, ...beside, ...unique])];
}

/** What a term naming an entry (not just occurring in its text) scores at least. */
const NAMED = 4;

function score(entry: ReferenceEntry, queryTerms: readonly string[]): number {
  const entryNames = entry.names.map((name) => name.toLowerCase());
  const body = entry.title === SELF ? '' : entry.text.toLowerCase();
  let total = 0;
  for (const term of queryTerms) {
    if (names(term, entryNames[0] ?? '')) total += 10;
    else if (entryNames.some((name) => names(term, name))) total += 4;
    else if (body.includes(term)) total += 1;
  }
  return total;
}

export function searchReference(reference: Reference, question: string): readonly ReferenceEntry[] {
  const queryTerms = terms(question);
  if (queryTerms.length === 0) return [];
  const fields = namedFields(reference.fields, queryTerms);
  // A named field's entry already says which section it is in, with the section's example.
  const covered = new Set(fields.map((entry) => entry.section));
  // With a field named, entries that merely mention its words (the commands whose help cites it)
  // would bury the answer; only entries the question names come with it.
  const least = fields.length > 0 ? NAMED : 1;
  const others = reference.entries
    .filter((entry) => !covered.has(entry.title))
    .map((entry, index) => ({ entry, index, points: score(entry, queryTerms) }))
    .filter((candidate) => candidate.points >= least)
    .sort((a, b) => b.points - a.points || a.index - b.index)
    .map((candidate) => candidate.entry);
  return [...fields, ...others].slice(0, MAX_RESULTS);
}
