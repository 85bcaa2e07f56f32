/**
 * One `ai.invoke` step under the AI contract (issue #17): plan the request (invoke-request.ts), get
 * an answer (journal, replay, cache or model; repairs, fallbacks, ensembles: invoke-answer.ts),
 * check the answer's safety and the limits, then record it, count drift and hand low-confidence
 * answers to people (invoke-finish.ts).
 */
import { AitwsError } from '../../errors.js';
import type { AiMetrics } from '../../metrics.js';
import { RETRY_MEMO } from '../engine-steps.js';
import type { ActionContext, ActionOutcome } from '../executor.js';
import { assertWithinCeiling } from './budget.js';
import { DEFAULT_CONFIDENCE_FIELD, escalationNeeded, readConfidence } from './confidence.js';
import type { EnsembleSpec } from './ensemble.js';
import { requestFingerprint } from './envelope.js';
import { expandChain, type FallbackSwitch, type ModelFallbacks } from './fallback.js';
import {
  Accounting,
  type Answer,
  type AnswerSetup,
  answerByEnsemble,
  answerWithFallback,
} from './invoke-answer.js';
import { latencyError, latencySignal, providerError } from './invoke-errors.js';
import { finishStep, resumeEscalation, type StepResult } from './invoke-finish.js';
import type { AiInvokeParams } from './invoke-params.js';
import { blocked } from './invoke-prompt.js';
import { type PlannedRequest, planRequest, type RequestDependencies } from './invoke-request.js';
import type { OutputContract } from './output-contract.js';
import { REPLAY_MEMO_KEY, replayMemoSchema } from './record.js';
import { checkOutput, type SafetyViolationEvent } from './safety.js';
import type { AiResponseCache, DriftStore, WorkspaceBudget } from './stores.js';

export interface InvokeDependencies extends RequestDependencies {
  readonly modelFallbacks?: ModelFallbacks;
  readonly cache?: AiResponseCache;
  readonly cacheTtlSeconds?: number;
  readonly budget?: WorkspaceBudget;
  readonly drift?: DriftStore;
  readonly metrics?: AiMetrics;
  /** Milliseconds, for latencies; injectable for tests. */
  readonly clock?: () => number;
}

const DEFAULT_CACHE_TTL_SECONDS = 86_400;

interface Got {
  readonly answer: Answer;
  readonly switches: readonly FallbackSwitch[];
  readonly ensemble?: NonNullable<StepResult['ensemble']>;
}

export async function invokeAi(
  context: ActionContext,
  params: AiInvokeParams,
  deps: InvokeDependencies,
): Promise<ActionOutcome> {
  const generation = (await context.readRunMemo(RETRY_MEMO))?.revision ?? 0;
  const resumed = await resumeEscalation(context, params, generation);
  if (resumed !== undefined) return resumed;
  const planned = await planRequest(context, params, deps);
  const latency = latencySignal(context, planned.limits.latencyBudgetMs);
  try {
    const setup = await answerSetup(context, params, deps, planned, latency.signal, generation);
    const accounting = new Accounting(deps.prices);
    const got: Got =
      params.ensemble === undefined
        ? await answerWithFallback(
            setup,
            accounting,
            expandChain({ primary: planned.primary, fallback: params.fallback }, deps.modelFallbacks),
          )
        : await ensembleResult(setup, accounting, params.ensemble, params.seed);
    const screened = screenOutput(params, planned.contract, got.answer.text, got.answer.value);
    for (const event of screened.events)
      await context.emit('safety.violation', { ...event, action: context.action });
    if (planned.limits.costCeiling !== undefined)
      assertWithinCeiling(accounting.cost, planned.limits.costCeiling, context.action);
    const confidence = readConfidence(screened.value, setup.confidenceField);
    const known = confidence.ok ? confidence.confidence : undefined;
    const result: StepResult = {
      capability: planned.capability,
      provider: planned.resolution.provider.name,
      primary: planned.primary,
      envelope: planned.envelope,
      fingerprint: setup.fingerprint,
      prepared: planned.prepared,
      outputEvents: screened.events,
      answer: { ...got.answer, text: screened.text, value: screened.value },
      switches: got.switches,
      ...(got.ensemble === undefined ? {} : { ensemble: got.ensemble }),
      accounting,
      ...(known === undefined ? {} : { confidence: known }),
      escalate:
        planned.prepared.routeToHuman ||
        screened.routeToHuman ||
        escalationNeeded(known, params.escalate_below),
      generation,
      contractKind: planned.contract?.kind,
    };
    return await finishStep(context, params, result, {
      ...(deps.budget === undefined ? {} : { budget: deps.budget }),
      ...(deps.drift === undefined ? {} : { drift: deps.drift }),
      ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
      scope: planned.scope,
    });
  } catch (error) {
    if (latency.exceeded()) throw latencyError(context, planned.limits.latencyBudgetMs ?? 0);
    throw providerError(context, error);
  } finally {
    latency.dispose();
  }
}

