/**
 * Canonical TOML that keeps comments. The canonical text is the one `/save` writes
 * (stringifyDocument: registry order, one spelling per value); each comment of the source is then
 * put back beside the header or key it belongs to (toml-format-comments.ts), found by its path in
 * the document, so a section, entry or key that moved carries its comments along. A file without
 * comments formats exactly as `/save` writes it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AST } from 'toml-eslint-parser';
import { AitwsError, LimitError } from '../errors.js';
import { parseDocument, stringifyDocument } from './toml.js';
import {
  type PlacedComment,
  parseTomlTree,
  pathKey,
  placeComments,
  type TomlItem,
  type TomlPath,
  tomlItems,
} from './toml-format-comments.js';
import type { AitwsDocument, Limits } from './types.js';

/** What goes around one line of the canonical text. */
interface Slot {
  readonly before: PlacedComment[];
  readonly after: PlacedComment[];
  readonly endOfLine: PlacedComment[];
  /** A value's source text, kept because comments sit inside it: [start column, end column, text]. */
  value?: readonly [number, number, string];
}

/** The canonical text's items by path: each sits on one line (0-based), as the writer puts it. */
interface Layout {
  readonly items: readonly TomlItem[];
  readonly byPath: ReadonlyMap<string, TomlItem>;
}

function layoutOf(program: AST.TOMLProgram): Layout {
  const items = tomlItems(program);
  return { items, byPath: new Map(items.map((item) => [pathKey(item.path), item])) };
}

function startsWith(path: TomlPath, prefix: TomlPath): boolean {
  return prefix.length < path.length && prefix.every((part, index) => path[index] === part);
}

/**
 * The canonical item for a source path: the same path; else the first item inside it (a `[a]`
 * that only held `[a.b]` is not written); else the nearest one around it (an array of tables
 * written inline).
 */
function resolve(layout: Layout, path: TomlPath): { item: TomlItem; exact: boolean } | undefined {
  const exact = layout.byPath.get(pathKey(path));
  if (exact !== undefined) return { item: exact, exact: true };
  const inside = layout.items.find((item) => startsWith(item.path, path));
  if (inside !== undefined) return { item: inside, exact: false };
  for (let length = path.length - 1; length > 0; length -= 1) {
    const around = layout.byPath.get(pathKey(path.slice(0, length)));
    if (around !== undefined) return { item: around, exact: false };
  }
  return undefined;
}

function slotAt(slots: Map<number, Slot>, line: number): Slot {
  let slot = slots.get(line);
  if (slot === undefined) {
    slot = { before: [], after: [], endOfLine: [] };
    slots.set(line, slot);
  }
  return slot;
}

interface Placed {
  readonly preamble: PlacedComment[];
  readonly trailer: PlacedComment[];
  readonly slots: Map<number, Slot>;
}

/** Keeps a value's source text when the canonical text has a key/value at the same path. */
function keepValue(slots: Map<number, Slot>, layout: Layout, source: TomlItem, text: string): boolean {
  const target = layout.byPath.get(pathKey(source.path));
  if (source.value === undefined || target?.value === undefined) return false;
  const slot = slotAt(slots, target.first - 1);
  if (slot.value === undefined) {
    const raw = text.slice(source.value.range[0], source.value.range[1]).replace(/\r\n/g, '\n');
    slot.value = [target.value.loc.start.column, target.value.loc.end.column, raw];
  }
  return true;
}

function place(comments: readonly PlacedComment[], layout: Layout, source: Layout, text: string): Placed {
  const placed: Placed = { preamble: [], trailer: [], slots: new Map() };
  for (const comment of comments) {
    const { placement } = comment;
    if (placement.kind === 'preamble' || placement.kind === 'trailer') {
      placed[placement.kind].push(comment);
      continue;
    }
    const found = resolve(layout, placement.path);
    if (found === undefined) {
      placed.trailer.push(comment);
      continue;
    }
    const slot = slotAt(placed.slots, found.item.first - 1);
    const sourceItem = source.byPath.get(pathKey(placement.path));
    if (placement.kind === 'inside' && sourceItem !== undefined) {
      if (keepValue(placed.slots, layout, sourceItem, text)) continue;
    }
    // One end-of-line comment per line, and only on the line of the same path: anything else
    // goes above the line, so it never reads as a note on a different key.
    if (placement.kind === 'end-of-line' && found.exact && slot.endOfLine.length === 0) {
      slot.endOfLine.push(comment);
    } else if (placement.kind === 'after' && found.exact) {
      slot.after.push(comment);
    } else {
      slot.before.push({ ...comment, blankBefore: placement.kind === 'before' && comment.blankBefore });
    }
  }
  return placed;
}

