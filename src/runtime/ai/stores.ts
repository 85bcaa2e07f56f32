/**
 * The ports AI steps keep state in beyond one run: the response cache (`cache = true`), the
 * workspace budget, drift telemetry and feedback. Each has a memory implementation (tests), a file
 * implementation under the data dir (the embedded runtime) and a Redis one (REDIS_URL), and one
 * contract suite runs against all three.
 */
import type { JsonObject } from '../run-store.js';

export type { WorkspaceBudget } from './budget.js';

/** `cache = true`: responses by request fingerprint, for `ttlSeconds`. */
export interface AiResponseCache {
  /** The stored value, or undefined when absent or expired. */
  get(fingerprint: string): Promise<JsonObject | undefined>;
  set(fingerprint: string, value: JsonObject, ttlSeconds: number): Promise<void>;
}

/** Which workflow and action a sample or a rating is about. */
export interface WorkflowScope {
  /** `platform:workspace:channel`. */
  readonly channel: string;
  readonly workflow: string;
}

/** One finished AI step, as drift telemetry counts it. */
export interface DriftSample {
  readonly action: string;
  readonly at: string;
  /** The first answer broke the output contract. */
  readonly validationFailed: boolean;
  readonly repairs: number;
  readonly confidence?: number;
  readonly latencyMs: number;
  readonly costUsd: number;
}

/** Over the last `window` samples of one action (newest kept). */
export interface DriftSummary {
  readonly samples: number;
  readonly validation_failure_rate: number;
  readonly repairs: number;
  /** Mean, over samples that had one; undefined when none had. */
  readonly confidence?: number;
  readonly latency_ms: number;
  readonly cost_usd: number;
}

export const DRIFT_METRICS = [
  'validation_failure_rate',
  'repairs',
  'confidence',
  'latency_ms',
  'cost_usd',
] as const;
export type DriftMetric = (typeof DRIFT_METRICS)[number];

export interface DriftStore {
  /** Adds the sample and returns the action's summary including it. */
  record(scope: WorkflowScope, sample: DriftSample): Promise<DriftSummary>;
  summary(scope: WorkflowScope, action: string): Promise<DriftSummary>;
}

export type Rating = 'good' | 'bad';

export interface FeedbackEntry {
  readonly run: string;
  readonly action: string;
  readonly rating: Rating;
  readonly note?: string;
  /** The AI output rated (its text), so it can serve as a few-shot example later. */
  readonly output: string;
  /** The prompt that produced it (the user turn), for fine-tuning exports. */
  readonly prompt: string;
  readonly by: { readonly id: string; readonly name: string };
  readonly at: string;
}

export interface FeedbackStore {
  /** One rating per person, run and action: a second one replaces the first. */
  add(scope: WorkflowScope, entry: FeedbackEntry): Promise<void>;
  /** Newest first, at most `limit`. */
  list(
    scope: WorkflowScope,
    options: { readonly action?: string; readonly limit: number },
  ): Promise<FeedbackEntry[]>;
  /** Every entry of every channel and workflow, oldest first (the JSON Lines export). */
  all(): AsyncIterable<FeedbackEntry & WorkflowScope>;
}
