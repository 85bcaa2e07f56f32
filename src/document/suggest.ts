/**
 * "Did you mean …" for section, field, command and entry names.
 */

/** Optimal-string-alignment Damerau-Levenshtein: a swap of two neighbours (`rloes`) costs one edit. */
export function editDistance(a: string, b: string): number {
  // Three rows of the distance matrix: the one before last (for swaps), the last, and this one.
  let beforeLast: number[] = [];
  let last = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((last[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (last[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (beforeLast[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    beforeLast = last;
    last = row;
  }
  return last[b.length] ?? 0;
}

/** Crude English singular, enough for section names: repositories → repository, roles → role. */
function singular(word: string): string {
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
 * The candidate the input most likely meant, or undefined when nothing is close. Case-insensitive;
 * singular and plural forms match each other (`role` → `roles`). Ties go to the earlier candidate.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.trim().toLowerCase();
  if (needle === '' || needle.length > MAX_INPUT) return undefined;
  const needleSingular = singular(needle);
  const limit = maxDistance(needle.length);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of candidates) {
    const hay = name.toLowerCase();
    if (hay === needle) return name;
    // A singular is at most two letters shorter than its word (`repositories` → `repository`).
    const sameWord = Math.abs(hay.length - needleSingular.length) <= 2 && singular(hay) === needleSingular;
    // Lengths further apart than the limit need more edits than that: not worth comparing.
    if (!sameWord && Math.abs(hay.length - needle.length) > limit) continue;
    const distance = sameWord ? 0.5 : editDistance(needle, hay);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= limit && bestDistance < needle.length) {
    return best;
  }
  // A unique prefix is a strong hint (`ai_gov` → `ai_governance`) even when many edits away.
  const prefixed = candidates.filter((name) => name.toLowerCase().startsWith(needle));
  return needle.length >= 3 && prefixed.length === 1 ? prefixed[0] : undefined;
}