async function answerSetup(
  context: ActionContext,
  params: AiInvokeParams,
  deps: InvokeDependencies,
  planned: PlannedRequest,
  signal: AbortSignal,
  generation: number,
): Promise<AnswerSetup> {
  const replay = await replayOf(context);
  const ttlSeconds = params.cache_ttl ?? deps.cacheTtlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
  return {
    source: {
      context,
      signal,
      generation,
      providerFor: (model) => planned.providerFor(model),
      ...(replay === undefined ? {} : { replay }),
      ...(params.cache && deps.cache !== undefined ? { cache: { store: deps.cache, ttlSeconds } } : {}),
      clock: deps.clock ?? Date.now,
    },
    fingerprint: requestFingerprint(planned.envelope),
    primary: planned.primary,
    request: planned.request,
    ...(planned.contract === undefined ? {} : { contract: planned.contract }),
    confidenceField: params.output?.confidence_field ?? DEFAULT_CONFIDENCE_FIELD,
    maxRepairs: planned.contract === undefined ? 0 : (params.repair?.max_iterations ?? 2),
    prices: deps.prices,
  };
}

async function ensembleResult(
  setup: AnswerSetup,
  accounting: Accounting,
  spec: EnsembleSpec,
  seed: number | undefined,
): Promise<Got> {
  const voted = await answerByEnsemble(setup, accounting, spec, seed);
  return {
    answer: voted.answer,
    switches: [],
    ensemble: { vote: spec.vote, winner: voted.winner, members: voted.members, reason: voted.reason },
  };
}

interface Screened {
  readonly text: string;
  readonly value: unknown;
  readonly routeToHuman: boolean;
  readonly events: readonly SafetyViolationEvent[];
}

function screenOutput(
  params: AiInvokeParams,
  contract: OutputContract | undefined,
  text: string,
  value: unknown,
): Screened {
  if (params.safety === undefined) return { text, value, routeToHuman: false, events: [] };
  const outcome = checkOutput(text, params.safety);
  const { events } = outcome;
  if (outcome.decision === 'block') throw blocked('output', events);
  if (outcome.decision !== 'redact')
    return { text, value, routeToHuman: outcome.decision === 'route-to-human', events };
  if (contract === undefined) return { text: outcome.text, value: outcome.text, routeToHuman: false, events };
  const rechecked = contract.check(outcome.text);
  if (!rechecked.ok)
    throw new AitwsError('AI_SAFETY', "Redacting the model's answer broke its output contract.", {
      hint: 'Set the policy to "block" or "route-to-human" for this step instead of "redact".',
    });
  return { text: outcome.text, value: rechecked.value, routeToHuman: false, events };
}

async function replayOf(context: ActionContext) {
  const memo = await context.readRunMemo(REPLAY_MEMO_KEY);
  if (memo === null) return undefined;
  const parsed = replayMemoSchema.safeParse(memo.value);
  if (!parsed.success) return undefined;
  const generation = (await context.readMemoOf(parsed.data.of, RETRY_MEMO))?.revision ?? 0;
  return { ...parsed.data, generation };
}
