/**
 * Colour for the code blocks of a reply: TOML (/show, /save's preview) and unified diffs (/diff).
 * Both take text already made inert, so the only escape sequences in what they return are ours.
 */
import { type Colour, paint } from './ansi.js';

/** Removed lines red, added green, hunk headers cyan, file headers bold. */
export function highlightDiff(diff: string, colour: boolean): string {
  return diff
    .split('\n')
    .map((line) => paint(line, diffColour(line), colour))
    .join('\n');
}

function diffColour(line: string): Colour | undefined {
  if (line.startsWith('+++') || line.startsWith('---')) return 'bold';
  if (line.startsWith('@@')) return 'cyan';
  if (line.startsWith('+')) return 'green';
  if (line.startsWith('-')) return 'red';
  return undefined;
}

type Token = 'header' | 'key' | 'string' | 'literal' | 'comment' | 'plain';

const TOKEN_COLOUR: Readonly<Record<Token, Colour | undefined>> = {
  header: 'bold',
  key: 'cyan',
  string: 'green',
  literal: 'yellow',
  comment: 'dim',
  plain: undefined,
};

/** Tried in order at each position; the sticky flag anchors each at that position. */
const PATTERNS: readonly { readonly kind: 'string' | 'comment' | 'space' | 'word'; readonly re: RegExp }[] = [
  { kind: 'space', re: /[ \t]+/y },
  { kind: 'comment', re: /#[^\n]*/y },
  { kind: 'string', re: /"""[\s\S]*?"{3,5}|'''[\s\S]*?'{3,5}/y },
  { kind: 'string', re: /"(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?/y },
  { kind: 'word', re: /[A-Za-z0-9_+\-:.]+/y },
];

const HEADER = /\[\[?(?:"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\]\n])*\]\]?/y;

/** What the scanner knows at a position: inside which brackets, and whether a key comes next. */
interface ScanState {
  readonly brackets: string[];
  expectKey: boolean;
  lineStart: boolean;
}

function matchAt(re: RegExp, source: string, position: number): string | undefined {
  re.lastIndex = position;
  return re.exec(source)?.[0];
}

/** Brackets, `=`, `,` and newlines steer whether the next word is a key or a value. */
function punctuation(character: string, state: ScanState): void {
  const { brackets } = state;
  if (character === '\n') {
    if (brackets.length === 0) state.expectKey = true;
    state.lineStart = true;
    return;
  }
  if (character === '=') state.expectKey = false;
  else if (character === '{') {
    brackets.push('{');
    state.expectKey = true;
  } else if (character === '[') {
    brackets.push('[');
    state.expectKey = false;
  } else if (character === '}' || character === ']') {
    brackets.pop();
    state.expectKey = false;
  } else if (character === ',') state.expectKey = brackets.at(-1) === '{';
  state.lineStart = false;
}

/** The next token at `position` and its kind; punctuation updates `state`. */
function nextToken(source: string, position: number, state: ScanState): [string, Token] {
  if (state.lineStart && state.brackets.length === 0) {
    const header = matchAt(HEADER, source, position);
    if (header !== undefined) return [header, 'header'];
  }
  for (const { kind, re } of PATTERNS) {
    const text = matchAt(re, source, position);
    if (text === undefined || text === '') continue;
    if (kind === 'space') return [text, 'plain'];
    state.lineStart = false;
    if (kind === 'comment') return [text, 'comment'];
    if (state.expectKey) return [text, 'key'];
    return [text, kind === 'string' ? 'string' : 'literal'];
  }
  const character = source.charAt(position);
  punctuation(character, state);
  return [character, 'plain'];
}

/** Table headers bold, keys cyan, strings green, numbers, booleans and dates yellow, comments dim. */
export function highlightToml(source: string, colour: boolean): string {
  if (!colour) return source;
  const state: ScanState = { brackets: [], expectKey: true, lineStart: true };
  let out = '';
  let position = 0;
  while (position < source.length) {
    const [text, token] = nextToken(source, position, state);
    out += paint(text, TOKEN_COLOUR[token], true);
    position += text.length;
  }
  return out;
}
