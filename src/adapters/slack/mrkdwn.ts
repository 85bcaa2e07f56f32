/**
 * Text that goes into Slack mrkdwn. Everything a person or a document supplied is escaped, so
 * `<!channel>`, `<@U…>` or `<https://evil|docs>` in a value shows as text and never pings or links.
 */

/** Slack's own limit for a section's text. */
export const SECTION_TEXT_LIMIT = 3000;

export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapedLength(char: string): number {
  if (char === '&') return 5;
  return char === '<' || char === '>' ? 4 : char.length;
}

/**
 * Splits raw text into pieces whose escaped form fits `limit`, at line breaks where it can and
 * never inside a character or an entity. Returns escaped pieces.
 */
export function escapeInChunks(text: string, limit: number): string[] {
  const chunks: string[] = [];
  let current = '';
  let size = 0;
  const flush = (): void => {
    if (current.length > 0) chunks.push(current);
    current = '';
    size = 0;
  };
  for (const line of text.split('\n')) {
    const escaped = escapeText(line);
    const separator = current.length > 0 ? 1 : 0;
    if (size + separator + escaped.length <= limit) {
      current += (separator === 1 ? '\n' : '') + escaped;
      size += separator + escaped.length;
      continue;
    }
    flush();
    if (escaped.length <= limit) {
      current = escaped;
      size = escaped.length;
      continue;
    }
    for (const char of line) {
      const length = escapedLength(char);
      if (size + length > limit) flush();
      current += escapeText(char);
      size += length;
    }
  }
  flush();
  return chunks;
}

const FENCE = '```';

/**
 * A code block. A fence inside the code would end the block early and let the rest render as
 * markup, so backtick runs are broken with a zero-width space.
 */
export function codeBlock(code: string): string {
  const body = escapeText(code.replace(/\n$/, '')).replace(/`(?=``)/g, '`\u200b');
  return `${FENCE}\n${body}\n${FENCE}`;
}

/**
 * The help and error texts speak the console's `/add …`; in Slack every command lives under one
 * slash command, so `/add` reads `/aitws add`.
 */
export function slackCommandWording(
  text: string,
  commandNames: readonly string[],
  slashCommand: string,
): string {
  if (commandNames.length === 0 || !text.includes('/')) return text;
  return text.replace(commandPattern(commandNames), `$1${slashCommand} $2`);
}

const patterns = new Map<string, RegExp>();

function commandPattern(commandNames: readonly string[]): RegExp {
  const names = commandNames.map((name) => name.replace(/[^a-z0-9_-]/gi, '')).join('|');
  let pattern = patterns.get(names);
  if (pattern === undefined) {
    pattern = new RegExp(`(^|[\\s(\`"'“‘\\[])/(${names})(?=$|[\\s\`"'”’.,;:!?)\\]…])`, 'g');
    patterns.set(names, pattern);
  }
  return pattern;
}

/** The first `max` characters of an escaped text, cut at a character, not inside an entity. */
export function truncateEscaped(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return `${cut}…`;
}
