/**
 * "Did you mean …" for section, field, command and entry names.
 */

/**
 * Rows reused across calls: suggestions run on every dangling name of every validation, and
 * allocating a matrix per comparison dominated their cost.
 */
let rows: [Int32Array, Int32Array, Int32Array] = [new Int32Array(32), new Int32Array(32), new Int32Array(32)];

function scratch(size: number): [Int32Array, Int32Array, Int32Array] {
  if (rows[0].length < size) {
    const length = Math.max(size, rows[0].length * 2);
    rows = [new Int32Array(length), new Int32Array(length), new Int32Array(length)];
  }
  return rows;
}

/**
 * The distance when it is at most `bound`, otherwise some number above `bound`. Only the diagonal
 * band |i - j| <= bound is computed (cells outside it are over the bound), and since row minima
 * never decrease, a row entirely over the bound ends the comparison.
 */
function boundedDistance(a: string, b: string, bound: number): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > bound) return bound + 1;
  const over = bound + 1;
  let [older, previous, current] = scratch(m + 2);
  const first = Math.min(m, bound);
  for (let j = 0; j <= first; j++) previous[j] = j;
  previous[first + 1] = over;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - bound);
    const hi = Math.min(m, i + bound);
    // The cell left of the band: column 0 is exact, anything else is outside and over the bound.
    let left = lo === 1 ? i : over;
    current[lo - 1] = left;
    let rowMin = left;
    let diagonal = previous[lo - 1] ?? over;
    const ai = a.charCodeAt(i - 1);
    // Neighbours are carried in locals (left, diagonal, up) rather than read back from the rows.
    for (let j = lo; j <= hi; j++) {
      const up = previous[j] ?? over;
      const bj = b.charCodeAt(j - 1);
      let best = diagonal + (ai === bj ? 0 : 1);
      if (up + 1 < best) best = up + 1;
      if (left + 1 < best) best = left + 1;
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) {
        const swapped = (older[j - 2] ?? over) + 1;
        if (swapped < best) best = swapped;
      }
      current[j] = best;
      if (best < rowMin) rowMin = best;
      left = best;
      diagonal = up;
    }
    if (rowMin > bound) return over;
    // The cell right of the band, which the next row reads as its upper neighbour.
    if (hi < m) current[hi + 1] = over;
    const spare = older;
    older = previous;
    previous = current;
    current = spare;
  }
  return previous[m] ?? over;
}

/** Optimal-string-alignment Damerau-Levenshtein: a swap of two neighbours (`rloes`) costs one edit. */
export function editDistance(a: string, b: string): number {
  // No distance exceeds the longer length, so that bound keeps every cell and the result exact.
  return boundedDistance(a, b, Math.max(a.length, b.length));
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

/** Candidates lowercased once, for a list that is suggested from many times. */
export class Candidates {
  readonly lower: readonly string[];

  constructor(readonly names: readonly string[]) {
    this.lower = names.map((name) => name.toLowerCase());
  }
}

/** The needle `suggest` compares, or undefined for input that is not a name. */
function needleOf(input: string): string | undefined {
  const needle = input.trim().toLowerCase();
  return needle === '' || needle.length > MAX_INPUT ? undefined : needle;
}

/**
 * The candidate the input most likely meant, or undefined when nothing is close. Case-insensitive;
 * singular and plural forms match each other (`role` → `roles`). Ties go to the earlier candidate.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const needle = needleOf(input);
  return needle === undefined ? undefined : closest(needle, new Candidates(candidates));
}

/** `suggest` over prepared candidates. */
export function suggestAmong(input: string, candidates: Candidates): string | undefined {
  const needle = needleOf(input);
  return needle === undefined ? undefined : closest(needle, candidates);
}

function closest(needle: string, { names, lower }: Candidates): string | undefined {
  const needleSingular = singular(needle);
  // Distances past the limit are never suggested, so only their being past it matters.
  const limit = maxDistance(needle.length);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let i = 0; i < names.length; i++) {
    const hay = lower[i] ?? '';
    if (hay === needle) return names[i];
    // A singular is at most two units shorter than its word; other lengths cannot match.
    const sameWord =
      hay.length >= needleSingular.length &&
      hay.length - 2 <= needleSingular.length &&
      singular(hay) === needleSingular;
    if (!sameWord && Math.abs(hay.length - needle.length) > limit) continue;
    const distance = sameWord ? 0.5 : boundedDistance(needle, hay, limit);
    if (distance < bestDistance) {
      best = names[i];
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= limit && bestDistance < needle.length) return best;
  // A unique prefix is a strong hint (`ai_gov` → `ai_governance`) even when many edits away.
  if (needle.length >= 3) {
    let prefixed: string | undefined;
    for (let i = 0; i < names.length; i++) {
      if (!(lower[i] ?? '').startsWith(needle)) continue;
      if (prefixed !== undefined) return undefined;
      prefixed = names[i];
    }
    return prefixed;
  }
  return undefined;
}
