/**
 * Pre-flight problems: how one is worded when a name points at nothing, and the order they are
 * reported in (document order: where each one is in the document, then the order found).
 */
import { entryLabel, isTable } from '../document/tree.js';
import type { AitwsDocument } from '../document/types.js';
import type { PreflightCode, PreflightProblem } from './plan-types.js';
import type { Outline } from './preflight-outline.js';

export function problem(code: PreflightCode, where: string, message: string): PreflightProblem {
  return { code, where, message };
}

const SHOWN_NAMES = 8;

/** `"A", "B"` (eight at most, then `and 3 more`), or `none` for an empty list. */
export function listNames(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, SHOWN_NAMES).map((name) => `"${name}"`);
  const more = names.length > SHOWN_NAMES ? ` and ${names.length - SHOWN_NAMES} more` : '';
  return `${shown.join(', ')}${more}`;
}

/**
 * A name that points at nothing: what it should have named, the nearest existing name, the names
 * there are, and how to fix it.
 */
export function unknownName(
  outline: Outline,
  where: string,
  what: string,
  name: string,
  candidates: readonly string[],
  fix: string,
): PreflightProblem {
  const near = outline.nearest(name, candidates);
  const mean = near === undefined ? '' : ` Did you mean "${near}"?`;
  return problem(
    'REFERENCE',
    where,
    `There is no ${what} "${name}".${mean} Known: ${listNames(candidates)}. ${fix}`,
  );
}

/**
 * Where `where` points in the document, as positions (section, entry, field, …) to sort by. It
 * follows the path as far as the document has it: `conditions[Ready].expression` of an entry
 * without an expression sorts as the entry itself.
 */
function positionOf(document: AitwsDocument, where: string): number[] {
  const position: number[] = [];
  let node: unknown = document;
  let rest = where;
  while (rest !== '') {
    const step = isTable(node) ? keyStep(node, rest, position.length === 0) : itemStep(node, rest);
    if (step === undefined) break;
    position.push(step.index);
    node = step.node;
    rest = rest.slice(step.length);
  }
  return position;
}

interface Step {
  readonly index: number;
  readonly node: unknown;
  readonly length: number;
}

const boundary = (rest: string, length: number): boolean =>
  length === rest.length || rest[length] === '.' || rest[length] === '[';

/** The longest key of `table` that `rest` starts with (after a dot, except at the top). */
function keyStep(table: Record<string, unknown>, rest: string, top: boolean): Step | undefined {
  const prefix = top ? '' : '.';
  let best: Step | undefined;
  Object.keys(table).forEach((key, index) => {
    const length = prefix.length + key.length;
    if (!rest.startsWith(`${prefix}${key}`) || !boundary(rest, length)) return;
    if (best === undefined || length > best.length) best = { index, node: table[key], length };
  });
  return best;
}

/** The item of a list that `rest` names by label: `[Name]`, `[Administrator]` (authorization) or `[#2]`. */
function itemStep(node: unknown, rest: string): Step | undefined {
  if (!Array.isArray(node)) return undefined;
  for (const [index, item] of node.entries()) {
    for (const key of ['name', 'role', undefined]) {
      const label = entryLabel(item, key, index);
      if (rest.startsWith(label) && boundary(rest, label.length))
        return { index, node: item, length: label.length };
    }
  }
  return undefined;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/**
 * In document order (stable: problems at one place keep the order they were found in), each once.
 * A field both the schema and pre-flight's own field checks refuse (VALIDATION at one place) is
 * reported once, by whichever came first.
 */
export function inDocumentOrder(
  document: AitwsDocument,
  problems: readonly PreflightProblem[],
): PreflightProblem[] {
  const seen = new Set<string>();
  const unique = problems.filter((item) => {
    const message = item.code === 'VALIDATION' ? '' : item.message;
    const id = `${item.code}\u0000${item.where}\u0000${message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return unique
    .map((item) => ({ item, position: positionOf(document, item.where) }))
    .sort((a, b) => compare(a.position, b.position))
    .map(({ item }) => item);
}
