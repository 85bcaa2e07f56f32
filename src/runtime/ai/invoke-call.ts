/**
 * One model request of an AI step, journaled: the answer to a request fingerprint is looked for in
 * this step's call journal (a resumed step), in the original run's journal (a cached replay), in
 * the response cache (`cache = true`), and only then asked of the model; a fresh answer is written
 * to the journal (and the cache) before the step goes on, so nothing asks the model twice for the
 * same request in one run.
 */
import type { ModelProvider, ModelRequest, ModelResponse } from '../../assistant/provider.js';
import { AitwsError } from '../../errors.js';
import type { ActionContext } from '../executor.js';
import type { JsonObject } from '../run-store.js';
import { type CallRecord, callMemoKey, callRecordSchema, type ReplayMemo } from './record.js';
import type { AiResponseCache } from './stores.js';

export interface CallSource {
  readonly context: ActionContext;
  /** Aborted on cancel, timeout and the step's latency budget. */
  readonly signal: AbortSignal;
  /** The run's /retry count (see callMemoKey). */
  readonly generation: number;
  readonly providerFor: (model: string) => ModelProvider;
  /** Set on a replay run: where recorded answers come from, and the original's /retry count. */
  readonly replay?: ReplayMemo & { readonly generation: number };
  /** Set with `cache = true`. */
  readonly cache?: { readonly store: AiResponseCache; readonly ttlSeconds: number };
  readonly clock: () => number;
}

export interface CallResult extends CallRecord {
  /** Answered without asking the model (journal, replay or cache). */
  readonly cached: boolean;
  readonly source: 'journal' | 'replay' | 'cache' | 'model';
}

export async function journaledCall(
  source: CallSource,
  model: string,
  fingerprint: string,
  request: ModelRequest,
): Promise<CallResult> {
  const { context } = source;
  const key = callMemoKey(context.stepKey, fingerprint, source.generation);
  const journaled = recordOf((await context.readRunMemo(key))?.value);
  if (journaled !== undefined) return { ...journaled, cached: true, source: 'journal' };
  if (source.replay?.mode === 'cached') return fromReplay(source, source.replay, key, fingerprint);
  source.signal.throwIfAborted();
  const cached = source.cache === undefined ? undefined : recordOf(await source.cache.store.get(fingerprint));
  if (cached !== undefined) {
    context.logger.info({ fingerprint, model }, 'ai.invoke: answered from the response cache');
    await journal(context, key, cached);
    return { ...cached, cached: true, source: 'cache' };
  }
  const record = await ask(source, model, fingerprint, request);
  await journal(context, key, record);
  if (source.cache !== undefined)
    await source.cache.store.set(fingerprint, toJson(record), source.cache.ttlSeconds);
  return { ...record, cached: false, source: 'model' };
}

async function fromReplay(
  source: CallSource,
  replay: ReplayMemo & { readonly generation: number },
  key: string,
  fingerprint: string,
): Promise<CallResult> {
  const originalKey = callMemoKey(source.context.stepKey, fingerprint, replay.generation);
  const recorded = recordOf((await source.context.readMemoOf(replay.of, originalKey))?.value);
  if (recorded === undefined)
    throw new AitwsError(
      'AI_REPLAY_MISSING',
      `${source.context.action}: run ${replay.of} recorded no answer to this request (${fingerprint.slice(0, 19)}…), so a cached replay cannot give one.`,
      {
        hint: 'The inputs, the prompt or the model differ from the original run; replay with mode=live to ask the model.',
      },
    );
  await journal(source.context, key, recorded);
  return { ...recorded, cached: true, source: 'replay' };
}

async function ask(
  source: CallSource,
  model: string,
  fingerprint: string,
  request: ModelRequest,
): Promise<CallRecord> {
  const { context } = source;
  const provider = source.providerFor(model);
  const started = source.clock();
  const response = await raceAbort(provider.complete({ ...request, signal: source.signal }), source.signal);
  return {
    fingerprint,
    model: response.model,
    text: textOf(response),
    stop_reason: response.stopReason,
    usage: {
      input_tokens:
        response.usage.inputTokens + response.usage.cacheWriteTokens + response.usage.cacheReadTokens,
      output_tokens: response.usage.outputTokens,
    },
    latency_ms: Math.max(0, source.clock() - started),
    at: context.now().toISOString(),
  };
}

/** A provider that ignores the signal still stops the step from waiting on it. */
async function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

/** First writer wins: a concurrent attempt of the same step journaled the same request. */
async function journal(context: ActionContext, key: string, record: CallRecord): Promise<void> {
  await context.writeRunMemo(key, 0, toJson(record));
}

function recordOf(value: JsonObject | undefined): CallRecord | undefined {
  if (value === undefined) return undefined;
  const parsed = callRecordSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function toJson(record: CallRecord): JsonObject {
  return { ...record, usage: { ...record.usage } };
}

function textOf(response: ModelResponse): string {
  return response.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
}
