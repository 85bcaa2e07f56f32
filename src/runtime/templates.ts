/**
 * `{{ … }}` templates in workflow fields: `{{ inputs.x }}`, `{{ steps.A.output.items[0] }}`,
 * `{{ run.id }}`. A template is parsed once (at submit/approval time, so pre-flight can refuse a
 * malformed one and check the steps it names) and rendered when an action runs.
 *
 * Grammar (whitespace is allowed just inside the braces, not within the path):
 *   placeholder = "{{" path "}}"
 *   path        = root segment+        root = "inputs" | "steps" | "run"
 *   segment     = "." name | "[" digits "]" | "[" quoted "]"
 *   name        = a letter or "_", then letters, digits, "_" or "-"   (`steps.fine-tune.output`)
 *   quoted      = "…" or '…' with \\ \" \' escapes                   (`steps["Train model"]`)
 * A backslash right before `{{` makes it literal text (`\{{ x }}` renders `{{ x }}`); there is no way
 * to put a literal backslash immediately before a placeholder, which no workflow needs so far.
 *
 * Safety: values are read from own data properties only (`Object.hasOwn` semantics, getters are
 * never run), and `__proto__`, `constructor` and `prototype` are refused at parse time, so a
 * template can neither read nor reach anything inherited. Output, path length and JSON nesting are
 * capped (TEMPLATE_LIMITS).
 */
import { AitwsError, LimitError } from '../errors.js';

export const TEMPLATE_LIMITS = Object.freeze({
  /** Characters in a template's source. */
  maxSourceLength: 1024 * 1024,
  /** UTF-8 bytes a rendered template may produce; a larger one is refused, never truncated. */
  maxOutputBytes: 1024 * 1024,
  /** Segments after the root in one path. */
  maxPathSegments: 32,
  /** Object/array nesting when a value is rendered as JSON. */
  maxJsonDepth: 64,
  /** Digits in an array index. */
  maxIndexDigits: 9,
});

/** What a condition or a template can read while a workflow runs. */
export interface RuntimeContext {
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly steps: Readonly<Record<string, unknown>>;
  readonly run: Readonly<Record<string, unknown>>;
}

export type TemplateRoot = keyof RuntimeContext;
export type PathSegment = string | number;

/** 1-based line and column (columns count characters, not UTF-16 units); offset is 0-based. */
export interface SourcePosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

export interface TemplatePath {
  readonly root: TemplateRoot;
  readonly segments: readonly PathSegment[];
  /** The path written canonically: `steps.A.output.items[0]`, `inputs["a b"]`. */
  readonly text: string;
}

export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly path: TemplatePath; readonly position: SourcePosition };

export interface TemplateReferences {
  /** Step names, in order of first use. */
  readonly steps: string[];
  /** Top-level input names, in order of first use. */
  readonly inputs: string[];
}

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
  references(): TemplateReferences;
}

/** A template that is malformed or cannot be resolved; `message` is safe to show a chat user. */
export class TemplateError extends AitwsError {
  readonly position: SourcePosition | undefined;
  readonly path: string | undefined;
  constructor(
    message: string,
    options: { position?: SourcePosition; path?: string; hint?: string; details?: readonly string[] } = {},
  ) {
    super('VALIDATION', message, {
      ...(options.hint === undefined ? {} : { hint: options.hint }),
      ...(options.details === undefined ? {} : { details: options.details }),
    });
    this.name = 'TemplateError';
    this.position = options.position;
    this.path = options.path;
  }
}

const ROOTS: readonly TemplateRoot[] = ['inputs', 'steps', 'run'];
/** Keys that lead to an object's prototype machinery rather than its data. */
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const NAME = /[\p{L}_][\p{L}\p{M}\p{N}_-]*/uy;
const DIGITS = /[0-9]+/y;
const SPACE = /[ \t\r\n]*/y;

// ---------------------------------------------------------------------------------------------
// Positions (shared with conditions.ts)

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

// ---------------------------------------------------------------------------------------------
// Parsing

/** Parses `text`; throws TemplateError (with line and column) when it is malformed. */
export function parseTemplate(text: string): Template {
  if (text.length > TEMPLATE_LIMITS.maxSourceLength) {
    throw new LimitError(`A template is at most ${TEMPLATE_LIMITS.maxSourceLength} characters long.`);
  }
  const parts = splitParts(text);
  return {
    source: text,
    parts,
    references: () => collectReferences(parts),
  };
}

