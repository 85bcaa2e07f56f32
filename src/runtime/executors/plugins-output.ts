/**
 * What a plugin's `run` returned, as the step's output: `{ output }` unwraps, anything else is the
 * output itself, and it must be plain JSON. A plugin is third-party code, so nothing is converted
 * silently (a Date, a Map, a class instance, NaN, a cycle): the step fails with PLUGIN_OUTPUT and
 * the path where the value was found.
 */
import { AitwsError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../run-store.js';

const MAX_DEPTH = 64;

export function pluginOutput(type: string, result: unknown): JsonValue {
  const value = isOutputWrapper(result) ? result.output : result;
  return toJson(value === undefined ? null : value, 'output', 0, type, new Set());
}

/** `{ output }` and nothing else; an object with more keys is itself the output. */
function isOutputWrapper(value: unknown): value is { output: unknown } {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'output';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function toJson(value: unknown, path: string, depth: number, type: string, seen: Set<object>): JsonValue {
  if (depth > MAX_DEPTH) throw notJson(type, path, 'it is nested too deeply');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw notJson(type, path, `${value} is not a JSON number`);
  }
  if (typeof value !== 'object') throw notJson(type, path, `a ${typeof value} is not JSON`);
  if (seen.has(value)) throw notJson(type, path, 'it refers to itself');
  seen.add(value);
  try {
    if (Array.isArray(value))
      return value.map((item, index) => toJson(item, `${path}[${index}]`, depth + 1, type, seen));
    if (!isPlainObject(value))
      throw notJson(type, path, `a ${value.constructor?.name ?? 'non-plain'} object is not JSON`);
    // Like JSON.stringify, a property holding undefined is left out. fromEntries keeps a key
    // such as `__proto__` an own property instead of setting the prototype.
    const object: JsonObject = Object.fromEntries(
      Object.keys(value)
        .filter((key) => value[key] !== undefined)
        .map((key) => [key, toJson(value[key], `${path}.${key}`, depth + 1, type, seen)]),
    );
    return object;
  } finally {
    seen.delete(value);
  }
}

function notJson(type: string, path: string, reason: string): AitwsError {
  return new AitwsError(
    'PLUGIN_OUTPUT',
    `The plugin ${type} returned something that is not JSON at ${path}: ${reason}.`,
    {
      hint: 'A plugin returns plain data: objects, arrays, text, numbers, true/false and null (dates as ISO text).',
    },
  );
}
