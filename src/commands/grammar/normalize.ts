/**
 * Undo what chat clients do to a typed command before the grammar sees it. Every step is linear in
 * the input length: a 1 MiB message must reach the parser's length check without delay.
 */

const LINE_BREAKS = /\r\n?|[\u0085\u2028\u2029]/g;
const UNICODE_SPACES = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
/** Invisible characters that clients insert and that would otherwise split or glue words unseen. */
const ZERO_WIDTH = /[\u200B\u2060\uFEFF]/g;

export function normalizeChatText(text: string): string {
  const plain = text.replace(LINE_BREAKS, '\n').replace(UNICODE_SPACES, ' ').replace(ZERO_WIDTH, '');
  const unwrapped = stripCodeWrapping(plain.trim());
  // Slack escapes a typed `<` as `&lt;`, so markup must go before entities or typed text turns into links.
  const unescaped = decodeSlackEntities(replaceSlackMarkup(unwrapped));
  return straightenQuotes(unescaped).trim();
}

const FENCE = '```';
/** Only well-known tags: the first word after a fence could otherwise be the command itself. */
const FENCE_LANGUAGES = new Set([
  'text',
  'txt',
  'plaintext',
  'toml',
  'ini',
  'sh',
  'bash',
  'shell',
  'console',
]);

function stripCodeWrapping(text: string): string {
  if (text.length >= 2 * FENCE.length && text.startsWith(FENCE) && text.endsWith(FENCE)) {
    return stripFenceLanguage(text.slice(FENCE.length, -FENCE.length)).trim();
  }
  const body = text.startsWith(FENCE) ? stripFenceLanguage(text.slice(FENCE.length)) : text;
  const unfenced = body.endsWith(FENCE) ? body.slice(0, -FENCE.length) : body;
  if (unfenced !== text && !unfenced.includes(FENCE)) return unfenced.trim();
  return stripInlineBackticks(text);
}

function stripFenceLanguage(body: string): string {
  const newline = body.indexOf('\n');
  if (newline <= 0) return body;
  const tag = body.slice(0, newline).trim().toLowerCase();
  return FENCE_LANGUAGES.has(tag) ? body.slice(newline + 1) : body;
}

function stripInlineBackticks(text: string): string {
  const ticks = text.startsWith('``') ? '``' : '`';
  if (text.length <= 2 * ticks.length || !text.startsWith(ticks) || !text.endsWith(ticks)) return text;
  const inner = text.slice(ticks.length, -ticks.length);
  // `a` b `c` is two code spans, not one wrapping the command.
  return inner.includes(ticks) ? text : inner.trim();
}

