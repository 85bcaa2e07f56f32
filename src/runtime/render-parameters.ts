/**
 * An action's `with` table with its `{{ }}` templates rendered, as plain JSON for the executor's
 * schema. A string that is exactly one placeholder becomes the value itself (a table stays a
 * table); TOML dates become ISO text and big integers their digits, as the JSON they travel in.
 */
import type { TomlTable, TomlValue } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { JsonObject, JsonValue } from './run-store.js';
import type { RuntimeContext } from './runtime-context.js';
import { parseTemplate, resolveValue } from './templates.js';

// Object.fromEntries defines own properties, so a key named `__proto__` stays data, never a prototype.
export function renderParameters(parameters: TomlTable, context: RuntimeContext): JsonObject {
  return Object.fromEntries(
    Object.entries(parameters).map(([key, value]) => [key, renderValue(value, context, key)]),
  ) as JsonObject;
}

function renderValue(value: TomlValue, context: RuntimeContext, where: string): JsonValue {
  if (typeof value === 'string') return value.includes('{{') ? renderString(value, context, where) : value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value))
    return value.map((item, index) => renderValue(item, context, `${where}[${index}]`));
  if (typeof value === 'object') {
    if (!isPlainTable(value)) return String(value);
    const table: JsonObject = {};
    for (const [key, item] of Object.entries(value))
      table[key] = renderValue(item, context, `${where}.${key}`);
    return table;
  }
  return value;
}

function isPlainTable(value: object): value is TomlTable {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function renderString(text: string, context: RuntimeContext, where: string): JsonValue {
  try {
    return toJson(resolveValue(parseTemplate(text), context));
  } catch (error) {
    if (error instanceof AitwsError)
      throw new AitwsError('PARAMETER', `with.${where}: ${error.message}`, {
        ...(error.hint === undefined ? {} : { hint: error.hint }),
      });
    throw error;
  }
}

/** A resolved value as JSON (what step outputs and inputs already are; anything else as text). */
function toJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toJson(item)])) as JsonObject;
  return String(value);
}
