/**
 * What the memory, file and Redis implementations of the AI stores (stores.ts) share: argument
 * checks, the budget's month and money units, the drift sample's stored shape and the summary
 * math, so the three cannot drift apart.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AitwsError } from '../../errors.js';
import type { JsonObject } from '../run-store.js';
import type { DriftSample, DriftSummary, WorkflowScope } from './stores.js';

/** Samples kept per workflow and action unless a store is told otherwise. */
export const DEFAULT_DRIFT_WINDOW = 50;

export const jsonObjectSchema: z.ZodType<JsonObject, unknown> = z.record(z.string(), z.json());

/** How long an entry lives, in ms; VALIDATION for a TTL that is not a positive number of seconds. */
export function ttlMs(ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0)
    throw new AitwsError('VALIDATION', `A cache TTL must be a number of seconds above 0, not ${ttlSeconds}.`);
  return Math.max(1, Math.ceil(ttlSeconds * 1000));
}

/**
 * Spending is kept in micro-dollars as an integer, so many small charges add up exactly and Redis
 * can INCRBY them. VALIDATION for an amount the memory budget would refuse too.
 */
export function chargeMicros(amount: number): number {
  if (!Number.isFinite(amount) || amount < 0)
    throw new AitwsError('VALIDATION', `A charge must be an amount of at least 0, not ${amount}.`);
  const micros = Math.round(amount * 1_000_000);
  if (!Number.isSafeInteger(micros))
    throw new AitwsError('VALIDATION', `A charge of ${amount} USD is too large to record.`);
  return micros;
}

/** USD left, never below 0, from a limit in USD and spending in micro-dollars. */
export function remainingUsd(limit: number, spentMicros: number): number {
  return Math.max(0, Math.round(limit * 1_000_000) - spentMicros) / 1_000_000;
}

export type BudgetLimit = number | ((workspace: string) => number);

export function limitOf(limit: BudgetLimit, workspace: string): number {
  return typeof limit === 'number' ? limit : limit(workspace);
}

/** The budget period: the UTC calendar month, `YYYY-MM`. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** A fixed-length name for any text (a fingerprint, a workspace, a scope), safe in paths and keys. */
export function digest(...parts: readonly string[]): string {
  // JSON keeps ["a:b","c"] and ["a","b:c"] apart.
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The identity of one drift series: a workflow's action in a channel. */
export function driftSeries(scope: WorkflowScope, action: string): readonly [string, string, string] {
  return [scope.channel, scope.workflow, action];
}

export const driftSampleSchema: z.ZodType<DriftSample, unknown> = z
  .object({
    action: z.string(),
    at: z.string(),
    validationFailed: z.boolean(),
    repairs: z.number().int().nonnegative(),
    confidence: z.number().finite().optional(),
    latencyMs: z.number().finite().nonnegative(),
    costUsd: z.number().finite().nonnegative(),
  })
  // exactOptionalPropertyTypes: an absent confidence is no key, not `confidence: undefined`.
  .transform(({ confidence, ...rest }) => (confidence === undefined ? rest : { ...rest, confidence }));

/** The sample as stored (only its own fields); VALIDATION for one that JSON could not keep. */
export function checkedSample(sample: DriftSample): DriftSample {
  const parsed = driftSampleSchema.safeParse(sample);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new AitwsError('VALIDATION', `The drift sample for ${sample.action} is not valid.`, {
    details: problems.slice(0, 5),
  });
}

const EMPTY: DriftSummary = {
  samples: 0,
  validation_failure_rate: 0,
  repairs: 0,
  latency_ms: 0,
  cost_usd: 0,
};

/** Rates and means over `samples`; all zeros (and no confidence) when there are none. */
export function summarise(samples: readonly DriftSample[]): DriftSummary {
  if (samples.length === 0) return EMPTY;
  const count = samples.length;
  const sum = (pick: (sample: DriftSample) => number): number =>
    samples.reduce((total, sample) => total + pick(sample), 0);
  const confidences = samples.flatMap((sample) =>
    sample.confidence === undefined ? [] : [sample.confidence],
  );
  return {
    samples: count,
    validation_failure_rate: sum((sample) => (sample.validationFailed ? 1 : 0)) / count,
    repairs: sum((sample) => sample.repairs) / count,
    ...(confidences.length === 0
      ? {}
      : { confidence: confidences.reduce((total, value) => total + value, 0) / confidences.length }),
    latency_ms: sum((sample) => sample.latencyMs) / count,
    cost_usd: sum((sample) => sample.costUsd) / count,
  };
}

/** The window a store keeps; CONFIG unless it is a whole number of at least 1. */
export function checkedWindow(window: number | undefined): number {
  const value = window ?? DEFAULT_DRIFT_WINDOW;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new AitwsError('CONFIG', `The drift window must be a whole number of at least 1, not ${value}.`);
  return value;
}
