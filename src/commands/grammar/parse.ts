/**
 * `/command word word key=value ...`. The parser only finds where each value ends (respecting TOML
 * quoting and bracket nesting) and hands that text to smol-toml, so escaping and value syntax are
 * exactly TOML's. Its own checks run first so pathological input never reaches the TOML parser.
 */

import { DEFAULT_LIMITS, type TomlValue } from '../../document/types.js';
import { type AitwsError, LimitError } from '../../errors.js';
import type { Param, ParsedCommand } from '../types.js';
import { abbreviate, describePosition, isQuote, parseError, type ValueContext } from './shared.js';
import { bareWordValue, parseTomlValue, type TomlContext } from './values.js';

export const DEFAULT_MAX_COMMAND_LENGTH = 16 * 1024;

export interface ParseCommandOptions {
  /** Longest accepted command in UTF-16 code units; checked before anything else. */
  readonly maxLength?: number;
  /** Deepest accepted nesting of arrays and inline tables inside one value. */
  readonly maxDepth?: number;
}

export function parseCommandLine(text: string, options: ParseCommandOptions = {}): ParsedCommand {
  checkLength(text, options.maxLength ?? DEFAULT_MAX_COMMAND_LENGTH);
  rejectControlCharacters(text);
  if (text.trim() === '' || text.trim() === '/') {
    throw parseError(
      'Nothing to run: type a command, e.g. /help',
      'Commands start with a name: /help, /add, /show.',
    );
  }
  return new CommandParser(text, options.maxDepth ?? DEFAULT_LIMITS.nestingDepth).parse();
}

function checkLength(text: string, maxLength: number): void {
  if (text.length <= maxLength) return;
  throw new LimitError(
    `Command too long: ${text.length} characters (the limit is ${maxLength}).`,
    'Shorten it, or put large content in a file and /load it.',
  );
}

/**
 * Any C0/C1 control (Unicode category Cc) except tab and newline, which are whitespace or content of
 * multi-line strings. Refused up front so no invisible character reaches a stored document.
 */
const CONTROL_CHARACTER = /[^\P{Cc}\t\n]/u;

