/**
 * The fix for a value of the wrong type, written as the person would type it: `version=2` where
 * text is expected is `version="2"`; `port="8080"` where a number is expected is `port=8080`.
 * Undefined when there is no obvious rewrite (a table where a number is expected).
 */
import type { FieldSpec } from './types.js';

const TEXT_TYPES: ReadonlySet<FieldSpec['type']> = new Set(['string', 'duration', 'url']);

function quoted(value: string | number | boolean): string {
  return JSON.stringify(String(value));
}

export function typeFix(field: FieldSpec, value: unknown): string | undefined {
  const { name, type } = field;
  if (TEXT_TYPES.has(type) && (typeof value === 'number' || typeof value === 'boolean'))
    return `${name}=${quoted(value)}`;
  if ((type === 'integer' || type === 'number') && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))
    return `${name}=${value}`;
  if (type === 'boolean' && (value === 'true' || value === 'false')) return `${name}=${value}`;
  if (type === 'string[]' && (typeof value === 'string' || typeof value === 'number'))
    return `${name}=[${quoted(value)}]`;
  return undefined;
}
