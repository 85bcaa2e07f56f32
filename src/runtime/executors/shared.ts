/**
 * Small pieces the built-in executors share: finding a document entry by name,
 * JSON-only copies of rendered parameters, and "skip what a template will fill in" for pre-flight.
 */
import { sameName } from '../../document/entry-names.js';
import { isTable } from '../../document/tree.js';
import type { AitwsDocument, TomlTable, TomlValue } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import type { ActionContext, ActionParameters, ParameterProblem } from '../executor.js';
import type { JsonObject, JsonValue } from '../run-store.js';

/** The entry of a keyed list section (`external_services`, `notifications`) named `name`. */
export function findEntry(document: AitwsDocument, section: string, name: string): TomlTable | undefined {
  const entries = document[section];
  if (!Array.isArray(entries)) return undefined;
  return entries.find((entry): entry is TomlTable => isTable(entry) && sameName(entry.name, name));
}

/** Names of a keyed list section's entries, for "known: …" hints. */
export function entryNames(document: AitwsDocument, section: string): string[] {
  const entries = document[section];
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((entry) => (isTable(entry) && typeof entry.name === 'string' ? [entry.name] : []));
}

/** A value pre-flight cannot judge: a template fills it in when the action runs. */
export function holdsTemplate(value: TomlValue | undefined): boolean {
  return typeof value === 'string' && value.includes('{{');
}

/** The same for a value that may be a list of them (`approvers = ["{{ inputs.team }}"]`). */
export function holdsAnyTemplate(value: TomlValue | undefined): boolean {
  return Array.isArray(value) ? value.some(holdsAnyTemplate) : holdsTemplate(value);
}

/** A problem for each key of `with` that the executor does not take (a typo runs nothing). */
export function unknownParameters(
  parameters: ActionParameters,
  known: readonly string[],
): ParameterProblem[] {
  return Object.keys(parameters)
    .filter((key) => !known.includes(key))
    .map((key) => ({
      field: `with.${key}`,
      message: `unknown parameter; this type takes ${known.join(', ')}`,
    }));
}

/**
 * A deep copy holding only JSON: dates become their ISO text (a TOML local date keeps its own
 * form), safe bigints become numbers. Anything else (a function, NaN, a cycle) is refused with the
 * path where it was found. Keys such as `__proto__` stay plain own keys.
 */
export function toJsonValue(value: unknown, path: string, depth = 0): JsonValue {
  if (depth > 64) throw notJson(path, 'it is nested too deeply');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw notJson(path, `${value} is not a JSON number`);
  }
  if (typeof value === 'bigint') {
    const number = Number(value);
    if (Number.isSafeInteger(number)) return number;
    throw notJson(path, 'the integer is too large');
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw notJson(path, 'the date is invalid');
    return value.toISOString();
  }
  if (Array.isArray(value))
    return value.map((item, index) => toJsonValue(item, `${path}[${index}]`, depth + 1));
  if (isTable(value)) return toJsonObject(value, path, depth);
  throw notJson(path, `a ${typeof value} is not data`);
}

export function toJsonObject(
  value: { readonly [key: string]: unknown },
  path: string,
  depth = 0,
): JsonObject {
  return Object.fromEntries(
    Object.keys(value).map((key) => [key, toJsonValue(value[key], `${path}.${key}`, depth + 1)]),
  );
}

function notJson(path: string, reason: string): AitwsError {
  return new AitwsError('PARAMETER', `${path} cannot be used: ${reason}.`);
}

/** A JSON object as a memo or an output holds it, or undefined when the value is something else. */
export function asJsonObject(value: JsonValue | undefined): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

/**
 * Runs a side effect at most once per step as far as the memo can tell: a step run again after the
 * effect was recorded (a crash before the step was journaled) returns the recorded result instead.
 * A crash between the effect and the memo write still repeats it (at-least-once).
 */
export async function oncePerStep(
  context: ActionContext,
  effect: () => Promise<JsonObject>,
): Promise<JsonObject> {
  const memo = await context.readMemo();
  const recorded = asJsonObject(memo?.value.done);
  if (recorded !== undefined) return recorded;
  const result = await effect();
  // Losing this race means another worker did the same step; its record is as good as ours.
  await context.writeMemo(memo?.revision ?? 0, { ...(memo?.value ?? {}), done: result });
  return result;
}