function rejectControlCharacters(text: string): void {
  const match = CONTROL_CHARACTER.exec(text);
  if (match === null) return;
  const code = `U+${(match[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  const name = code === 'U+0000' ? ' (NUL)' : '';
  throw parseError(
    `Control character ${code}${name} at ${describePosition(text, match.index)} is not allowed.`,
    'Remove it; it was probably pasted by accident. Inside "..." use escapes such as \\t or \\n.',
  );
}

const COMMAND_NAME = /^[a-z][a-z0-9_-]*$/;
/** Sticky, so a parameter is recognised only where a token starts. */
const KEY = /[A-Za-z_][A-Za-z0-9_.-]*/y;
const BLANK = /\s/;
/** Keys that would reach an object's prototype when a command handler assigns them. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `\s`, with ASCII (nearly every character of a command) decided without the regex. */
function isBlank(char: string | undefined): boolean {
  if (char === undefined) return false;
  const code = char.charCodeAt(0);
  if (code < 0x80) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  return BLANK.test(char);
}

class CommandParser {
  private readonly text: string;
  private readonly maxDepth: number;
  private pos = 0;

  constructor(text: string, maxDepth: number) {
    this.text = text;
    this.maxDepth = maxDepth;
  }

  parse(): ParsedCommand {
    const name = this.readCommandName();
    const positionals: string[] = [];
    const params: Param[] = [];
    for (this.skipBlanks(); this.pos < this.text.length; this.skipBlanks()) {
      const param = this.readParam();
      if (param === undefined) positionals.push(this.readPositional());
      else addParam(params, param);
    }
    return { name, positionals, params };
  }

  private readCommandName(): string {
    this.skipBlanks();
    if (this.text[this.pos] === '/') this.pos += 1;
    const word = this.readWord();
    const name = word.toLowerCase();
    if (COMMAND_NAME.test(name)) return name;
    throw parseError(
      `"${abbreviate(word)}" is not a command name.`,
      'Start with a command such as /help or /add, e.g. /add roles name="DataScientist".',
    );
  }

  /** Returns undefined, consuming nothing, when the token is not `key=value`. */
  private readParam(): Param | undefined {
    KEY.lastIndex = this.pos;
    const key = KEY.exec(this.text)?.[0];
    if (key === undefined) return undefined;
    const equals = this.skipBlanksFrom(this.pos + key.length);
    if (this.text[equals] !== '=') return undefined;
    checkKey(key, this.pos, this.text);
    const start = this.valueStart(key, equals + 1);
    const context: ValueContext = { label: key, start };
    const end = this.valueEnd(context);
    const raw = this.text.slice(start, end);
    this.pos = end;
    return { key, value: this.valueOf(raw, context), raw };
  }

  /** Allows `name = "x"`, but `name=` with nothing (or another parameter) after it is a mistake. */
  private valueStart(key: string, afterEquals: number): number {
    const start = this.skipBlanksFrom(afterEquals);
    if (start < this.text.length && (start === afterEquals || !this.paramStartsAt(start))) return start;
    throw parseError(
      `${key}: empty value — give one, or use quotes for empty text: ${key}="".`,
      `Write ${key}="text" or ${key}=42; spaces around = are fine.`,
    );
  }

  private paramStartsAt(index: number): boolean {
    KEY.lastIndex = index;
    const key = KEY.exec(this.text)?.[0];
    return key !== undefined && this.text[this.skipBlanksFrom(index + key.length)] === '=';
  }

  private valueEnd(context: ValueContext): number {
    const first = this.text[context.start];
    let end: number;
    if (isQuote(first)) end = scanString(this.text, context.start, context.label);
    else if (first === '[' || first === '{') end = scanNested(this.text, context, this.maxDepth);
    else end = this.wordEnd(context.start);
    this.expectSeparator(end, context.label);
    return end;
  }

  private valueOf(raw: string, context: ValueContext): TomlValue {
    const first = raw[0];
    if (isQuote(first) || first === '[' || first === '{') {
      return parseTomlValue(raw, this.tomlContext(context));
    }
    return bareWordValue(raw, context.label);
  }

  /** Built field by field: on Node 20 a spread with extra properties costs microseconds per value. */
  private tomlContext({ label, start }: ValueContext): TomlContext {
    return { label, start, text: this.text, maxDepth: this.maxDepth };
  }

  private readPositional(): string {
    if (!isQuote(this.text[this.pos])) return this.readBarePositional();
    const context: ValueContext = { label: 'quoted word', start: this.pos };
    const end = scanString(this.text, this.pos, context.label);
    if (this.text[end] === '=') {
      throw parseError(
        `Parameter names are written without quotes (at ${describePosition(this.text, this.pos)}).`,
        'Write name="value", not "name"="value".',
      );
    }
    this.expectSeparator(end, context.label);
    const raw = this.text.slice(this.pos, end);
    this.pos = end;
    return String(parseTomlValue(raw, this.tomlContext(context)));
  }

  private readBarePositional(): string {
    const start = this.pos;
    const word = this.readWord();
    const equals = word.indexOf('=');
    if (equals === -1) return word;
    const key = word.slice(0, equals);
    throw parseError(
      key === ''
        ? `A parameter name is missing before "=" at ${describePosition(this.text, start)}.`
        : `"${abbreviate(key)}" is not a valid parameter name.`,
      'Names start with a letter or _ and use letters, digits, _ . - only, e.g. access_role="Admin".',
    );
  }

  /** A value must end at whitespace: `name="a"b` is almost always a missing space or quote. */
  private expectSeparator(end: number, label: string): void {
    const next = this.text[end];
    if (next === undefined || isBlank(next)) return;
    throw parseError(
      `${label}: unexpected "${next}" right after the value at ${describePosition(this.text, end)}.`,
      'Leave a space before the next parameter, or put the whole value in quotes.',
    );
  }

  private readWord(): string {
    const start = this.pos;
    this.pos = this.wordEnd(start);
    return this.text.slice(start, this.pos);
  }

  private wordEnd(index: number): number {
    let end = index;
    while (end < this.text.length && !isBlank(this.text[end])) end += 1;
    return end;
  }

  private skipBlanks(): void {
    this.pos = this.skipBlanksFrom(this.pos);
  }

  private skipBlanksFrom(index: number): number {
    let end = index;
    while (isBlank(this.text[end])) end += 1;
    return end;
  }
}

function addParam(params: Param[], param: Param): void {
  if (params.some((existing) => existing.key === param.key)) {
    throw parseError(
      `${param.key} given twice in one command.`,
      `Keep one ${param.key}=...; to set several values use an array: ${param.key}=["a", "b"].`,
    );
  }
  params.push(param);
}

function checkKey(key: string, start: number, text: string): void {
  const parts = key.split('.');
  if (parts.some((part) => part === '')) {
    throw parseError(
      `${key}: empty part in the parameter name at ${describePosition(text, start)}.`,
      'Dotted names need a name on each side of every dot, e.g. metadata.name="X".',
    );
  }
  const unsafe = parts.find((part) => UNSAFE_KEYS.has(part));
  if (unsafe !== undefined) {
    throw parseError(`"${unsafe}" can't be used as a parameter name.`, 'Rename the parameter.');
  }
}

