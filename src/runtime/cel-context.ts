/**
 * The RuntimeContext copied into what cel-js reads, bounded by CONDITION_LIMITS.maxContextValues
 * and maxContextDepth.
 */
import { CONDITION_LIMITS, CONDITION_VARIABLES } from './cel-environment.js';
import { ConditionError, quote } from './cel-errors.js';
import type { RuntimeContext } from './runtime-context.js';

/**
 * Copies the context into what cel-js reads: JSON-like data with objects as Maps (any key is safe,
 * nothing inherited is visible) and safe integers as CEL ints (BigInt), so `inputs.count + 1`
 * works on a count that came from JSON. As JSON does, undefined, functions and symbols are dropped
 * from objects and become null in lists. Bounded by maxContextValues and maxContextDepth.
 */
export function toCelContext(expression: string, context: RuntimeContext): Record<string, unknown> {
  const budget = { remaining: CONDITION_LIMITS.maxContextValues };
  const values: Record<string, unknown> = {};
  for (const name of CONDITION_VARIABLES) {
    const root = Object.hasOwn(context, name) ? context[name] : undefined;
    values[name] = toCelValue(expression, root ?? {}, 0, budget);
  }
  return values;
}

function toCelValue(
  expression: string,
  value: unknown,
  depth: number,
  budget: { remaining: number },
): unknown {
  budget.remaining -= 1;
  if (budget.remaining < 0)
    throw contextLimit(expression, `more than ${CONDITION_LIMITS.maxContextValues} values`);
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof Uint8Array) {
    return isJsonLike(value) ? value : null;
  }
  if (depth >= CONDITION_LIMITS.maxContextDepth) {
    throw contextLimit(expression, `values nested more than ${CONDITION_LIMITS.maxContextDepth} levels deep`);
  }
  if (Array.isArray(value)) {
    return Array.from(value, (item: unknown) => toCelValue(expression, item, depth + 1, budget));
  }
  const map = new Map<string, unknown>();
  for (const key of Object.keys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    // Only data properties: a getter is code, and a condition reads data.
    if (descriptor === undefined || !('value' in descriptor) || !isJsonLike(descriptor.value)) continue;
    map.set(key, toCelValue(expression, descriptor.value, depth + 1, budget));
  }
  return map;
}

function isJsonLike(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

function contextLimit(expression: string, what: string): ConditionError {
  return new ConditionError(
    'limit',
    expression,
    `Condition ${quote(expression)} was not evaluated: its data has ${what}.`,
    { hint: 'Keep large step outputs out of conditions, or reduce them in an earlier step.', code: 'LIMIT' },
  );
}
