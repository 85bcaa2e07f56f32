/**
 * Execution snapshots (issue #17, point 14): one document per run in the shape of aiwg's
 * execution-snapshot schema (JSON Schema 2020-12, `test/fixtures/execution-snapshot.yaml`), so a
 * run can be replayed later and its outputs compared with the original's.
 *
 * Inputs and outputs are stored as hashes (the final output also as canonical JSON text, unless the
 * caller asks for hashes only) because a snapshot outlives the run and may be exported; the journal
 * keeps the full requests and responses for replay. Every hash here is the same function: sha256,
 * hex, of the value's canonical JSON (strings included), so one rule verifies all of them.
 *
 * Fields the schema does not name (`run_id`, `workflow_hash`, `ai_calls`, `inputs.inputs_hash`,
 * `metrics.cost_usd`, ...) are allowed by it: none of its objects forbids additional properties.
 */
import { createHash, randomUUID } from 'node:crypto';
import { AitwsError } from '../../errors.js';
import { canonicalJson } from './canonical.js';
import { EXECUTION_MODES, type ExecutionMode } from './envelope.js';

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

export { EXECUTION_MODES, type ExecutionMode } from './envelope.js';

/** The schema's `replay_status.match_status` vocabulary. */
export const MATCH_STATUSES = [
  'exact_match',
  'semantic_match',
  'partial_match',
  'no_match',
  'not_replayed',
] as const;
export type MatchStatus = (typeof MATCH_STATUSES)[number];

export const SNAPSHOT_SCHEMA_VERSION = '1.0';

export interface SnapshotModelConfig {
  readonly id: string;
  readonly provider?: string;
  /** The provider's version string when it reports one; a hint, not a guarantee. */
  readonly versionHint?: string;
  readonly temperature?: number;
  readonly topP?: number;
  readonly seed?: number;
  readonly maxTokens?: number;
  readonly stopSequences?: readonly string[];
  /** Only its hash is stored. */
  readonly systemPrompt?: string;
}

export interface SnapshotToolCall {
  readonly tool: string;
  readonly input: JsonValue;
  readonly output: JsonValue;
  readonly at: Date | string;
}

/** One model call of the run, as journaled. */
export interface SnapshotAiCall {
  readonly action: string;
  /** The model that answered, when a fallback chain switched away from the configured one. */
  readonly model?: string;
  /** The request fingerprint the cache and the journal key the call by. */
  readonly fingerprint: string;
  /** The envelope's input payload: what was sent. */
  readonly envelopeInput: JsonValue;
  readonly responseText: string;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
  readonly latencyMs: number;
  readonly costUsd: number;
  /** Requests made for this call, the first one included. */
  readonly attempts: number;
  /** Of those attempts, how many were repair re-prompts after an output contract failure. */
  readonly repairs: number;
  readonly toolCalls?: readonly SnapshotToolCall[];
}

/** One run, as much of it as a snapshot needs. */
export interface SnapshotInput {
  readonly workflow: { readonly name: string; readonly version: string; readonly contentHash: string };
  readonly runId: string;
  readonly capturedAt: Date | string;
  readonly executionMode: ExecutionMode;
  readonly model: SnapshotModelConfig;
  readonly inputs: Readonly<Record<string, JsonValue>>;
  readonly calls: readonly SnapshotAiCall[];
  readonly outputs: JsonValue;
  /** Wall-clock duration of the run; the sum of call latencies when absent. */
  readonly durationMs?: number;
}

export interface SnapshotOptions {
  /** Injectable for tests; `crypto.randomUUID` otherwise. */
  readonly newId?: () => string;
  /** Store only the output hash, not its text (outputs may carry personal data). Default false. */
  readonly hashesOnly?: boolean;
}

export interface SnapshotToolCallRecord {
  readonly tool: string;
  readonly action: string;
  readonly input_hash: string;
  readonly output_hash: string;
  readonly timestamp: string;
}

