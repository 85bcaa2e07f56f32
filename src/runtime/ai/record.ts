/**
 * What an `ai.invoke` step leaves behind in the run store, beside its output: the journal of its
 * model calls and the step's AI record. Both live in step memos (RunStore.readStepMemo) under
 * names derived from the step key, so they go with the run (retention removes them together) and
 * need no store of their own.
 *
 * - `<stepKey>::ai-call:<fingerprint>`: one model response, keyed by the request fingerprint (the
 *   canonical envelope without its origin). A resumed step, or a cached replay of the run, reads
 *   it instead of calling the model again.
 * - `<stepKey>::ai`: the step's AiStepRecord: what was sent, what came back, what it cost and
 *   how it got there (repairs, fallback switches, ensemble votes, trimming, safety findings).
 *   Execution snapshots (run-snapshot.ts) are built from these.
 * - `::snapshot` (run level): the run's execution snapshot once it has finished.
 * - `::replay` (run level): on a run started by /replay, which run it replays and how.
 */
import { z } from 'zod';
import type { JsonObject } from '../run-store.js';
import { EXECUTION_MODES } from './envelope.js';

/** `generation`: the run's /retry count, so a retried step asks the model again rather than replaying its failure. */
export function callMemoKey(stepKey: string, fingerprint: string, generation = 0): string {
  return generation === 0
    ? `${stepKey}::ai-call:${fingerprint}`
    : `${stepKey}::ai-call:g${generation}:${fingerprint}`;
}

export function aiRecordKey(stepKey: string): string {
  return `${stepKey}::ai`;
}

export const SNAPSHOT_MEMO_KEY = '::snapshot';
export const REPLAY_MEMO_KEY = '::replay';

const usageSchema = z.object({ input_tokens: z.number(), output_tokens: z.number() });

/** One response as journaled: enough to answer the same request again without the model. */
export const callRecordSchema = z.object({
  fingerprint: z.string(),
  model: z.string(),
  text: z.string(),
  stop_reason: z.string(),
  usage: usageSchema,
  latency_ms: z.number(),
  at: z.string(),
});
export type CallRecord = z.infer<typeof callRecordSchema>;

const switchSchema = z.object({
  from: z.string(),
  to: z.string(),
  kind: z.enum(['provider_error', 'contract_failure']),
  reason: z.string(),
});

const attemptSchema = z.object({
  model: z.string(),
  iteration: z.number(),
  ok: z.boolean(),
  reasons: z.array(z.string()),
  cached: z.boolean(),
});

/** The step's AI record (`<stepKey>::ai`). Numbers are totals over every request the step made. */
export const aiStepRecordSchema = z.object({
  action: z.string(),
  capability: z.string(),
  provider: z.string(),
  /** The model whose answer was kept. */
  model: z.string(),
  /** The model the action asked for (before any fallback). */
  configured_model: z.string(),
  execution_mode: z.enum(EXECUTION_MODES),
  control: z.object({
    max_tokens: z.number(),
    temperature: z.number().optional(),
    top_p: z.number().optional(),
    seed: z.number().optional(),
    stop: z.array(z.string()).optional(),
  }),
  /** The envelope's correlation id (the step's idempotency key) and where the call came from. */
  correlation_id: z.string().default(''),
  origin: z
    .object({
      platform: z.string(),
      workspace: z.string(),
      channel: z.string(),
      run: z.string(),
      action: z.string(),
      attempt: z.number(),
    })
    .optional(),
  /** Fingerprint of the first request (the one a cache or replay looks up). */
  fingerprint: z.string(),
  /** The envelope's input payload as sent (system, formatting, context blocks, user). */
  input: z.record(z.string(), z.unknown()),
  /** System prompt text, hashed into the snapshot's config. */
  system: z.string(),
  response_text: z.string(),
  /** The parsed answer when the output contract is a JSON schema. */
  value: z.unknown().optional(),
  confidence: z.number().optional(),
  stop_reason: z.string().default('other'),
  usage: usageSchema,
  cost_usd: z.number(),
  latency_ms: z.number(),
  /** Requests made (repairs and fallbacks included; cache hits count, with cached = true). */
  attempts: z.array(attemptSchema),
  repairs: z.number(),
  switches: z.array(switchSchema),
  cached: z.boolean(),
  truncations: z.number(),
  trimmed: z.array(z.object({ block: z.string(), action: z.string() })),
  safety: z.array(z.object({ kind: z.string(), stage: z.string(), decision: z.string(), count: z.number() })),
  ensemble: z
    .object({
      vote: z.string(),
      winner: z.number(),
      members: z.array(z.object({ model: z.string(), text: z.string(), ok: z.boolean() })),
      reason: z.string(),
    })
    .optional(),
  escalated: z.boolean(),
  /** The run's /retry count when this was recorded: a retried step asks the model afresh. */
  generation: z.number().default(0),
  at: z.string(),
});
export type AiStepRecord = z.infer<typeof aiStepRecordSchema>;

export function readAiStepRecord(value: JsonObject): AiStepRecord | undefined {
  const parsed = aiStepRecordSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** What `::replay` holds on a replay run. */
export const replayMemoSchema = z.object({
  of: z.string(),
  mode: z.enum(['cached', 'live']),
  threshold: z.number().optional(),
});
export type ReplayMemo = z.infer<typeof replayMemoSchema>;
