/**
 * Confidence (issue #17 point 8): read from the model's validated structured output, never guessed
 * from prose, and compared with `escalate_below` to decide whether a human reviews the output
 * before the run continues.
 */
import { AitwsError } from '../../errors.js';
import type { ContractResult } from './output-contract.js';

export const DEFAULT_CONFIDENCE_FIELD = 'confidence';

export type ConfidenceReading =
  | { readonly ok: true; readonly confidence: number | undefined }
  | { readonly ok: false; readonly error: string };

/**
 * The number in top-level `field` of a validated JSON object; `undefined` when the output is not an
 * object or has no such field. A present value outside [0, 1] (or not a number) is an error the
 * caller treats as a contract failure, so it goes to the repair loop like any other.
 */
export function readConfidence(value: unknown, field: string = DEFAULT_CONFIDENCE_FIELD): ConfidenceReading {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: true, confidence: undefined };
  if (!Object.hasOwn(value, field)) return { ok: true, confidence: undefined };
  const raw: unknown = (value as Record<string, unknown>)[field];
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0 && raw <= 1)
    return { ok: true, confidence: raw };
  const shown = typeof raw === 'number' ? String(raw) : (JSON.stringify(raw) ?? typeof raw);
  return { ok: false, error: `/${field}: confidence must be a number from 0 to 1, got ${shown}` };
}

/**
 * Wraps a contract check so an out-of-range confidence fails it: the repair loop then re-prompts
 * with that message instead of the run accepting a confidence it cannot compare.
 */
export function withConfidenceCheck(
  check: (text: string) => ContractResult,
  field: string = DEFAULT_CONFIDENCE_FIELD,
): (text: string) => ContractResult {
  return (text) => {
    const result = check(text);
    if (!result.ok) return result;
    const reading = readConfidence(result.value, field);
    return reading.ok ? result : { ok: false, errors: [reading.error] };
  };
}

/**
 * Whether the output goes to human review. Strictly below the threshold escalates (0.7 with
 * `escalate_below = 0.7` passes). A missing confidence escalates when a threshold is set: the author
 * asked for review of anything not shown to be confident enough, and a model that left the field
 * out has shown nothing; letting it through would make omitting the field a way around the review.
 */
export function escalationNeeded(confidence: number | undefined, escalateBelow: number | undefined): boolean {
  if (escalateBelow === undefined) return false;
  if (confidence === undefined) return true;
  return confidence < escalateBelow;
}

/** `escalate_below` as written in a workflow: absent means no escalation. */
export function parseEscalateBelow(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0 && raw <= 1) return raw;
  throw new AitwsError('VALIDATION', `escalate_below must be a number from 0 to 1, got ${String(raw)}.`, {
    hint: 'For example escalate_below = 0.7 sends outputs with confidence under 0.7 to review.',
  });
}

/** `confidence_field` as written in a workflow: a top-level field name of the structured output. */
export function parseConfidenceField(raw: unknown): string {
  if (raw === undefined) return DEFAULT_CONFIDENCE_FIELD;
  if (typeof raw === 'string' && raw.length > 0 && raw.length <= 128) return raw;
  throw new AitwsError(
    'VALIDATION',
    'confidence_field must be a non-empty field name (at most 128 characters).',
    {
      hint: `Leave it out to read the top-level "${DEFAULT_CONFIDENCE_FIELD}" field.`,
    },
  );
}
