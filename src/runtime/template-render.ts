/**
 * Rendering a parsed template: strings as they are, other scalars as text, lists and maps as
 * canonical JSON, all within TEMPLATE_LIMITS.maxOutputBytes (a template never renders partly).
 */
import { LimitError } from '../errors.js';
import type { RuntimeContext } from './runtime-context.js';
import { describeValue, ownValue, resolvePath } from './template-resolve.js';
import { TEMPLATE_LIMITS, type Template, TemplateError, type TemplatePath } from './template-types.js';

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
