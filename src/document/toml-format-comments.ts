/**
 * Where each comment of a TOML text belongs, so that a formatter which writes the text anew can
 * put every comment back beside what it is about, wherever that moved.
 *
 * The text is a list of items (table headers and key/value lines), and between two items a gap of
 * comment and blank lines. A comment belongs to:
 * - the item whose last line it ends (`port = 443 # …`): end-of-line;
 * - the key/value it sits inside (a multi-line array's `"a", # …`): inside;
 * - in a gap, the first blank line is the divide: comments above it follow the item before
 *   (`x = 1` then `# y = 2` commented out), comments below it, or a whole gap with no blank line,
 *   lead the item after (`# Secure communication settings` over `[communication]`). At the start
 *   of the file, comments above the first blank line are its preamble; at the end, comments below
 *   it are its trailer.
 */
import { type AST, parseTOML } from 'toml-eslint-parser';

/** A table or value's place in the document: `['stages', 0, 'actions', 0, 'name']`. */
export type TomlPath = readonly (string | number)[];

export function pathKey(path: TomlPath): string {
  return JSON.stringify(path);
}

/** A table header or a key/value, with the 1-based lines it spans. */
export interface TomlItem {
  readonly path: TomlPath;
  readonly first: number;
  readonly last: number;
  /** The value of a key/value, whose source text is kept when comments sit inside it. */
  readonly value?: AST.TOMLContentNode;
}

export type Placement =
  | { readonly kind: 'preamble' }
  | { readonly kind: 'trailer' }
  | { readonly kind: 'before' | 'after' | 'end-of-line' | 'inside'; readonly path: TomlPath };

export interface PlacedComment {
  /** From `#` to the end of its line, trailing blanks dropped. */
  readonly text: string;
  readonly placement: Placement;
  /** A blank line separates it from what precedes it in its gap (never at the file's start). */
  readonly blankBefore: boolean;
}

/** Both parsers read TOML 1.1 (smol-toml does), so a file one accepts the other reads alike. */
export function parseTomlTree(text: string): AST.TOMLProgram {
  return parseTOML(text, { tomlVersion: '1.1' });
}

function keyNames(key: AST.TOMLKey): string[] {
  return key.keys.map((part) => (part.type === 'TOMLBare' ? part.name : part.value));
}

function keyValueItem(table: TomlPath, node: AST.TOMLKeyValue): TomlItem {
  return {
    path: [...table, ...keyNames(node.key)],
    first: node.loc.start.line,
    last: node.loc.end.line,
    value: node.value,
  };
}

/** Every header and key/value, in text order. */
export function tomlItems(program: AST.TOMLProgram): TomlItem[] {
  const items: TomlItem[] = [];
  for (const node of program.body[0].body) {
    if (node.type === 'TOMLKeyValue') {
      items.push(keyValueItem([], node));
      continue;
    }
    // A header never spans lines: TOML forbids a newline inside `[…]`.
    items.push({ path: node.resolvedKey, first: node.loc.start.line, last: node.loc.start.line });
    for (const entry of node.body) items.push(keyValueItem(node.resolvedKey, entry));
  }
  return items;
}

/** The lines between two items (exclusive); `before`/`after` absent at the file's ends. */
interface Gap {
  readonly before: TomlItem | undefined;
  readonly after: TomlItem | undefined;
  /** The first line of the gap holding no comment, if any. */
  readonly firstBlank: number | undefined;
}

function gapBetween(
  before: TomlItem | undefined,
  after: TomlItem | undefined,
  commentLines: ReadonlySet<number>,
  lineCount: number,
): Gap {
  const end = after?.first ?? lineCount + 1;
  for (let line = (before?.last ?? 0) + 1; line < end; line += 1) {
    if (!commentLines.has(line)) return { before, after, firstBlank: line };
  }
  return { before, after, firstBlank: undefined };
}

function placeInGap(gap: Gap, line: number): Placement {
  if (gap.firstBlank !== undefined && line > gap.firstBlank) {
    return gap.after === undefined ? { kind: 'trailer' } : { kind: 'before', path: gap.after.path };
  }
  // Above the divide, or in a gap with none: a gap without a blank line leads what follows it.
  if (gap.firstBlank === undefined && gap.after !== undefined)
    return { kind: 'before', path: gap.after.path };
  return gap.before === undefined ? { kind: 'preamble' } : { kind: 'after', path: gap.before.path };
}

/** Every comment of the text with its place, in text order. */
export function placeComments(program: AST.TOMLProgram, text: string): PlacedComment[] {
  const items = tomlItems(program);
  const lineCount = text.split('\n').length;
  const commentLines = new Set(program.comments.map((comment) => comment.loc.start.line));
  const placed: PlacedComment[] = [];
  let next = 0;
  let gap: Gap | undefined;
  let previousLine = 0;
  for (const comment of program.comments) {
    const line = comment.loc.start.line;
    const commentText = text.slice(comment.range[0], comment.range[1]).trimEnd();
    while (next < items.length && (items[next]?.last ?? 0) < line) {
      next += 1;
      gap = undefined;
    }
    const item = items[next];
    if (item !== undefined && item.first <= line) {
      const kind = line === item.last ? 'end-of-line' : 'inside';
      placed.push({ text: commentText, placement: { kind, path: item.path }, blankBefore: false });
      continue;
    }
    const before = items[next - 1];
    if (gap === undefined) {
      gap = gapBetween(before, item, commentLines, lineCount);
      previousLine = before?.last ?? line;
    }
    placed.push({
      text: commentText,
      placement: placeInGap(gap, line),
      blankBefore: line - previousLine > 1,
    });
    previousLine = line;
  }
  return placed;
}
