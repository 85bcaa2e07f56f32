/**
 * The end of an AI step: its record written (what the snapshot, /results and feedback read),
 * spending charged to the workspace once, a drift sample counted (and `drift_detected` raised when
 * the action's declared metric crosses its threshold), and the answer either passed on or held for
 * people to review when its confidence is too low or a safety rule asked for it.
 */
import { AitwsError } from '../../errors.js';
import type { AiMetrics } from '../../metrics.js';
import type { ActionContext, ActionOutcome } from '../executor.js';
import { humanApprovalExecutor } from '../executors/human-approval.js';
import { approvalParams } from '../executors/human-approval-params.js';
import type { JsonObject, JsonValue } from '../run-store.js';
import type { InvocationEnvelope } from './envelope.js';
import type { FallbackSwitch } from './fallback.js';
import type { Accounting, Answer, EnsembleAnswer } from './invoke-answer.js';
import type { AiInvokeParams } from './invoke-params.js';
import type { PreparedPrompt } from './invoke-prompt.js';
import { type AiStepRecord, aiRecordKey, readAiStepRecord } from './record.js';
import type { SafetyViolationEvent } from './safety.js';
import type { DriftStore, DriftSummary, WorkflowScope, WorkspaceBudget } from './stores.js';

export interface StepResult {
  readonly capability: string;
  readonly provider: string;
  readonly primary: string;
  readonly envelope: InvocationEnvelope;
  readonly fingerprint: string;
  readonly prepared: PreparedPrompt;
  /** The answer's safety findings (the prompt's are in `prepared`). */
  readonly outputEvents: readonly SafetyViolationEvent[];
  readonly answer: Answer;
  readonly switches: readonly FallbackSwitch[];
  readonly ensemble?: Omit<EnsembleAnswer, 'answer'> & { readonly vote: string };
  readonly accounting: Accounting;
  readonly confidence?: number;
  readonly escalate: boolean;
  readonly generation: number;
  readonly contractKind: 'schema' | 'regex' | undefined;
}

export interface FinishDependencies {
  readonly budget?: WorkspaceBudget;
  readonly metrics?: AiMetrics;
  readonly drift?: DriftStore;
  readonly scope: WorkflowScope;
}

/** An escalated answer of this generation waiting on people: no model is asked again. */
export async function resumeEscalation(
  context: ActionContext,
  params: AiInvokeParams,
  generation: number,
): Promise<ActionOutcome | undefined> {
  const stored = await context.readRunMemo(aiRecordKey(context.stepKey));
  const record = stored === null ? undefined : readAiStepRecord(stored.value);
  if (record === undefined || !record.escalated || record.generation !== generation) return undefined;
  return escalate(context, params, record);
}

export async function finishStep(
  context: ActionContext,
  params: AiInvokeParams,
  result: StepResult,
  deps: FinishDependencies,
): Promise<ActionOutcome> {
  const record = recordOf(context, result);
  await writeRecord(context, record);
  const { accounting } = result;
  if (deps.budget !== undefined && accounting.fresh > 0)
    await deps.budget.charge(
      context.channel.workspace,
      accounting.freshCost,
      `${context.idempotencyKey}#g${result.generation}`,
    );
  if (deps.drift !== undefined) await countDrift(context, params, record, deps.drift, deps.scope);
  deps.metrics?.aiStep({
    model: record.model,
    requests: accounting.fresh,
    answeredWithout: accounting.attempts.length - accounting.fresh,
    inputTokens: accounting.freshInputTokens,
    outputTokens: accounting.freshOutputTokens,
    costUsd: accounting.freshCost,
    // A step answered wholly from its journal (a resume, a cached replay) repeats no work.
    repairs: accounting.fresh === 0 ? 0 : record.repairs,
    escalated: accounting.fresh > 0 && record.escalated,
  });
  if (record.escalated) return escalate(context, params, record);
  return { kind: 'done', output: outputOf(record) };
}

function recordOf(context: ActionContext, result: StepResult): AiStepRecord {
  const { accounting, answer, envelope, prepared } = result;
  const input = envelope.input;
  return {
    action: context.action,
    capability: result.capability,
    provider: result.provider,
    model: answer.model,
    configured_model: result.primary,
    execution_mode: envelope.execution_mode,
    control: controlOf(envelope.control),
    correlation_id: envelope.correlation_id,
    origin: { ...envelope.origin },
    fingerprint: result.fingerprint,
    input: JSON.parse(JSON.stringify(input)) as Record<string, unknown>,
    system: input.system,
    response_text: answer.text,
    ...(result.contractKind === 'schema' ? { value: answer.value } : {}),
    ...(result.confidence === undefined ? {} : { confidence: result.confidence }),
    stop_reason: answer.stopReason,
    usage: { input_tokens: accounting.inputTokens, output_tokens: accounting.outputTokens },
    cost_usd: accounting.cost,
    latency_ms: accounting.latency,
    attempts: accounting.attempts.map((attempt) => ({ ...attempt, reasons: [...attempt.reasons] })),
    repairs: answer.repairs,
    switches: result.switches.map((item) => ({ ...item })),
    cached: accounting.fresh === 0,
    truncations: prepared.planned.truncations,
    trimmed: prepared.planned.trimmed.map((entry) => ({ block: entry.block, action: entry.action })),
    safety: [...prepared.events, ...result.outputEvents].map((event) => ({
      kind: event.kind,
      stage: event.stage,
      decision: event.decision,
      count: event.count,
    })),
    ...(result.ensemble === undefined
      ? {}
      : {
          ensemble: {
            vote: result.ensemble.vote,
            winner: result.ensemble.winner,
            members: result.ensemble.members,
            reason: result.ensemble.reason,
          },
        }),
    escalated: result.escalate,
    generation: result.generation,
    at: context.now().toISOString(),
  };
}

