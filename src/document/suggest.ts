/**
 * "Did you mean …" for section, field, command and entry names.
 */

/**
 * Optimal-string-alignment Damerau-Levenshtein: a swap of two neighbours (`rloes`) costs one edit.
 * With `limit`, the answer is only exact up to it: once a whole row is over the limit the distance
 * cannot come back under it (a row's minimum never decreases), so the comparison stops there.
 */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  // Three rows of the distance matrix: the one before last (for swaps), the last, and this one.
  let beforeLast = new Array<number>(b.length + 1).fill(0);
  let last = Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((last[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (last[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (beforeLast[j - 2] ?? 0) + 1);
      }
      row[j] = best;
      rowMin = Math.min(rowMin, best);
    }
    if (rowMin > limit) return rowMin;
    [beforeLast, last, row] = [last, row, beforeLast];
  }
  return last[b.length] ?? 0;
}

/** Crude English singular, enough for section names: repositories → repository, roles → role. */
function singular(word: string): string {
  if (!word.endsWith('s')) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (/(ss|sh|ch|x)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && word.length > 3) return word.slice(0, -1);
  return word;
}

/** Short words tolerate fewer edits, so `ask` does not suggest `add`-like noise for every typo. */
function maxDistance(length: number): number {
  if (length <= 4) return 1;
  if (length <= 8) return 2;
  return 3;
}

/** Inputs this long are not names; comparing them would only cost time. */
const MAX_INPUT = 64;

/**
 * Candidates lower-cased once, for looking up many inputs among the same names (the reference
 * check asks about every missing name of a field against one list).
 */
export class NameSuggester {
  private readonly lowered: readonly string[];

  constructor(private readonly candidates: readonly string[]) {
    this.lowered = candidates.map((name) => name.toLowerCase());
  }

  /** How many candidates one look-up compares at most: the cost of a call. */
  get size(): number {
    return this.candidates.length;
  }

  /** See `suggest`. */
  suggest(input: string): string | undefined {
    const needle = input.trim().toLowerCase();
    if (needle === '' || needle.length > MAX_INPUT) return undefined;
    const needleSingular = singular(needle);
    const limit = maxDistance(needle.length);
    let best: string | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const [index, name] of this.candidates.entries()) {
      const hay = this.lowered[index] ?? '';
      if (hay === needle) return name;
      // A singular is at most two letters shorter than its word (`repositories` → `repository`).
      const sameWord = Math.abs(hay.length - needleSingular.length) <= 2 && singular(hay) === needleSingular;
      // Lengths further apart than the limit need more edits than that: not worth comparing.
      if (!sameWord && Math.abs(hay.length - needle.length) > limit) continue;
      const distance = sameWord ? 0.5 : editDistance(needle, hay, limit);
      if (distance < bestDistance) {
        best = name;
        bestDistance = distance;
      }
    }
    if (best !== undefined && bestDistance <= limit && bestDistance < needle.length) return best;
    return this.uniquePrefixed(needle);
  }

  /** A unique prefix is a strong hint (`ai_gov` → `ai_governance`) even when many edits away. */
  private uniquePrefixed(needle: string): string | undefined {
    if (needle.length < 3) return undefined;
    const prefixed = this.candidates.filter((_, index) => this.lowered[index]?.startsWith(needle));
    return prefixed.length === 1 ? prefixed[0] : undefined;
  }
}

/**
 * The candidate the input most likely meant, or undefined when nothing is close. Case-insensitive;
 * singular and plural forms match each other (`role` → `roles`). Ties go to the earlier candidate.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  return new NameSuggester(candidates).suggest(input);
}