/** Writes lines, never two blank ones in a row nor one at the start. */
class Lines {
  readonly lines: string[] = [];
  /** A blank line is owed before the next line that is not blank. */
  owesBlank = false;

  blank(): void {
    const last = this.lines.at(-1);
    if (last !== undefined && last !== '') this.lines.push('');
    this.owesBlank = false;
  }

  line(text: string): void {
    if (text === '' || this.owesBlank) this.blank();
    if (text !== '') this.lines.push(text);
  }

  /** A run of comments, blank lines between them kept (one at most), before the first if asked. */
  comments(run: readonly PlacedComment[], blankFirst: boolean): void {
    run.forEach((comment, index) => {
      if (comment.blankBefore && (index > 0 || blankFirst)) this.blank();
      this.line(comment.text);
    });
  }
}

function withValue(line: string, slot: Slot | undefined): string {
  const value = slot?.value;
  const text = value === undefined ? line : `${line.slice(0, value[0])}${value[2]}${line.slice(value[1])}`;
  const [comment] = slot?.endOfLine ?? [];
  return comment === undefined ? text : `${text} ${comment.text}`;
}

function render(canonical: string, placed: Placed): string {
  const out = new Lines();
  out.comments(placed.preamble, false);
  out.blank();
  canonical
    .replace(/\n$/, '')
    .split('\n')
    .forEach((line, index) => {
      const slot = placed.slots.get(index);
      if (slot !== undefined) out.comments(slot.before, true);
      out.line(withValue(line, slot));
      if (slot !== undefined && slot.after.length > 0) {
        out.comments(slot.after, false);
        // Without a blank line below them they would lead the next key when formatted again.
        out.owesBlank = true;
      }
    });
  out.blank();
  out.comments(placed.trailer, false);
  while (out.lines.at(-1) === '') out.lines.pop();
  return out.lines.length === 0 ? '' : `${out.lines.join('\n')}\n`;
}

/** `document` (parsed from `text`) as canonical TOML, with every comment of `text` kept. */
export function formatToml(text: string, document: AitwsDocument): string {
  const canonical = stringifyDocument(document);
  let source: AST.TOMLProgram;
  try {
    source = parseTomlTree(text);
  } catch (error) {
    throw new AitwsError('TOML_SYNTAX', `Cannot read the comments: ${String(error)}`, { cause: error });
  }
  if (source.comments.length === 0) return canonical;
  const layout = layoutOf(parseTomlTree(canonical));
  const placed = place(placeComments(source, text), layout, layoutOf(source), text);
  return render(canonical, placed);
}

function commentTexts(text: string): string[] {
  const program = parseTomlTree(text);
  return program.comments.map((comment) => text.slice(comment.range[0], comment.range[1]).trimEnd()).sort();
}

/**
 * The canonical form of an aiTWS file, or an error when it cannot be written without a change a
 * reader would notice: the formatted text must parse to the same document (so validation says the
 * same) within the same limits, and hold the same comments.
 */
export function formatDocumentText(text: string, limits: Limits): string {
  const document = parseDocument(text, limits);
  const formatted = formatToml(text, document);
  let reparsed: AitwsDocument;
  try {
    reparsed = parseDocument(formatted, limits);
  } catch (error) {
    if (error instanceof LimitError) {
      throw new LimitError(`Formatted, the file would be over a limit: ${error.message}`, error.hint);
    }
    throw error;
  }
  if (!isDeepStrictEqual(reparsed, document)) {
    throw new AitwsError('NOT_AVAILABLE', 'Formatting would change a value, so the file is left as it is.', {
      hint: 'The canonical writer spells -0.0 as 0, for one: write such a value as 0.0.',
    });
  }
  if (!isDeepStrictEqual(commentTexts(formatted), commentTexts(text))) {
    throw new AitwsError('NOT_AVAILABLE', 'Formatting would lose a comment, so the file is left as it is.');
  }
  return formatted;
}