export interface AiCallRecord {
  readonly action: string;
  readonly model: string;
  readonly request_fingerprint: string;
  readonly envelope_hash: string;
  readonly response_hash: string;
  readonly tokens_input: number;
  readonly tokens_output: number;
  readonly latency_ms: number;
  readonly cost_usd: number;
  readonly attempts: number;
  readonly repairs: number;
  readonly tool_calls_count: number;
}

export interface ReplayStatus {
  readonly replayed: boolean;
  readonly replay_count: number;
  readonly last_replay?: string;
  readonly match_status: MatchStatus;
}

/** Mirrors the aiwg schema (required: snapshot_id, workflow_id, captured_at, config, inputs, outputs). */
export interface ExecutionSnapshot {
  readonly snapshot_id: string;
  /** `name@version`; the content hash is `workflow_hash`, so an edited workflow is told apart. */
  readonly workflow_id: string;
  readonly workflow_hash: string;
  readonly run_id: string;
  readonly version: string;
  readonly captured_at: string;
  readonly config: {
    readonly model: { readonly id: string; readonly provider?: string; readonly version?: string };
    readonly execution_mode: ExecutionMode;
    readonly temperature?: number;
    readonly seed?: number;
    readonly max_tokens?: number;
    readonly top_p?: number;
    readonly stop_sequences?: readonly string[];
    readonly system_prompt_hash?: string;
  };
  readonly inputs: {
    /** Hash of all inputs together; `input_hashes` says which one differs when it changes. */
    readonly inputs_hash: string;
    readonly input_hashes: Readonly<Record<string, string>>;
  };
  readonly outputs: {
    /** Canonical JSON of the run's final outputs; absent with `hashesOnly`. */
    readonly response?: string;
    readonly response_hash: string;
    readonly tool_calls: readonly SnapshotToolCallRecord[];
  };
  readonly metrics: {
    readonly duration_ms: number;
    readonly tokens_input: number;
    readonly tokens_output: number;
    readonly tool_calls_count: number;
    /** Model requests made, repairs included. */
    readonly iterations: number;
    readonly ai_calls_count: number;
    readonly repairs: number;
    readonly cost_usd: number;
  };
  readonly ai_calls: readonly AiCallRecord[];
  readonly replay_status: ReplayStatus;
}

/**
 * sha256, bare lowercase hex, of the value's canonical JSON: the same bytes `fingerprint()` hashes,
 * without its `sha256:` prefix. The schema's hash fields are described as "SHA-256 of ..." and its
 * example holds bare digests, and every hash in a snapshot is sha256 anyway, so the prefix would
 * only be something each consumer has to strip before comparing with a plain `sha256sum`.
 */
