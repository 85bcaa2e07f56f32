/**
 * Word wrapping for replies in a terminal. Lines break at spaces only: a word longer than the
 * width (a URL, a path) keeps its own line whole, because the terminal folds it on screen anyway
 * and a newline inside it would break copying it.
 */

/** East Asian wide and fullwidth letters and most emoji take two columns. */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;
/** Combining marks, zero-width joiners and variation selectors take none. */
const ZERO = /[\p{Mn}\p{Me}]|\u200b|\u200c|\u200d/u;

/** Columns `text` takes on a terminal (text without escape sequences). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const character of text) {
    if (ZERO.test(character)) continue;
    width += WIDE.test(character) ? 2 : 1;
  }
  return width;
}

/** Below this a wrapped reply is harder to read than a folded one. */
const NARROWEST = 20;

/**
 * One line of text broken at spaces into lines no wider than `width`. Lines after the first start
 * with `indent` (a hanging indent under a bullet); without one they keep the line's own leading
 * spaces, so an indented line stays indented.
 */
export function wrapLine(line: string, width: number, indent?: string): string[] {
  const columns = Math.max(width, NARROWEST);
  if (displayWidth(line) <= columns) return [line];
  const leading = /^ */.exec(line)?.[0] ?? '';
  const hanging = indent ?? leading;
  const words = line.slice(leading.length).split(' ');
  const lines: string[] = [];
  let current = leading;
  let currentWidth = displayWidth(leading);
  let fresh = true;
  for (const word of words) {
    // A run of spaces at a break would otherwise indent the next line further.
    if (fresh && word === '') continue;
    const wordWidth = displayWidth(word);
    if (!fresh && currentWidth + 1 + wordWidth > columns) {
      lines.push(current);
      current = hanging;
      currentWidth = displayWidth(hanging);
      fresh = true;
    }
    current += fresh ? word : ` ${word}`;
    currentWidth += fresh ? wordWidth : 1 + wordWidth;
    fresh = false;
  }
  lines.push(current);
  return lines;
}

/** Every line of `text` wrapped; `width` undefined leaves the text as it is (piped output). */
export function wrapText(text: string, width: number | undefined, indent?: string): string {
  if (width === undefined) return text;
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line, width, indent))
    .join('\n');
}