function splitParts(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let cursor = 0;
  while (cursor < text.length) {
    const open = text.indexOf('{{', cursor);
    if (open === -1) {
      literal += text.slice(cursor);
      break;
    }
    if (open > cursor && text[open - 1] === '\\') {
      // `\{{` is a literal `{{`: drop the backslash, keep the braces as text.
      literal += `${text.slice(cursor, open - 1)}{{`;
      cursor = open + 2;
      continue;
    }
    literal += text.slice(cursor, open);
    if (literal !== '') parts.push({ kind: 'text', text: literal });
    literal = '';
    const placeholder = parsePlaceholder(text, open);
    parts.push({ kind: 'value', path: placeholder.path, position: positionAt(text, open) });
    cursor = placeholder.end;
  }
  if (literal !== '') parts.push({ kind: 'text', text: literal });
  return parts;
}

/** Reads `{{ path }}` starting at `open` (the first brace); returns the path and the offset after it. */
function parsePlaceholder(text: string, open: number): { path: TemplatePath; end: number } {
  if (text.indexOf('}}', open + 2) === -1) {
    throw syntaxError(text, open, '"{{" is never closed', 'a closing "}}"');
  }
  let at = skipSpace(text, open + 2);
  if (text.startsWith('}}', at)) {
    throw syntaxError(text, at, 'the placeholder is empty', 'a path such as inputs.name or steps.A.output');
  }
  const root = readRoot(text, at);
  at += root.length;
  const segments: PathSegment[] = [];
  while (text[at] === '.' || text[at] === '[') {
    const segment = text[at] === '.' ? readDotted(text, at) : readBracketed(text, at);
    checkSegment(text, at + 1, root, segments.length, segment.value);
    segments.push(segment.value);
    at = segment.end;
  }
  if (segments.length === 0) {
    throw syntaxError(text, at, `"${root}" needs a name after it`, `${root}.NAME`);
  }
  at = skipSpace(text, at);
  if (!text.startsWith('}}', at)) {
    throw syntaxError(text, at, `unexpected ${describeCharacter(text, at)}`, '".", "[" or "}}"');
  }
  return { path: makePath(root, segments), end: at + 2 };
}

function readRoot(text: string, at: number): TemplateRoot {
  const name = matchAt(NAME, text, at);
  if (name === undefined) {
    throw syntaxError(text, at, `unexpected ${describeCharacter(text, at)}`, 'inputs, steps or run');
  }
  const root = ROOTS.find((candidate) => candidate === name);
  if (root === undefined) {
    throw syntaxError(text, at, `unknown name "${name}"`, 'inputs, steps or run');
  }
  return root;
}

function readDotted(text: string, dot: number): { value: string; end: number } {
  const name = matchAt(NAME, text, dot + 1);
  if (name === undefined) {
    throw syntaxError(text, dot + 1, `unexpected ${describeCharacter(text, dot + 1)} after "."`, 'a name');
  }
  return { value: name, end: dot + 1 + name.length };
}

function readBracketed(text: string, bracket: number): { value: PathSegment; end: number } {
  const inner = bracket + 1;
  const quote = text[inner];
  const read = quote === '"' || quote === "'" ? readQuoted(text, inner, quote) : readIndex(text, inner);
  if (text[read.end] !== ']') {
    throw syntaxError(text, read.end, `unexpected ${describeCharacter(text, read.end)}`, '"]"');
  }
  return { value: read.value, end: read.end + 1 };
}

function readIndex(text: string, at: number): { value: number; end: number } {
  const digits = matchAt(DIGITS, text, at);
  if (digits === undefined) {
    throw syntaxError(
      text,
      at,
      `unexpected ${describeCharacter(text, at)} after "["`,
      'an index or a quoted name',
    );
  }
  if (digits.length > TEMPLATE_LIMITS.maxIndexDigits) {
    throw syntaxError(text, at, 'the index is too large', `at most ${TEMPLATE_LIMITS.maxIndexDigits} digits`);
  }
  return { value: Number(digits), end: at + digits.length };
}

/** A quoted name: `"Train model"` or `'a-b'`; only \\, \" and \' are escapes. */
function readQuoted(text: string, open: number, quote: string): { value: string; end: number } {
  let value = '';
  let at = open + 1;
  while (at < text.length && text[at] !== quote) {
    if (text[at] === '\\') {
      const escaped = text[at + 1];
      if (escaped !== '\\' && escaped !== '"' && escaped !== "'") {
        throw syntaxError(text, at, 'unsupported escape in a quoted name', '\\\\, \\" or \\\'');
      }
      value += escaped;
      at += 2;
    } else {
      value += text[at];
      at += 1;
    }
  }
  if (at >= text.length)
    throw syntaxError(text, open, 'the quoted name is never closed', `a closing ${quote}`);
  if (value === '') throw syntaxError(text, open, 'the quoted name is empty', 'a name');
  return { value, end: at + 1 };
}

