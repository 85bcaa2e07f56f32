/**
 * The repair loop (issue #17 point 6): an answer that breaks the output contract is sent back to the
 * model with what was wrong, up to `repair.max_iterations` times. Exhaustion is a result, not a
 * throw, so the caller can hand over to a fallback model (point 12) or to `on_error` with the full
 * attempt log; errors thrown by `attempt` itself (provider failures) are not caught here, since
 * they are not contract failures and the caller retries or falls back on them differently.
 */
import { AitwsError } from '../../errors.js';
import type { ContractResult } from './output-contract.js';

export const REPAIR_LIMITS = Object.freeze({
  defaultMaxIterations: 2,
  maxIterations: 5,
});

/** What the caller sends the model on a repair iteration (the first attempt has none). */
export interface RepairPrompt {
  /** 1 for the first repair; the first attempt is iteration 0. */
  readonly iteration: number;
  /** The rejected answer, for callers that replay it as the assistant's previous turn. */
  readonly previousText: string;
  readonly errors: readonly string[];
  /** The user-turn text: what was wrong, the contract reminder, "answer with only ...". */
  readonly message: string;
}

/** One attempt in the run's log: `reasons` are the contract errors, empty when it passed. */
export interface RepairAttempt {
  readonly iteration: number;
  readonly ok: boolean;
  readonly reasons: readonly string[];
}

export type RepairOutcome =
  | {
      readonly ok: true;
      readonly value: unknown;
      readonly text: string;
      readonly attempts: readonly RepairAttempt[];
    }
  | {
      readonly ok: false;
      readonly attempts: readonly RepairAttempt[];
      readonly lastErrors: readonly string[];
      readonly lastText: string;
    };

export interface RepairOptions {
  /** Repairs after the first attempt: 0 validates without repairing; at most 5. */
  readonly maxIterations: number;
  /** Calls the model; `prompt` is undefined on the first attempt (iteration 0). */
  readonly attempt: (prompt: RepairPrompt | undefined, iteration: number) => Promise<string>;
  readonly check: (text: string) => ContractResult;
  /** The contract's own instruction (OutputContract.instruction), repeated in every repair message. */
  readonly instruction?: string;
}

const GENERIC_INSTRUCTION = 'Answer with only the corrected output, nothing else.';

export async function runWithRepair(options: RepairOptions): Promise<RepairOutcome> {
  const maxIterations = validateMaxIterations(options.maxIterations);
  const attempts: RepairAttempt[] = [];
  let prompt: RepairPrompt | undefined;
  for (let iteration = 0; ; iteration += 1) {
    const text = await options.attempt(prompt, iteration);
    const result = options.check(text);
    if (result.ok) {
      attempts.push({ iteration, ok: true, reasons: [] });
      return { ok: true, value: result.value, text, attempts };
    }
    attempts.push({ iteration, ok: false, reasons: result.errors });
    if (iteration >= maxIterations) {
      return { ok: false, attempts, lastErrors: result.errors, lastText: text };
    }
    const next = iteration + 1;
    prompt = {
      iteration: next,
      previousText: text,
      errors: result.errors,
      message: repairMessage(result.errors, options.instruction),
    };
  }
}

/** Deterministic: the same errors and contract give the same text, so a repaired call replays. */
export function repairMessage(errors: readonly string[], instruction: string = GENERIC_INSTRUCTION): string {
  const problems = errors.length === 0 ? ['- (no detail given)'] : errors.map((error) => `- ${error}`);
  return [
    'Your previous answer did not satisfy the required output format.',
    'Problems found:',
    ...problems,
    instruction,
  ].join('\n');
}

/** `repair.max_iterations` as written in a workflow: absent means the default. */
export function parseMaxIterations(raw: unknown): number {
  if (raw === undefined) return REPAIR_LIMITS.defaultMaxIterations;
  return validateMaxIterations(raw);
}

function validateMaxIterations(raw: unknown): number {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= REPAIR_LIMITS.maxIterations) {
    return raw;
  }
  throw new AitwsError(
    'VALIDATION',
    `repair.max_iterations must be a whole number from 0 to ${REPAIR_LIMITS.maxIterations}, got ${String(raw)}.`,
    { hint: `Leave it out for the default (${REPAIR_LIMITS.defaultMaxIterations}).` },
  );
}

/** For `on_error` when no fallback is left: the last attempt's errors are the details. */
export function repairExhaustedError(outcome: Extract<RepairOutcome, { ok: false }>): AitwsError {
  return new AitwsError(
    'ACTION_FAILED',
    `The model's answer broke the output contract after ${outcome.attempts.length} attempt(s).`,
    {
      details: outcome.lastErrors,
      hint: 'Raise repair.max_iterations, simplify the contract or add a fallback model.',
    },
  );
}
