/**
 * Text that reaches a terminal, a CI log or a JSON reader must not act on it: an escaped control
 * character in a value (`"\u001b]0;…\u0007"`) would otherwise retitle or rewrite a person's
 * terminal, a bidi override would make a line read differently from what it is, and U+2028/U+2029
 * end a line for some JSON readers.
 */

/**
 * Controls (Unicode's Cc: C0, DEL and C1) bar tab and newline, bidi marks, overrides and isolates,
 * and the line and paragraph separators.
 */
const UNSAFE = /(?![\t\n])[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/gu;

/** The same characters, for a yes/no test (a global pattern would carry its position between calls). */
const UNSAFE_ANY = new RegExp(UNSAFE.source, 'u');

/** Whether a name or key holds a character that cannot be shown as it is. */
export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE_ANY.test(text);
}

function escaped(character: string): string {
  return `\\u{${(character.codePointAt(0) ?? 0).toString(16)}}`;
}

/** `text` with every unsafe character written as a visible `\u{…}` escape. */
export function inert(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/** JSON text whose every line is one record for any reader: U+2028, U+2029 and U+0085 escaped. */
export function jsonLineSafe(json: string): string {
  return json.replace(
    /[\u2028\u2029\u0085]/g,
    (character) => `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}