/** Refuses prototype keys, over-long paths, and roots whose first segment is not a name. */
function checkSegment(
  text: string,
  at: number,
  root: TemplateRoot,
  index: number,
  segment: PathSegment,
): void {
  if (typeof segment === 'string' && FORBIDDEN_SEGMENTS.has(segment)) {
    throw syntaxError(text, at, `"${segment}" cannot be read in a template`, 'a data key');
  }
  if (index === 0 && typeof segment === 'number') {
    throw syntaxError(text, at, `"${root}" is read by name, not by index`, `${root}.NAME`);
  }
  if (index >= TEMPLATE_LIMITS.maxPathSegments) {
    throw syntaxError(text, at, 'the path is too long', `at most ${TEMPLATE_LIMITS.maxPathSegments} parts`);
  }
}

function makePath(root: TemplateRoot, segments: readonly PathSegment[]): TemplatePath {
  return { root, segments, text: pathText(root, segments) };
}

/** Canonical spelling of a path (or of its first `count` segments), for messages. */
function pathText(root: TemplateRoot, segments: readonly PathSegment[], count = segments.length): string {
  let text: string = root;
  for (const segment of segments.slice(0, count)) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (isFullName(segment)) text += `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

function isFullName(segment: string): boolean {
  return matchAt(NAME, segment, 0) === segment;
}

/** The text `pattern` (a sticky regex) matches exactly at `at`, if any. */
function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  const match = pattern.exec(text);
  return match === null || match[0] === '' ? undefined : match[0];
}

function skipSpace(text: string, at: number): number {
  SPACE.lastIndex = at;
  SPACE.exec(text);
  return SPACE.lastIndex;
}

function describeCharacter(text: string, at: number): string {
  const character = text.codePointAt(at);
  if (character === undefined) return 'end of text';
  return `character ${JSON.stringify(String.fromCodePoint(character))}`;
}

function syntaxError(text: string, offset: number, problem: string, expected: string): TemplateError {
  const position = positionAt(text, offset);
  return new TemplateError(
    `Template error at line ${position.line}, column ${position.column}: ${problem} (expected ${expected}).`,
    { position, details: [excerptAt(text, position)] },
  );
}

function collectReferences(parts: readonly TemplatePart[]): TemplateReferences {
  const steps: string[] = [];
  const inputs: string[] = [];
  for (const part of parts) {
    if (part.kind !== 'value') continue;
    const [first] = part.path.segments;
    if (typeof first !== 'string') continue;
    const into = part.path.root === 'steps' ? steps : part.path.root === 'inputs' ? inputs : undefined;
    if (into !== undefined && !into.includes(first)) into.push(first);
  }
  return { steps, inputs };
}

// ---------------------------------------------------------------------------------------------
// Resolution and rendering

/**
 * The template's value: when the whole text is one `{{ … }}`, the value itself with its type
 * (a list stays a list, a number a number; not copied); otherwise the rendered string.
 */
export function resolveValue(template: Template, context: RuntimeContext): unknown {
  const [only] = template.parts;
  if (template.parts.length === 1 && only !== undefined && only.kind === 'value') {
    return resolvePath(only.path, context);
  }
  return renderTemplate(template, context);
}

/** Renders the template: strings as they are, other scalars as text, lists and maps as canonical JSON. */
export function renderTemplate(template: Template, context: RuntimeContext): string {
  const out = new Output(TEMPLATE_LIMITS.maxOutputBytes);
  for (const part of template.parts) {
    if (part.kind === 'text') out.push(part.text);
    else appendValue(out, resolvePath(part.path, context), part.path);
  }
  return out.text();
}

/** Walks the path through own data properties only. */
export function resolvePath(path: TemplatePath, context: RuntimeContext): unknown {
  let current = ownValue(context, path.root);
  if (current === undefined) throw missing(path, 0, context);
  for (const [index, segment] of path.segments.entries()) {
    current = stepInto(current, segment, path, index);
  }
  return current;
}

function stepInto(container: unknown, segment: PathSegment, path: TemplatePath, index: number): unknown {
  if (typeof segment === 'number') {
    if (!Array.isArray(container)) throw wrongShape(path, index, container, 'a list to index');
    const value = segment < container.length ? ownValue(container, String(segment)) : undefined;
    if (value === undefined) throw missingIndex(path, index, container.length);
    return value;
  }
  if (container === null || typeof container !== 'object' || Array.isArray(container)) {
    throw wrongShape(path, index, container, 'an object with keys');
  }
  const value = ownValue(container, segment);
  if (value === undefined) throw missing(path, index + 1, container);
  return value;
}

/** An own data property's value; inherited keys, getters and `undefined` count as missing. */
function ownValue(container: object, key: string): unknown {
  if (!Object.hasOwn(container, key)) return undefined;
  const descriptor = Object.getOwnPropertyDescriptor(container, key);
  return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined;
}

/** `count` is how many parts of the path were found; the hint lists the keys that are readable. */
function missing(path: TemplatePath, count: number, container: object): TemplateError {
  const parent = count === 0 ? 'the context' : pathText(path.root, path.segments, count - 1);
  const key = count === 0 ? path.root : String(path.segments[count - 1]);
  const shown = Object.keys(container)
    .filter((name) => !FORBIDDEN_SEGMENTS.has(name) && ownValue(container, name) !== undefined)
    .sort();
  const hint =
    shown.length === 0
      ? `${parent} is empty.`
      : `${parent} has: ${shown.slice(0, 10).join(', ')}${shown.length > 10 ? ', …' : ''}.`;
  return new TemplateError(`{{ ${path.text} }} cannot be resolved: ${parent} has no "${key}".`, {
    path: path.text,
    hint,
  });
}

function missingIndex(path: TemplatePath, index: number, length: number): TemplateError {
  const parent = pathText(path.root, path.segments, index);
  return new TemplateError(
    `{{ ${path.text} }} cannot be resolved: ${parent} has ${length} item${length === 1 ? '' : 's'}, so there is no [${String(path.segments[index])}].`,
    { path: path.text },
  );
}

function wrongShape(path: TemplatePath, index: number, value: unknown, needed: string): TemplateError {
  const parent = pathText(path.root, path.segments, index);
  return new TemplateError(
    `{{ ${path.text} }} cannot be resolved: ${parent} is ${describeValue(value)}, not ${needed}.`,
    { path: path.text },
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Collects output and refuses to grow past its byte limit (a template never renders partly). */
class Output {
  readonly #pieces: string[] = [];
  #bytes = 0;
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  push(piece: string): void {
    this.#bytes += Buffer.byteLength(piece, 'utf8');
    if (this.#bytes > this.#limit) {
      throw new LimitError(
        `A rendered template is at most ${this.#limit} bytes; this one is larger.`,
        'Refer to a smaller part of the value, e.g. one field instead of a whole step output.',
      );
    }
    this.#pieces.push(piece);
  }
  text(): string {
    return this.#pieces.join('');
  }
}

