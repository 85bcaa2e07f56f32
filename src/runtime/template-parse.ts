/**
 * Parsing `{{ … }}` templates (the grammar is in templates.ts): text and placeholders, with a
 * TemplateError at the line and column of anything malformed, and the steps and inputs named.
 */
import { LimitError } from '../errors.js';
import { excerptAt, positionAt } from './source-position.js';
import { FORBIDDEN_SEGMENTS, makePath, matchAt, NAME, ROOTS } from './template-paths.js';
import {
  type PathSegment,
  TEMPLATE_LIMITS,
  type Template,
  TemplateError,
  type TemplatePart,
  type TemplatePath,
  type TemplateReferences,
  type TemplateRoot,
} from './template-types.js';

const DIGITS = /[0-9]+/y;
const SPACE = /[ \t\r\n]*/y;

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