function controlOf(control: InvocationEnvelope['control']): AiStepRecord['control'] {
  const { stop, ...rest } = control;
  return stop === undefined ? rest : { ...rest, stop: [...stop] };
}

async function writeRecord(context: ActionContext, record: AiStepRecord): Promise<void> {
  const key = aiRecordKey(context.stepKey);
  const value = JSON.parse(JSON.stringify(record)) as JsonObject;
  for (let tries = 0; tries < 10; tries += 1) {
    const stored = await context.readRunMemo(key);
    if (await context.writeRunMemo(key, stored?.revision ?? 0, value)) return;
  }
  throw new AitwsError(
    'CONFLICT',
    `${context.action}: could not record the AI call; the step will be retried.`,
    {
      retryable: true,
    },
  );
}

/**
 * What later steps read: `{{ steps.Classify.output.value.label }}`, `output.text`,
 * `output.confidence`. Only what the answer itself determines: a cached replay must give the same
 * output, so whether it was cached and how long it took stay in the AI record.
 */
export function outputOf(record: AiStepRecord): JsonObject {
  return {
    text: record.response_text,
    ...(record.value === undefined ? {} : { value: record.value as JsonValue }),
    model: record.model,
    stop_reason: record.stop_reason,
    usage: { ...record.usage },
    ...(record.confidence === undefined ? {} : { confidence: record.confidence }),
    cost_usd: record.cost_usd,
    attempts: record.attempts.length,
    repairs: record.repairs,
    fingerprint: record.fingerprint,
  };
}

async function countDrift(
  context: ActionContext,
  params: AiInvokeParams,
  record: AiStepRecord,
  drift: DriftStore,
  scope: WorkflowScope,
): Promise<void> {
  const summary = await drift.record(scope, {
    action: context.action,
    at: record.at,
    validationFailed: record.attempts[0]?.ok === false,
    repairs: record.repairs,
    ...(record.confidence === undefined ? {} : { confidence: record.confidence }),
    latencyMs: record.latency_ms,
    costUsd: record.cost_usd,
  });
  const spec = params.drift;
  if (spec === undefined || summary.samples < spec.min_samples) return;
  const value = metricOf(summary, spec.metric);
  if (value === undefined) return;
  // Confidence drifts downwards; every other metric drifts up.
  const crossed = spec.metric === 'confidence' ? value < spec.threshold : value > spec.threshold;
  if (!crossed) return;
  await context.emit('drift_detected', {
    workflow: scope.workflow,
    action: context.action,
    metric: spec.metric,
    value,
    threshold: spec.threshold,
    samples: summary.samples,
  });
}

function metricOf(
  summary: DriftSummary,
  metric: NonNullable<AiInvokeParams['drift']>['metric'],
): number | undefined {
  return summary[metric];
}

async function escalate(
  context: ActionContext,
  params: AiInvokeParams,
  record: AiStepRecord,
): Promise<ActionOutcome> {
  if (params.approvers === undefined)
    throw new AitwsError(
      'PARAMETER',
      `${context.action}: the answer needs a person's review (${reasonOf(params, record)}), and the action names no approvers.`,
      { hint: 'Add approvers = ["Role"] to the action (the roles that review its answers).' },
    );
  const approval = approvalParams.parse({
    approvers: params.approvers,
    timeout: params.escalation_timeout,
    message: reviewMessage(context, params, record),
  });
  const outcome = await humanApprovalExecutor.run(context, approval);
  if (outcome.kind === 'wait') return outcome;
  return { kind: 'done', output: { ...outputOf(record), review: outcome.output } };
}

function reasonOf(params: AiInvokeParams, record: AiStepRecord): string {
  if (record.confidence === undefined && params.escalate_below !== undefined)
    return `no confidence given, escalate_below = ${params.escalate_below}`;
  if (
    record.confidence !== undefined &&
    params.escalate_below !== undefined &&
    record.confidence < params.escalate_below
  )
    return `confidence ${record.confidence} is below ${params.escalate_below}`;
  return 'a safety rule routes it to a person';
}

const SHOWN_CHARS = 1500;

function reviewMessage(context: ActionContext, params: AiInvokeParams, record: AiStepRecord): string {
  const text = record.response_text;
  const shown = text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
  return [
    `Review needed: ${context.action} (run ${context.runId}): ${reasonOf(params, record)}.`,
    `Answer from ${record.model}:`,
    shown,
    'Approve to let the run go on with this answer, or reject it.',
  ].join('\n');
}
