/**
 * Interpreting a value once its extent is known: TOML (via smol-toml) for quoted and bracketed
 * values, a friendlier rule for bare words, and smol-toml's errors retold in chat terms.
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import { containsDate, findImpossibleDate } from '../../document/calendar.js';
import type { TomlValue } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import { describePosition, parseError, type ValueContext } from './shared.js';

export interface TomlContext extends ValueContext {
  readonly text: string;
  readonly maxDepth: number;
}

const PREFIX = 'v = ';

/**
 * A one-line string with nothing TOML would interpret or refuse: no escapes, no inner quote, no
 * control character (not even a tab, which TOML accepts: simpler). Its value is its text, exactly
 * as smol-toml reads it; most values typed in chat are like this, and a TOML parse per value was
 * most of a command's parse.
 */
const PLAIN_BASIC_STRING = /^"[^"\\\p{Cc}]*"$/u;
const PLAIN_LITERAL_STRING = /^'[^'\p{Cc}]*'$/u;

export function parseTomlValue(raw: string, context: TomlContext): TomlValue {
  if (PLAIN_BASIC_STRING.test(raw) || PLAIN_LITERAL_STRING.test(raw)) return raw.slice(1, -1);
  let value: TomlValue | undefined;
  try {
    // The scanner already enforces the depth limit; this is only a backstop against surprises.
    value = parseToml(PREFIX + raw, { maxDepth: context.maxDepth + 2, unsafeKeyBehaviour: 'throw' }).v;
  } catch (error) {
    throw translateTomlError(error, raw, context);
  }
  if (value !== undefined) return checkedDates(raw, value, context.label);
  throw parseError(
    `${context.label}: could not read the value.`,
    `Check the value, e.g. ${context.label}="text".`,
  );
}

/** Characters a TOML number, boolean, date or time can contain; anything else is plainly text. */
const TOML_SCALAR_CHARS = /^[\w:.+-]+$/;

/** How every TOML number, date and time starts (a digit, a sign, inf, nan); booleans are whole words. */
const TOML_SCALAR_START = /^[+-]?(?:\d|inf$|nan$)/;

/** `port=443` is a number and `force=true` a boolean, but `priority=high` is just text. */
export function bareWordValue(raw: string, label: string): TomlValue {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  // Words TOML cannot read as a scalar stay text without a parse (and the error it would throw).
  if (!TOML_SCALAR_START.test(raw) || !TOML_SCALAR_CHARS.test(raw)) return raw;
  let value: TomlValue | undefined;
  try {
    value = parseToml(PREFIX + raw).v;
  } catch {
    if (INTEGER_WORD.test(raw)) throw integerTooLarge(raw, label);
    if (DATE_WORD.test(raw)) throw notADate(raw, label);
    return raw;
  }
  if (value instanceof Date) return checkedDates(raw, value, label);
  return typeof value === 'number' || typeof value === 'boolean' ? value : raw;
}

/** A whole number, as TOML writes one. */
const INTEGER_WORD = /^[+-]?\d[\d_]*$/;
/** What reads as a date or a time to a person; TOML refusing it must not make it text. */
const DATE_WORD = /^\d{4}-\d{2}-\d{2}(?:[T ]|$)|^\d{2}:\d{2}(?::\d{2})?/;

function notADate(raw: string, label: string): AitwsError {
  const reason = findImpossibleDate(raw)?.reason;
  return parseError(
    `${label}: ${raw} is not a date or time${reason === undefined ? '' : ` (${reason})`}.`,
    'Dates are written 2024-05-27, date-times 2024-05-27T07:32:00Z, times 07:32:00; quote text.',
  );
}

/** The same value from a file is refused; from chat it must not quietly become text instead. */
function integerTooLarge(raw: string, label: string): AitwsError {
  return parseError(
    `${label}: ${raw} is too large for an integer (at most ${Number.MAX_SAFE_INTEGER.toLocaleString('en-US')}).`,
    `Quote it to keep it as text: ${label}="${raw}".`,
  );
}

/** smol-toml rolls `2024-02-30` over to 1 March; a date that does not exist is refused instead. */
function checkedDates(raw: string, value: TomlValue, label: string): TomlValue {
  if (!containsDate(value)) return value;
  const found = findImpossibleDate(raw);
  if (found === undefined) return value;
  throw parseError(
    `${label}: ${found.text} is not a date (${found.reason}).`,
    'Check the day and the month.',
  );
}

interface Translation {
  readonly message: string;
  readonly hint: string;
}

function translateTomlError(error: unknown, raw: string, context: TomlContext): AitwsError {
  if (!(error instanceof TomlError)) {
    return parseError(`${context.label}: could not read the value.`, 'Check the value and try again.');
  }
  const at = context.start + errorOffset(PREFIX + raw, error) - PREFIX.length;
  const index = Math.min(Math.max(at, context.start), context.start + raw.length - 1);
  const reason = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
  const { message, hint } = explain(reason, index, context);
  return new AitwsError('PARSE', message, { hint, cause: error });
}

function errorOffset(document: string, error: TomlError): number {
  const lines = document.split('\n').slice(0, error.line - 1);
  return lines.reduce((sum, line) => sum + line.length + 1, 0) + error.column - 1;
}

function explain(reason: string, index: number, context: TomlContext): Translation {
  const { label, text } = context;
  const where = describePosition(text, index);
  const word = /^[A-Za-z_][\w-]*/.exec(text.slice(index, index + 40))?.[0];
  if (reason.includes('invalid value') && word !== undefined) {
    return {
      message: `${label}: ${word} at ${where} needs quotes.`,
      hint: `Text inside [...] or {...} must be quoted, e.g. ${label}=["${word}"].`,
    };
  }
  if (reason.includes('expected comma')) {
    return {
      message: `${label}: missing comma at ${where}.`,
      hint: 'Separate items with commas: ["a", "b"] or {k = "v", n = 1}.',
    };
  }
  if (reason.includes('escape')) {
    return {
      message: `${label}: invalid escape sequence at ${where}.`,
      hint: 'Inside "..." write \\\\ for a backslash, or use \'...\' where backslashes are kept as typed.',
    };
  }
  if (reason.includes('unsafe')) {
    return {
      message: `${label}: "__proto__" and "constructor" can't be used as keys.`,
      hint: 'Rename the key.',
    };
  }
  if (reason.includes('control characters')) {
    return {
      message: `${label}: line break inside a one-line string at ${where}.`,
      hint: 'Use """...""" for text over several lines.',
    };
  }
  return {
    message: `${label}: ${reason} at ${where}.`,
    hint: `Check the TOML syntax, or quote plain text: ${label}="...".`,
  };
}
