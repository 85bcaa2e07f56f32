/** The few ANSI styles the console uses, added only after the text itself was made inert. */

const CODES = {
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
} as const;

const RESET = '\u001b[0m';

export type Colour = keyof typeof CODES;

/**
 * `text` in `colour`, each line on its own: a style left open across a newline would bleed into
 * the prompt or into whatever the terminal prints next.
 */
export function paint(text: string, colour: Colour | undefined, enabled: boolean): string {
  if (!enabled || colour === undefined || text === '') return text;
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `${CODES[colour]}${line}${RESET}`))
    .join('\n');
}
