/** What the grammar's parts share: the value being read, and how errors name positions. */
import { AitwsError } from '../../errors.js';

export interface ValueContext {
  /** What messages call the value: the parameter name, or "quoted word". */
  readonly label: string;
  readonly start: number;
}

export const isQuote = (char: string | undefined): boolean => char === '"' || char === "'";

export function parseError(message: string, hint: string): AitwsError {
  return new AitwsError('PARSE', message, { hint });
}

/** "column 12" for the usual one-line command, "line 2, column 3" once it spans lines. */
export function describePosition(text: string, index: number): string {
  const before = text.slice(0, index);
  const lineStart = before.lastIndexOf('\n') + 1;
  const column = index - lineStart + 1;
  if (lineStart === 0) return `column ${column}`;
  return `line ${before.split('\n').length}, column ${column}`;
}

export function abbreviate(word: string): string {
  return word.length > 30 ? `${word.slice(0, 27)}...` : word;
}

/** The command name a line starts with (`/add roles …` → `add`), lower-cased; undefined if none. */
export function commandNameOf(text: string): string | undefined {
  return /^\s*\/?([A-Za-z][A-Za-z0-9_-]*)/.exec(text)?.[1]?.toLowerCase();
}