// ---- scanning: find where a value ends without interpreting it ----

/** Returns the index just past the closing quote; handles all four TOML string kinds. */
function scanString(text: string, start: number, label: string): number {
  const quote = text.charAt(start);
  const triple = quote.repeat(3);
  const end = text.startsWith(triple, start)
    ? scanMultiLineString(text, start, triple)
    : scanOneLineString(text, start, quote);
  if (end !== -1) return end;
  const delimiter = text.startsWith(triple, start) ? triple : quote;
  throw parseError(
    `${label}: unclosed quote starting at ${describePosition(text, start)} — add the missing ${delimiter}.`,
    `Quotes come in pairs: ${label === 'quoted word' ? '"Data Scientist"' : `${label}="Data Scientist"`}.`,
  );
}

function scanOneLineString(text: string, start: number, quote: string): number {
  const escapes = quote === '"';
  for (let index = start + 1; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\n') return -1;
    if (char === quote) return index + 1;
    if (escapes && char === '\\') index += 1;
  }
  return -1;
}

function scanMultiLineString(text: string, start: number, triple: string): number {
  const escapes = triple === '"""';
  for (let index = start + 3; index < text.length; index += 1) {
    if (escapes && text[index] === '\\') index += 1;
    else if (text.startsWith(triple, index)) return extendClosingQuotes(text, index + 3, triple.charAt(0));
  }
  return -1;
}

/** TOML lets up to two quote characters sit right before the closing delimiter: `"""a""""`. */
function extendClosingQuotes(text: string, end: number, quote: string): number {
  let extended = end;
  while (extended < end + 2 && text[extended] === quote) extended += 1;
  return extended;
}

const CLOSER: Readonly<Record<string, string>> = { '[': ']', '{': '}' };

/** Walks brackets with a stack, so depth is refused before smol-toml ever recurses into it. */
function scanNested(text: string, context: ValueContext, maxDepth: number): number {
  const open: number[] = [];
  let index = context.start;
  while (index < text.length) {
    const char = text.charAt(index);
    if (char === '[' || char === '{') {
      open.push(index);
      if (open.length > maxDepth) throw depthError(context.label, maxDepth);
    } else if (char === ']' || char === '}') {
      closeBracket(text, open, index, context.label);
      if (open.length === 0) return index + 1;
    } else if (isQuote(char)) {
      index = scanString(text, index, context.label) - 1;
    } else if (char === '#') {
      index = skipComment(text, index, context.label) - 1;
    }
    index += 1;
  }
  throw unclosedError(text, open, context.label);
}

function closeBracket(text: string, open: number[], index: number, label: string): void {
  const opener = open.pop();
  const expected = opener === undefined ? undefined : CLOSER[text.charAt(opener)];
  if (expected === text.charAt(index)) return;
  throw parseError(
    `${label}: unbalanced brackets, found ${text.charAt(index)} at ${describePosition(text, index)} where ${expected} was expected.`,
    'Every [ needs a matching ] and every { a matching }.',
  );
}

/**
 * `#` starts a TOML comment inside a multi-line array, and a bracket in it must not count. On the
 * last line it would swallow the closing bracket, and it is far more likely an unquoted `#channel`.
 */
function skipComment(text: string, index: number, label: string): number {
  const newline = text.indexOf('\n', index);
  if (newline !== -1) return newline;
  throw parseError(
    `${label}: "#" at ${describePosition(text, index)} starts a comment that hides the rest of the value.`,
    `Quote text that contains #, e.g. ${label}=["#general"].`,
  );
}

function unclosedError(text: string, open: readonly number[], label: string): AitwsError {
  const outer = open[0] ?? 0;
  const kind = text.charAt(outer) === '[' ? 'array' : 'inline table';
  const missing = open
    .map((index) => CLOSER[text.charAt(index)] ?? '')
    .reverse()
    .join('');
  return parseError(
    `${label}: unclosed ${kind} starting at ${describePosition(text, outer)} — add the missing ${missing}.`,
    kind === 'array'
      ? `Arrays look like ${label}=["read", "execute"].`
      : `Inline tables look like ${label}={k = "v", n = 1}.`,
  );
}

function depthError(label: string, maxDepth: number): LimitError {
  return new LimitError(
    `${label}: value nested more than ${maxDepth} levels deep.`,
    'Flatten the value, or split it into several parameters.',
  );
}
