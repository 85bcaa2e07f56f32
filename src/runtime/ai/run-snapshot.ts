/**
 * Execution snapshots of real runs (issue #17, point 14): built from the run store alone (the run
 * record, its step journal and the AI records `ai.invoke` leaves in step memos, see record.ts), so
 * `aitws snapshot` can read any run, old ones included, without the runtime.
 *
 * A finished run's snapshot is stored in its `::snapshot` memo. A run started by /replay carries a
 * `::replay` memo; when its snapshot is written it is compared with the original's and the result
 * is recorded on the original's `replay_status`.
 */
import { isTable } from '../../document/tree.js';
import type { AitwsDocument } from '../../document/types.js';
import { isFinal, type JsonObject, type RunRecord, type RunStore, type StepRecord } from '../run-store.js';
import { type AiStepRecord, aiRecordKey, readAiStepRecord, SNAPSHOT_MEMO_KEY } from './record.js';
import {
  readStoredSnapshot,
  recordOnOriginal,
  replayOutcome,
  type StoredSnapshot,
  writeSnapshotMemo,
} from './run-snapshot-memo.js';
import {
  buildSnapshot,
  type ExecutionSnapshot,
  type MatchStatus,
  type SnapshotAiCall,
  type SnapshotOptions,
} from './snapshot.js';

/** config.model.id of a run that made no model call: the schema requires a model id. */
export const NO_MODEL = 'none';

export interface RunSnapshotOptions extends SnapshotOptions {
  /** When the snapshot is captured; now by default. */
  readonly now?: () => Date;
}

export interface WrittenSnapshot {
  /** The run's snapshot as stored (an earlier one, unchanged, when the run had not changed). */
  readonly snapshot: ExecutionSnapshot;
  /** On a replay run: how it compared with the original (undefined when the original is gone). */
  readonly match?: MatchStatus;
}

interface AiStep {
  readonly step: StepRecord;
  readonly record: AiStepRecord;
  /** The envelope input as stored, already JSON (the parsed record only knows it as unknown). */
  readonly input: JsonObject;
}

export async function snapshotOfRun(
  store: RunStore,
  run: RunRecord,
  options: RunSnapshotOptions = {},
): Promise<ExecutionSnapshot> {
  const succeeded = (await store.steps(run.id)).filter((step) => step.state === 'succeeded');
  const aiSteps = await aiStepsOf(store, run.id, succeeded.filter(mayBeAi(run.document)));
  const first = aiSteps[0]?.record;
  const control = first?.control;
  const outputs: JsonObject = {};
  for (const step of succeeded) outputs[step.key] = step.output ?? null;
  return buildSnapshot(
    {
      workflow: {
        name: run.workflow.name,
        version: String(run.workflow.version),
        contentHash: run.workflow.hash,
      },
      runId: run.id,
      capturedAt: (options.now ?? (() => new Date()))(),
      executionMode: first?.execution_mode ?? 'default',
      model: {
        // The model the action asked for: a fallback's model shows on its call in ai_calls.
        id: first?.configured_model ?? NO_MODEL,
        ...(first === undefined ? {} : { provider: first.provider, systemPrompt: first.system }),
        ...(control?.temperature === undefined ? {} : { temperature: control.temperature }),
        ...(control?.top_p === undefined ? {} : { topP: control.top_p }),
        ...(control?.seed === undefined ? {} : { seed: control.seed }),
        ...(control === undefined ? {} : { maxTokens: control.max_tokens }),
        ...(control?.stop === undefined ? {} : { stopSequences: control.stop }),
      },
      inputs: run.inputs,
      calls: aiSteps.map(aiCallOf),
      outputs,
      durationMs: Math.max(0, Date.parse(run.updatedAt) - Date.parse(run.createdAt)),
    },
    options,
  );
}

async function aiStepsOf(store: RunStore, runId: string, steps: readonly StepRecord[]): Promise<AiStep[]> {
  const found: AiStep[] = [];
  for (const step of steps) {
    const memo = await store.readStepMemo(runId, aiRecordKey(step.key));
    const record = memo === null ? undefined : readAiStepRecord(memo.value);
    if (memo === null || record === undefined) continue;
    const input = memo.value.input;
    found.push({ step, record, input: isObject(input) ? input : {} });
  }
  return found;
}

/**
 * Only steps whose action is an `ai.invoke` can have an AI record, so a run of a thousand other
 * actions costs no thousand memo reads when it finishes. Handlers are looked at whatever they run.
 */
function mayBeAi(document: AitwsDocument): (step: StepRecord) => boolean {
  const keys = new Set<string>();
  const stages = Array.isArray(document.stages) ? document.stages : [];
  for (const stage of stages) {
    if (!isTable(stage) || !Array.isArray(stage.actions)) continue;
    for (const action of stage.actions)
      if (isTable(action) && action.type === 'ai.invoke')
        keys.add(`${String(stage.name)}/${String(action.name)}`);
  }
  return (step) => step.key.startsWith('handler:') || keys.has(step.key.replace(/#\d+$/, ''));
}

function isObject(value: JsonObject[string] | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keyed by the step key, not the action name, so the iterations of a loop stay apart. */
function aiCallOf({ step, record, input }: AiStep): SnapshotAiCall {
  return {
    action: step.key,
    model: record.model,
    fingerprint: record.fingerprint,
    envelopeInput: input,
    responseText: record.response_text,
    usage: { inputTokens: record.usage.input_tokens, outputTokens: record.usage.output_tokens },
    latencyMs: record.latency_ms,
    costUsd: record.cost_usd,
    attempts: record.attempts.length,
    repairs: record.repairs,
  };
}

/**
 * Builds and stores the run's snapshot. A stored one keeps its `snapshot_id` and `replay_status`;
 * it is rewritten only when the run's content changed (a failed run retried to success). On a
 * replay run the comparison is made once per written snapshot and recorded on the original.
 *
 * The replay's own snapshot is written before the original's status, so a crash between the two
 * loses one recorded replay rather than counting one twice.
 */
export async function writeRunSnapshot(
  store: RunStore,
  run: RunRecord,
  options: RunSnapshotOptions = {},
): Promise<WrittenSnapshot> {
  const fresh = await snapshotOfRun(store, run, options);
  const outcome = await replayOutcome(store, run.id, fresh, (original) =>
    readRunSnapshot(store, original, options),
  );
  const candidate: StoredSnapshot = outcome === undefined ? fresh : { ...fresh, replay_of: outcome };
  const { snapshot, written } = await writeSnapshotMemo(store, run.id, candidate);
  if (written && outcome !== undefined) {
    const at = (options.now ?? (() => new Date()))();
    await recordOnOriginal(store, outcome.run_id, outcome.match_status, at, (original) =>
      snapshotOfRun(store, original, options),
    );
  }
  const match = snapshot.replay_of?.match_status;
  return match === undefined ? { snapshot } : { snapshot, match };
}

/**
 * The run's stored snapshot, or one built now when the run is finished but has none (runs from
 * before snapshots, or a process that stopped before writing it). null when the run is unknown or
 * still under way.
 */
export async function readRunSnapshot(
  store: RunStore,
  runId: string,
  options: RunSnapshotOptions = {},
): Promise<ExecutionSnapshot | null> {
  const run = await store.read(runId);
  if (run === null) return null;
  const memo = await store.readStepMemo(runId, SNAPSHOT_MEMO_KEY);
  const stored = memo === null ? undefined : readStoredSnapshot(memo.value);
  if (stored !== undefined) return stored;
  return isFinal(run.state) ? snapshotOfRun(store, run, options) : null;
}