export function hashJson(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

export function buildSnapshot(input: SnapshotInput, options: SnapshotOptions = {}): ExecutionSnapshot {
  const calls = input.calls.map(callRecord(input.model.id));
  const response = canonicalJson(input.outputs);
  const toolCalls = input.calls.flatMap((call) => (call.toolCalls ?? []).map(toolCallRecord(call.action)));
  return {
    snapshot_id: (options.newId ?? randomUUID)(),
    workflow_id: `${input.workflow.name}@${input.workflow.version}`,
    workflow_hash: input.workflow.contentHash,
    run_id: input.runId,
    version: SNAPSHOT_SCHEMA_VERSION,
    captured_at: isoTime(input.capturedAt, 'capturedAt'),
    config: modelConfig(input.model, input.executionMode),
    inputs: {
      inputs_hash: hashJson(input.inputs),
      input_hashes: Object.fromEntries(
        Object.entries(input.inputs).map(([key, value]) => [key, hashJson(value)]),
      ),
    },
    outputs: {
      ...(options.hashesOnly === true ? {} : { response }),
      response_hash: hashJson(input.outputs),
      tool_calls: toolCalls,
    },
    metrics: {
      duration_ms: count(input.durationMs ?? sum(calls, (call) => call.latency_ms), 'durationMs', true),
      tokens_input: sum(calls, (call) => call.tokens_input),
      tokens_output: sum(calls, (call) => call.tokens_output),
      tool_calls_count: toolCalls.length,
      iterations: sum(calls, (call) => call.attempts),
      ai_calls_count: calls.length,
      repairs: sum(calls, (call) => call.repairs),
      cost_usd: sum(calls, (call) => call.cost_usd),
    },
    ai_calls: calls,
    replay_status: { replayed: false, replay_count: 0, match_status: 'not_replayed' },
  };
}

function modelConfig(model: SnapshotModelConfig, mode: ExecutionMode): ExecutionSnapshot['config'] {
  if (!EXECUTION_MODES.includes(mode)) throw invalid('executionMode', `one of ${EXECUTION_MODES.join(', ')}`);
  const temperature = model.temperature;
  if (temperature !== undefined && !(temperature >= 0 && temperature <= 2)) {
    throw invalid('model.temperature', 'a number from 0 to 2');
  }
  if (model.topP !== undefined && !Number.isFinite(model.topP)) throw invalid('model.topP', 'a number');
  if (model.seed !== undefined && !Number.isSafeInteger(model.seed))
    throw invalid('model.seed', 'an integer');
  return {
    model: {
      id: model.id,
      ...(model.provider === undefined ? {} : { provider: model.provider }),
      ...(model.versionHint === undefined ? {} : { version: model.versionHint }),
    },
    execution_mode: mode,
    ...(temperature === undefined ? {} : { temperature }),
    ...(model.seed === undefined ? {} : { seed: model.seed }),
    ...(model.maxTokens === undefined ? {} : { max_tokens: count(model.maxTokens, 'model.maxTokens') }),
    ...(model.topP === undefined ? {} : { top_p: model.topP }),
    ...(model.stopSequences === undefined ? {} : { stop_sequences: [...model.stopSequences] }),
    ...(model.systemPrompt === undefined ? {} : { system_prompt_hash: hashJson(model.systemPrompt) }),
  };
}

function callRecord(configuredModel: string): (call: SnapshotAiCall, index: number) => AiCallRecord {
  return (call, index) => {
    const field = (name: string): string => `calls[${index}].${name}`;
    if (!(Number.isFinite(call.costUsd) && call.costUsd >= 0))
      throw invalid(field('costUsd'), 'a number ≥ 0');
    return {
      action: call.action,
      model: call.model ?? configuredModel,
      request_fingerprint: call.fingerprint,
      envelope_hash: hashJson(call.envelopeInput),
      response_hash: hashJson(call.responseText),
      tokens_input: count(call.usage.inputTokens, field('usage.inputTokens')),
      tokens_output: count(call.usage.outputTokens, field('usage.outputTokens')),
      latency_ms: count(call.latencyMs, field('latencyMs'), true),
      cost_usd: call.costUsd,
      attempts: count(call.attempts, field('attempts')),
      repairs: count(call.repairs, field('repairs')),
      tool_calls_count: call.toolCalls?.length ?? 0,
    };
  };
}

function toolCallRecord(action: string): (call: SnapshotToolCall, index: number) => SnapshotToolCallRecord {
  return (call, index) => ({
    tool: call.tool,
    action,
    input_hash: hashJson(call.input),
    output_hash: hashJson(call.output),
    timestamp: isoTime(call.at, `${action}.toolCalls[${index}].at`),
  });
}

/** The schema's `date-time` wants a zone; `toISOString` always gives one (UTC). */
function isoTime(value: Date | string, field: string): string {
  const time = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(time.getTime())) throw invalid(field, 'a valid date and time');
  return time.toISOString();
}

/** The schema types counts as integers; measured durations are rounded, counts must already be whole. */
function count(value: number, field: string, round = false): number {
  const whole = round ? Math.round(value) : value;
  if (!(Number.isSafeInteger(whole) && whole >= 0)) throw invalid(field, 'a whole number ≥ 0');
  return whole;
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}

function invalid(field: string, expected: string): AitwsError {
  return new AitwsError('VALIDATION', `Cannot build an execution snapshot: ${field} must be ${expected}.`);
}
