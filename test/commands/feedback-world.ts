/**
 * A run with AI steps, as the ai.invoke executor leaves it in the run store (each AI step's
 * AiStepRecord in its `<stepKey>::ai` memo), and a runtime whose AI services keep ratings.
 */
import { parse } from 'smol-toml';
import type { AitwsDocument } from '../../src/document/types.js';
import { silentLogger } from '../../src/logging.js';
import { MemoryWorkspaceBudget } from '../../src/runtime/ai/budget.js';
import { ProviderRegistry } from '../../src/runtime/ai/capabilities.js';
import { defaultPriceTable } from '../../src/runtime/ai/pricing.js';
import { type AiStepRecord, aiRecordKey, aiStepRecordSchema } from '../../src/runtime/ai/record.js';
import type { AiServices } from '../../src/runtime/ai/services.js';
import { MemoryAiResponseCache, MemoryDriftStore } from '../../src/runtime/ai/store-memory.js';
import type { FeedbackStore } from '../../src/runtime/ai/stores.js';
import { executorRegistry } from '../../src/runtime/executor.js';
import { builtinExecutors } from '../../src/runtime/executors/index.js';
import type { RunQueue } from '../../src/runtime/queue-port.js';
import type { JsonObject, JsonValue, RunStore } from '../../src/runtime/run-store.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { environmentSecrets } from '../../src/runtime/secrets.js';
import type { ChannelKey } from '../../src/session/port.js';
import { recordingChat, sleepFor } from '../support/runtime-parts.js';

export const CHANNEL: ChannelKey = { platform: 'console', workspace: 'local', channel: 'feedback' };

const DOCUMENT = `[metadata]
name = "Digest"
version = "1.0.0"

[[stages]]
name = "Write"
order = 1

[[stages.actions]]
name = "Summarise"
type = "ai.invoke"

[[stages.actions]]
name = "Tidy"
type = "transform"

[[stages.actions]]
name = "Draft reply"
type = "ai.invoke"

[[stages.actions]]
name = "Translate"
type = "ai.invoke"
`;

export function runtimeWithFeedback(
  store: RunStore,
  queue: RunQueue,
  feedback: FeedbackStore | undefined,
): Runtime {
  const registry = new ProviderRegistry();
  const ai: AiServices | undefined =
    feedback === undefined
      ? undefined
      : {
          registry,
          prices: defaultPriceTable,
          cache: new MemoryAiResponseCache(),
          cacheTtlSeconds: 3600,
          budget: new MemoryWorkspaceBudget(100),
          drift: new MemoryDriftStore(),
          feedback,
          preflight: { registry },
          assertAffordable: async () => undefined,
        };
  return new Runtime({
    store,
    queue,
    executors: executorRegistry(builtinExecutors({})),
    secrets: environmentSecrets({}, undefined),
    services: {
      store,
      chat: recordingChat(),
      logger: silentLogger,
      raise: async () => undefined,
      secret: () => undefined,
      now: () => new Date(),
    },
    engine: { maxOutputBytes: 64 * 1024, watchMs: 50, sleep: sleepFor },
    ...(ai === undefined ? {} : { ai }),
  });
}

/** Checked against the record's own schema, so the fixture cannot drift from the format. */
function aiRecord(action: string, overrides: Record<string, unknown>): AiStepRecord {
  const attempt = { model: 'claude-sonnet-4-5', iteration: 1, ok: true, reasons: [], cached: false };
  return aiStepRecordSchema.parse({
    action,
    capability: 'language_model.generative',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    configured_model: 'claude-sonnet-4-5',
    execution_mode: 'default',
    control: { max_tokens: 512 },
    fingerprint: 'sha256:00',
    input: { system: 'Be brief.', formatting: [], context: [], user: `Prompt of ${action}` },
    system: 'Be brief.',
    response_text: `Answer of ${action}`,
    usage: { input_tokens: 100, output_tokens: 20 },
    cost_usd: 0.001,
    latency_ms: 5,
    attempts: [attempt],
    repairs: 0,
    switches: [],
    cached: false,
    truncations: 0,
    trimmed: [],
    safety: [],
    escalated: false,
    at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  });
}

interface SeededStep {
  readonly key: string;
  readonly output?: JsonValue;
  readonly failed?: boolean;
  readonly record?: AiStepRecord;
}

const STEPS: readonly SeededStep[] = [
  {
    key: 'Write/Summarise#1',
    output: 'The quarter went well.',
    record: aiRecord('Summarise', {
      response_text: 'The quarter went well.',
      input: { system: 'Be brief.', formatting: [], context: [], user: 'Summarise the report.' },
      confidence: 0.82,
      repairs: 1,
      cost_usd: 0.0031,
      attempts: [
        { model: 'claude-sonnet-4-5', iteration: 1, ok: false, reasons: ['not JSON'], cached: false },
        { model: 'claude-sonnet-4-5', iteration: 2, ok: true, reasons: [], cached: false },
      ],
    }),
  },
  { key: 'Write/Tidy#1', output: { ok: true } },
  {
    key: 'Write/Draft reply#1',
    output: 'Dear customer',
    record: aiRecord('Draft reply', { response_text: 'Dear customer', cost_usd: 0, cached: true }),
  },
  { key: 'Write/Translate#1', failed: true },
];

/** A finished run of "Digest" in CHANNEL, with its steps and AI records; returns its id. */
export async function seedRun(store: RunStore): Promise<string> {
  const at = new Date().toISOString();
  const id = 'rfeedback01';
  const run = await store.create({
    id,
    channel: CHANNEL,
    workflow: { name: 'Digest', version: 3, hash: 'sha256:00' },
    document: parse(DOCUMENT) as AitwsDocument,
    inputs: {},
    state: 'queued',
    attempt: 0,
    startedBy: { id: 'ada', name: 'ada' },
    createdAt: at,
    updatedAt: at,
    deadline: new Date(Date.now() + 3_600_000).toISOString(),
  });
  const change = { attempt: 1, updatedAt: at, deadline: run.deadline };
  await store.update(id, run.revision, { ...change, state: 'running' });
  for (const step of STEPS) {
    await store.recordStep(id, {
      key: step.key,
      state: step.failed === true ? 'failed' : 'succeeded',
      idempotencyKey: `${id}:${step.key}`,
      startedAt: at,
      finishedAt: at,
      ...(step.output === undefined ? {} : { output: step.output }),
      ...(step.failed === true
        ? { error: { code: 'ACTION_FAILED', message: 'the model was unavailable' } }
        : {}),
    });
    if (step.record !== undefined) {
      const memo = JSON.parse(JSON.stringify(step.record)) as JsonObject;
      await store.writeStepMemo(id, aiRecordKey(step.key), 0, memo);
    }
  }
  await store.update(id, run.revision + 1, { ...change, state: 'failed' });
  return id;
}