/** `<target>` or `<target|label>`; the sigil tells mentions (`@`, `#`, `!`) from links. */
const SLACK_MARKUP = /<([@#!]?)([^<>|\s]+)(?:\|([^<>]*))?>/g;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const MENTION_LABEL = /^[\p{L}\p{N}_.-]{1,80}$/u;

function replaceSlackMarkup(text: string): string {
  return text.replace(SLACK_MARKUP, (whole, sigil: string, target: string, label: string | undefined) => {
    switch (sigil) {
      case '@':
        // The id, not the display name: it is what identifies a person in /grant and the audit log.
        // Kept as a mention, so /grant can tell a person picked in the client from an id typed by hand;
        // Slack's label (their handle) goes along when it is one word, so /grant can show a name.
        return label !== undefined && MENTION_LABEL.test(label) ? `<@${target}|${label}>` : `<@${target}>`;
      case '#':
        return `#${label ?? target}`;
      case '!':
        return label ?? `@${target}`;
      default:
        return slackLinkTarget(whole, target);
    }
  });
}

function slackLinkTarget(whole: string, target: string): string {
  if (!URL_SCHEME.test(target)) return whole;
  return target.toLowerCase().startsWith('mailto:') ? target.slice('mailto:'.length) : target;
}

const SLACK_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>' };

function decodeSlackEntities(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (whole, name: string) => SLACK_ENTITIES[name] ?? whole);
}

const ANY_CURLY = /[“”„‟‘’‚‛]/;
/** A quote right after one of these starts a value; elsewhere it is an apostrophe or an inch mark. */
const OPENS_AFTER = ' \t\n=[{,';
const CLOSES_BEFORE = ' \t\n,]}';
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const BACKSLASH = 0x5c;
/** ‘ ’ ‚ ‛ and “ ” „ ‟ are two consecutive code point ranges. */
const isCurlySingle = (code: number): boolean => code >= 0x2018 && code <= 0x201b;
const isCurlyDouble = (code: number): boolean => code >= 0x201c && code <= 0x201f;

type QuoteState =
  | 'outside'
  | 'basic'
  | 'literal'
  | 'multiBasic'
  | 'multiLiteral'
  | 'curlyDouble'
  | 'curlySingle';

/**
 * Curly quotes become straight only where they delimit a value, so a typographic apostrophe or a
 * curly quote inside a straight-quoted string is left as typed. Tracking TOML's own string states
 * keeps quote characters inside strings from being mistaken for delimiters.
 */
function straightenQuotes(text: string): string {
  return ANY_CURLY.test(text) ? new QuoteStraightener(text).run() : text;
}

/** One pass over char codes with no per-character allocation: a 1 MiB message costs milliseconds. */
class QuoteStraightener {
  private readonly text: string;
  private readonly parts: string[] = [];
  private copied = 0;
  private state: QuoteState = 'outside';

  constructor(text: string) {
    this.text = text;
  }

  run(): string {
    let index = 0;
    while (index < this.text.length) index = this.step(index, this.text.charCodeAt(index));
    this.parts.push(this.text.slice(this.copied));
    return this.parts.join('');
  }

  /** Handles the character at `index`; returns where to continue. */
  private step(index: number, code: number): number {
    switch (this.state) {
      case 'outside':
        return this.outside(index, code);
      case 'basic':
        return this.inString(index, code, '"', true);
      case 'multiBasic':
        return this.inString(index, code, '"""', true);
      case 'literal':
        return this.inString(index, code, "'", false);
      case 'multiLiteral':
        return this.inString(index, code, "'''", false);
      case 'curlyDouble':
        return this.inCurlyDouble(index, code);
      case 'curlySingle':
        return this.inCurlySingle(index, code);
    }
  }

  private outside(index: number, code: number): number {
    const quote =
      code === DOUBLE_QUOTE || code === SINGLE_QUOTE || isCurlyDouble(code) || isCurlySingle(code);
    if (!quote || (index > 0 && !OPENS_AFTER.includes(this.text.charAt(index - 1)))) return index + 1;
    if (isCurlyDouble(code)) return this.replace(index, '"', 'curlyDouble');
    if (isCurlySingle(code)) return this.replace(index, "'", 'curlySingle');
    const double = code === DOUBLE_QUOTE;
    if (this.text.startsWith(double ? '"""' : "'''", index)) {
      this.state = double ? 'multiBasic' : 'multiLiteral';
      return index + 3;
    }
    this.state = double ? 'basic' : 'literal';
    return index + 1;
  }

  private inString(index: number, code: number, closer: string, escapes: boolean): number {
    if (escapes && code === BACKSLASH) return index + 2;
    if (code !== closer.charCodeAt(0) || !this.text.startsWith(closer, index)) return index + 1;
    this.state = 'outside';
    return index + closer.length;
  }

  private inCurlyDouble(index: number, code: number): number {
    if (isCurlyDouble(code)) return this.replace(index, '"', 'outside');
    // The string is emitted with straight delimiters, so a straight quote inside it is content.
    if (code === DOUBLE_QUOTE) return this.replace(index, '\\"', 'curlyDouble');
    return index + 1;
  }

  private inCurlySingle(index: number, code: number): number {
    // charAt past the end is '', which includes() accepts: the end of the text closes the string too.
    if (!isCurlySingle(code) || !CLOSES_BEFORE.includes(this.text.charAt(index + 1))) return index + 1;
    return this.replace(index, "'", 'outside');
  }

  /** Swaps the one character at `index` for `replacement` and moves to `state`. */
  private replace(index: number, replacement: string, state: QuoteState): number {
    this.parts.push(this.text.slice(this.copied, index), replacement);
    this.copied = index + 1;
    this.state = state;
    return index + 1;
  }
}
