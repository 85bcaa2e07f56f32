/**
 * Option values become the same command text a person would type in the console
 * (`/add roles name="DataScientist" privileges=["read","execute"]`), so Discord needs no grammar
 * of its own: the core parses, validates and answers exactly as everywhere else.
 */
import { optionsFor } from './options.js';

export type OptionValue = string | number | boolean;

/**
 * Characters the core's chat normaliser rewrites (curly quotes, odd spaces, zero-width marks,
 * Slack's `<…>` and `&amp;`): escaped, so a value reaches the document exactly as given.
 */
const NORMALISED = /[\u0085\u2028\u2029\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000\u2060\uFEFF<>&“”„‟‘’‚‛]/;

function unicodeEscape(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0').toUpperCase()}`;
}

/** A TOML basic string whose value survives the core's chat normaliser unchanged. */
export function tomlString(text: string): string {
  let escaped = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') escaped += `\\${char}`;
    else if (code < 0x20 || code === 0x7f || NORMALISED.test(char)) escaped += unicodeEscape(code);
    else escaped += char;
  }
  return `"${escaped}"`;
}

function tomlValue(value: OptionValue): string {
  return typeof value === 'string' ? tomlString(value) : String(value);
}

const SNOWFLAKE = /^\d{1,25}$/;

/**
 * A user option's id as the mention the grammar turns into `@ID`. Anything but an id goes quoted,
 * so the core refuses it as no mention instead of reading markup out of it.
 */
function mention(value: OptionValue): string {
  const id = String(value);
  return SNOWFLAKE.test(id) ? `<@${id}>` : tomlString(id);
}

/**
 * Options are placed in the table's order, not the order they were filled in, because the
 * grammar's positional words (section before key) depend on it.
 */
export function commandText(command: string, values: ReadonlyMap<string, OptionValue>): string {
  const parts = [`/${command}`];
  for (const spec of optionsFor(command)) {
    const value = values.get(spec.name);
    if (value === undefined) continue;
    switch (spec.placement) {
      case 'text': {
        const text = String(value).trim();
        if (text !== '') parts.push(text);
        break;
      }
      case 'param':
        parts.push(`${spec.name}=${tomlValue(value)}`);
        break;
      case 'mention':
        parts.push(mention(value));
        break;
      case 'quoted':
        parts.push(tomlString(String(value)));
        break;
      case 'content':
        break;
    }
  }
  return parts.join(' ');
}

/** The attachment option of this command, if it has one and it was filled. */
export function attachmentId(command: string, values: ReadonlyMap<string, OptionValue>): string | undefined {
  const spec = optionsFor(command).find((s) => s.placement === 'content');
  if (spec === undefined) return undefined;
  const value = values.get(spec.name);
  return typeof value === 'string' ? value : undefined;
}