function appendValue(out: Output, value: unknown, path: TemplatePath): void {
  if (typeof value === 'string') out.push(value);
  else if (value !== null && typeof value === 'object' && !(value instanceof Date))
    writeJson(out, value, 0, path);
  else out.push(scalarText(value, path, false));
}

/** A scalar as text, or (with `json`) as a JSON token; Date is shown as its ISO-8601 time. */
function scalarText(value: unknown, path: TemplatePath, json: boolean): string {
  switch (typeof value) {
    case 'string':
      return json ? JSON.stringify(value) : value;
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'number':
      if (Number.isFinite(value)) return JSON.stringify(value);
      throw unrenderable(path, `the number ${String(value)}`);
    default:
      if (value === null) return 'null';
      if (value instanceof Date && !Number.isNaN(value.getTime())) {
        return json ? JSON.stringify(value.toISOString()) : value.toISOString();
      }
      throw unrenderable(path, describeValue(value));
  }
}

/** Canonical JSON: no spaces, object keys sorted by UTF-16 code units (as RFC 8785 does). */
function writeJson(out: Output, value: unknown, depth: number, path: TemplatePath): void {
  if (value === null || typeof value !== 'object' || value instanceof Date) {
    out.push(scalarText(value, path, true));
    return;
  }
  if (depth >= TEMPLATE_LIMITS.maxJsonDepth) {
    throw new LimitError(
      `{{ ${path.text} }} is nested more than ${TEMPLATE_LIMITS.maxJsonDepth} levels deep.`,
    );
  }
  if (Array.isArray(value)) writeJsonList(out, value, depth, path);
  else writeJsonObject(out, value, depth, path);
}

function writeJsonList(out: Output, list: readonly unknown[], depth: number, path: TemplatePath): void {
  out.push('[');
  for (let index = 0; index < list.length; index += 1) {
    if (index > 0) out.push(',');
    const item = ownValue(list, String(index));
    // As JSON.stringify does: a hole or an unrepresentable item is null, so indexes stay aligned.
    writeJson(out, isJsonable(item) ? item : null, depth + 1, path);
  }
  out.push(']');
}

function writeJsonObject(out: Output, object: object, depth: number, path: TemplatePath): void {
  out.push('{');
  let first = true;
  for (const key of Object.keys(object).sort()) {
    const item = ownValue(object, key);
    if (!isJsonable(item)) continue;
    out.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
    writeJson(out, item, depth + 1, path);
    first = false;
  }
  out.push('}');
}

/** What JSON keeps: functions, symbols and undefined are dropped from objects, as JSON.stringify does. */
function isJsonable(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

function unrenderable(path: TemplatePath, what: string): TemplateError {
  return new TemplateError(`{{ ${path.text} }} is ${what}, which cannot be shown as text.`, {
    path: path.text,
  });
}
