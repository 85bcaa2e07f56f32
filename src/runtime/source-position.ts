/**
 * Positions in a condition's or a template's source, for error messages a person can act on
 * (shared by conditions.ts and templates.ts).
 */

/** 1-based line and column (columns count characters, not UTF-16 units); offset is 0-based. */
export interface SourcePosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** Where `offset` falls in `text`, for messages a person can act on. */
export function positionAt(text: string, offset: number): SourcePosition {
  const clamped = Math.max(0, Math.min(offset, text.length));
  const before = text.slice(0, clamped);
  const lineStart = before.lastIndexOf('\n') + 1;
  const line = before.split('\n').length;
  const column = Array.from(before.slice(lineStart)).length + 1;
  return { offset: clamped, line, column };
}

/** `line 2: the text of that line` (shortened around the column), for an error's details. */
export function excerptAt(text: string, position: SourcePosition): string {
  const lines = text.split('\n');
  const lineText = lines[position.line - 1] ?? '';
  const characters = Array.from(lineText);
  const from = Math.max(0, position.column - 41);
  const shown = characters.slice(from, from + 80).join('');
  const prefix = from > 0 ? '…' : '';
  const suffix = from + 80 < characters.length ? '…' : '';
  return `line ${position.line}: ${prefix}${shown}${suffix}`;
}
