/**
 * Declared normalisation of an AI step's inputs before they reach the prompt (issue #17, point 4):
 * `normalise = ["sort", "dedupe", "canonical_json", "trim"]`. Inputs that differ only in what the
 * action said does not matter (order, repeats, surrounding blanks, key order) give byte-identical
 * text, so byte-identical requests and one cache key.
 *
 * The steps always run in one fixed order, whatever order they were declared in:
 *   1. trim: strings lose leading and trailing whitespace, at every depth (values, not keys);
 *   2. sort: arrays ordered by their items' canonical JSON, at every depth;
 *   3. dedupe: array items with the same canonical JSON kept once (first occurrence);
 *   4. canonical_json: how a non-string value becomes text when embedded (see `embed`).
 * Trim first so " a" and "a" are duplicates; children before parents so an array is sorted by
 * its items' normalised forms. Sort then dedupe equals dedupe then sort, the order is fixed anyway.
 */
import { AitwsError } from '../../errors.js';
import type { JsonValue } from '../run-store.js';
import { canonicalJson } from './canonical.js';

export const NORMALISE_STEPS = ['trim', 'sort', 'dedupe', 'canonical_json'] as const;
export type NormaliseStep = (typeof NORMALISE_STEPS)[number];

/** The declared steps as a set; unknown names refused with the list of known ones. */
export function parseNormalise(declared: readonly string[]): ReadonlySet<NormaliseStep> {
  const steps = new Set<NormaliseStep>();
  for (const name of declared) {
    if (!isStep(name)) {
      throw new AitwsError('VALIDATION', `normalise: unknown step "${name}".`, {
        hint: `Known steps: ${NORMALISE_STEPS.join(', ')}.`,
      });
    }
    steps.add(name);
  }
  return steps;
}

/** The value with the declared value-level steps (trim, sort, dedupe) applied; the input is not changed. */
export function normaliseValue(value: JsonValue, steps: ReadonlySet<NormaliseStep>): JsonValue {
  if (typeof value === 'string') return steps.has('trim') ? value.trim() : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return normaliseArray(value, steps);
  const result: { [key: string]: JsonValue } = {};
  for (const [key, item] of Object.entries(value)) result[key] = normaliseValue(item, steps);
  return result;
}

/**
 * The text a value contributes when it is embedded into a prompt, after normalisation: a string
 * as itself; anything else as canonical JSON when `canonical_json` is declared, otherwise as
 * JSON.stringify prints it (key order as given, so not stable across producers).
 */
export function embed(value: JsonValue, steps: ReadonlySet<NormaliseStep>): string {
  const normalised = normaliseValue(value, steps);
  if (typeof normalised === 'string') return normalised;
  return steps.has('canonical_json') ? canonicalJson(normalised) : JSON.stringify(normalised);
}

function normaliseArray(items: readonly JsonValue[], steps: ReadonlySet<NormaliseStep>): JsonValue[] {
  const normalised = items.map((item) => normaliseValue(item, steps));
  if (!steps.has('sort') && !steps.has('dedupe')) return normalised;
  let keyed = normalised.map((item) => ({ key: canonicalJson(item), item }));
  // Code-unit comparison, never localeCompare: the order must not depend on the host's locale.
  if (steps.has('sort')) keyed = keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (steps.has('dedupe')) {
    const seen = new Set<string>();
    keyed = keyed.filter(({ key }) => {
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  return keyed.map(({ item }) => item);
}

function isStep(name: string): name is NormaliseStep {
  return (NORMALISE_STEPS as readonly string[]).includes(name);
}
