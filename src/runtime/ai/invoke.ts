/**
 * One `ai.invoke` step under the AI contract (issue #17): resolve the capability to a provider,
 * prepare the prompt (context, examples, contract instruction, trimming, safety), refuse data the
 * provider may not receive, build the envelope and its fingerprint, get an answer (journal, replay,
 * cache or model; repairs, fallbacks, ensembles), check the answer's safety and the limits, record
 * everything in the step's AI record, count drift, and hand low-confidence answers to people.
 */
import type { ModelProvider, ModelRequest } from '../../assistant/provider.js';
import { AitwsError } from '../../errors.js';
import { RETRY_MEMO } from '../engine-steps.js';
import type { ActionContext, ActionOutcome } from '../executor.js';
import { assertWithinCeiling, checkLimits } from './budget.js';
import { DEFAULT_CAPABILITY, type ProviderRegistry, type Resolution } from './capabilities.js';
import { assertDispatchAllowed } from './classification.js';
import { DEFAULT_CONFIDENCE_FIELD, escalationNeeded, readConfidence } from './confidence.js';
import { buildEnvelope, requestFingerprint } from './envelope.js';
import { expandChain, type ModelFallbacks } from './fallback.js';
import { feedbackExamples } from './feedback-examples.js';
import { Accounting, type AnswerSetup, answerByEnsemble, answerWithFallback } from './invoke-answer.js';
import { finishStep, resumeEscalation, type StepResult } from './invoke-finish.js';
import type { AiInvokeParams } from './invoke-params.js';
import { blocked, preparePrompt } from './invoke-prompt.js';
import { compileOutputContract, type OutputContract } from './output-contract.js';
import { estimateCost, type PriceTable } from './pricing.js';
import { estimateTokens, type PromptInput, renderRequest } from './prompt-plan.js';
import { REPLAY_MEMO_KEY, replayMemoSchema } from './record.js';
import { checkOutput } from './safety.js';
import type { AiResponseCache, DriftStore, FeedbackStore, WorkspaceBudget } from './stores.js';

export interface InvokeDependencies {
  readonly registry: ProviderRegistry;
  readonly prices: PriceTable;
  readonly maxTokensCap: number;
  readonly modelFallbacks?: ModelFallbacks;
  readonly cache?: AiResponseCache;
  readonly cacheTtlSeconds?: number;
  readonly budget?: WorkspaceBudget;
  readonly drift?: DriftStore;
  readonly feedback?: FeedbackStore;
  /** Milliseconds, for latencies; injectable for tests. */
  readonly clock?: () => number;
}

const DEFAULT_CACHE_TTL_SECONDS = 86_400;

export async function invokeAi(
  context: ActionContext,
  params: AiInvokeParams,
  deps: InvokeDependencies,
): Promise<ActionOutcome> {
  const generation = (await context.readRunMemo(RETRY_MEMO))?.revision ?? 0;
  const resumed = await resumeEscalation(context, params, generation);
  if (resumed !== undefined) return resumed;
  const capability = params.capability ?? DEFAULT_CAPABILITY;
  const resolution = deps.registry.resolve(capability, params.model);
  const providerFor = connector(context, resolution);
  const primary = resolution.model ?? providerFor(undefined).model;
  const limits = checkLimits(params, { maxTokensCap: deps.maxTokensCap });
  if (!limits.ok)
    throw new AitwsError(
      'PARAMETER',
      `${context.action}: ${limits.problems.map((p) => p.message).join(' ')}`,
    );
  const maxTokens = Math.min(params.max_tokens, deps.maxTokensCap);
  const contract = contractOf(params);
  const scope = { channel: channelText(context), workflow: context.workflow.name };
  const examples =
    params.feedback === undefined || deps.feedback === undefined || params.feedback.examples === 0
      ? []
      : await feedbackExamples(deps.feedback, scope, context.action, params.feedback.examples);
  const prepared = preparePrompt(params, examples, contract?.instruction);
  for (const event of prepared.events)
    await context.emit('safety.violation', { ...event, action: context.action });
  if (prepared.blocked !== undefined) throw prepared.blocked;
  const input = prepared.planned.input;
  assertDispatchAllowed({
    classifications: params.data_classification,
    compliance: resolution.provider.compliance,
    ...(params.region === undefined ? {} : { region: params.region }),
    texts: textsOf(input),
    action: context.action,
  });
  const envelope = buildEnvelope({
    capability,
    model: { id: primary },
    input,
    control: {
      max_tokens: maxTokens,
      ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
      ...(params.top_p === undefined ? {} : { top_p: params.top_p }),
      ...(params.seed === undefined ? {} : { seed: params.seed }),
      ...(params.stop === undefined ? {} : { stop: params.stop }),
    },
    execution_mode: params.execution_mode,
    correlation_id: context.idempotencyKey,
    origin: {
      platform: context.channel.platform,
      workspace: context.channel.workspace,
      channel: context.channel.channel,
      run: context.runId,
      action: context.action,
      attempt: context.attempt,
    },
  });
  const request = requestOf(input, envelope.control);
  if (limits.limits.costCeiling !== undefined && deps.prices.find(primary) !== undefined)
    assertWithinCeiling(
      estimateCost(primary, estimateTokens(request.userText + systemText(request)), maxTokens, {
        table: deps.prices,
      }),
      limits.limits.costCeiling,
      context.action,
    );
  const latency = latencySignal(context, limits.limits.latencyBudgetMs);
  const replay = await replayOf(context);
  const setup: AnswerSetup = {
    source: {
      context,
      signal: latency.signal,
      generation,
      providerFor: (model) => providerFor(model),
      ...(replay === undefined ? {} : { replay }),
      ...(params.cache && deps.cache !== undefined
        ? {
            cache: {
              store: deps.cache,
              ttlSeconds: params.cache_ttl ?? deps.cacheTtlSeconds ?? DEFAULT_CACHE_TTL_SECONDS,
            },
          }
        : {}),
      clock: deps.clock ?? Date.now,
    },
    fingerprint: requestFingerprint(envelope),
    primary,
    request,
    ...(contract === undefined ? {} : { contract }),
    confidenceField: params.output?.confidence_field ?? DEFAULT_CONFIDENCE_FIELD,
    maxRepairs: contract === undefined ? 0 : (params.repair?.max_iterations ?? 2),
    prices: deps.prices,
  };
  const accounting = new Accounting(deps.prices);
  try {
    const got =
      params.ensemble === undefined
        ? {
            ...(await answerWithFallback(
              setup,
              accounting,
              expandChain({ primary, fallback: params.fallback }, deps.modelFallbacks),
            )),
            ensemble: undefined,
          }
        : await ensembleResult(setup, accounting, params);
    const screened = screenOutput(params, contract, got.answer.text, got.answer.value);
    if (limits.limits.costCeiling !== undefined)
      assertWithinCeiling(accounting.cost, limits.limits.costCeiling, context.action);
    const confidence = readConfidence(screened.value, setup.confidenceField);
    const result: StepResult = {
      capability,
      provider: resolution.provider.name,
      primary,
      envelope,
      fingerprint: setup.fingerprint,
      prepared,
      answer: { ...got.answer, text: screened.text, value: screened.value },
      switches: got.switches,
      ...(got.ensemble === undefined ? {} : { ensemble: got.ensemble }),
      accounting,
      ...(confidence.ok && confidence.confidence !== undefined ? { confidence: confidence.confidence } : {}),
      escalate:
        prepared.routeToHuman ||
        screened.routeToHuman ||
        escalationNeeded(confidence.ok ? confidence.confidence : undefined, params.escalate_below),
      generation,
      contractKind: contract?.kind,
    };
    return await finishStep(context, params, result, {
      ...(deps.budget === undefined ? {} : { budget: deps.budget }),
      ...(deps.drift === undefined ? {} : { drift: deps.drift }),
      scope,
    });
  } catch (error) {
    if (latency.exceeded()) throw latencyError(context, limits.limits.latencyBudgetMs ?? 0);
    throw providerError(context, error);
  } finally {
    latency.dispose();
  }
}

async function ensembleResult(setup: AnswerSetup, accounting: Accounting, params: AiInvokeParams) {
  const spec = params.ensemble;
  if (spec === undefined) throw new Error('unreachable: no ensemble');
  const voted = await answerByEnsemble(setup, accounting, spec, params.seed);
  return {
    answer: voted.answer,
    switches: [],
    ensemble: { vote: spec.vote, winner: voted.winner, members: voted.members, reason: voted.reason },
  };
}

function screenOutput(
  params: AiInvokeParams,
  contract: OutputContract | undefined,
  text: string,
  value: unknown,
): { text: string; value: unknown; routeToHuman: boolean } {
  if (params.safety === undefined) return { text, value, routeToHuman: false };
  const outcome = checkOutput(text, params.safety);
  if (outcome.decision === 'block') throw blocked('output', outcome.events);
  if (outcome.decision !== 'redact')
    return { text, value, routeToHuman: outcome.decision === 'route-to-human' };
  if (contract === undefined) return { text: outcome.text, value: outcome.text, routeToHuman: false };
  const rechecked = contract.check(outcome.text);
  if (!rechecked.ok)
    throw new AitwsError('AI_SAFETY', "Redacting the model's answer broke its output contract.", {
      hint: 'Set the policy to "block" or "route-to-human" for this step instead of "redact".',
    });
  return { text: outcome.text, value: rechecked.value, routeToHuman: false };
}

function contractOf(params: AiInvokeParams): OutputContract | undefined {
  const output = params.output;
  if (output === undefined || (output.schema === undefined && output.regex === undefined)) return undefined;
  return compileOutputContract({
    ...(output.schema === undefined ? {} : { schema: output.schema }),
    ...(output.regex === undefined ? {} : { regex: output.regex }),
  });
}

function connector(
  context: ActionContext,
  resolution: Resolution,
): (model: string | undefined) => ModelProvider {
  return (model) => {
    const provider = resolution.provider.connect?.(model);
    if (provider !== undefined) return provider;
    throw new AitwsError('AI_UNAVAILABLE', `${context.action}: no model provider is configured.`, {
      hint: 'Set ANTHROPIC_API_KEY where the bot runs, then /retry the run.',
    });
  };
}

function requestOf(
  input: PromptInput,
  control: { max_tokens: number; temperature?: number; top_p?: number; stop?: readonly string[] },
): ModelRequest {
  return {
    ...renderRequest(input, control.max_tokens),
    ...(control.temperature === undefined ? {} : { temperature: control.temperature }),
    ...(control.top_p === undefined ? {} : { topP: control.top_p }),
    ...(control.stop === undefined ? {} : { stopSequences: control.stop }),
  };
}

function systemText(request: ModelRequest): string {
  return request.system.map((block) => block.text).join('\n');
}

function textsOf(input: PromptInput): string[] {
  return [input.system, ...input.formatting, ...input.context.map((block) => block.text), input.user];
}

export function channelText(context: ActionContext): string {
  const { platform, workspace, channel } = context.channel;
  return `${platform}:${workspace}:${channel}`;
}

async function replayOf(context: ActionContext) {
  const memo = await context.readRunMemo(REPLAY_MEMO_KEY);
  if (memo === null) return undefined;
  const parsed = replayMemoSchema.safeParse(memo.value);
  if (!parsed.success) return undefined;
  const generation = (await context.readMemoOf(parsed.data.of, RETRY_MEMO))?.revision ?? 0;
  return { ...parsed.data, generation };
}

function latencySignal(context: ActionContext, budgetMs: number | undefined) {
  if (budgetMs === undefined) return { signal: context.signal, exceeded: () => false, dispose: () => {} };
  const controller = new AbortController();
  let exceeded = false;
  const timer = setTimeout(() => {
    exceeded = true;
    controller.abort(new Error('latency budget exceeded'));
  }, budgetMs);
  const onAbort = (): void => controller.abort(context.signal.reason);
  context.signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    exceeded: () => exceeded && !context.signal.aborted,
    dispose: () => {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onAbort);
    },
  };
}

function latencyError(context: ActionContext, budgetMs: number): AitwsError {
  return new AitwsError(
    'LIMIT',
    `${context.action}: the model did not answer within its latency_budget of ${(budgetMs / 1000).toFixed(budgetMs % 1000 === 0 ? 0 : 1)}s.`,
    {
      hint: 'Lower max_tokens, use a faster model, or raise latency_budget.',
      details: [`latency_budget_ms: ${budgetMs}`],
    },
  );
}

/**
 * The provider's errors speak of "the assistant"; a workflow step says which action failed. Rate
 * limits stay retryable so the action's retry policy applies. Our own errors pass unchanged.
 */
function providerError(context: ActionContext, error: unknown): unknown {
  if (context.signal.aborted) return context.signal.reason;
  const action = context.action;
  if (!(error instanceof AitwsError))
    return new AitwsError('AI_UNAVAILABLE', `${action}: the model call failed.`, {
      retryable: true,
      cause: error,
    });
  switch (error.code) {
    case 'RATE_LIMITED':
      return new AitwsError('RATE_LIMITED', `${action}: the model provider is limiting requests.`, {
        retryable: true,
        cause: error,
        hint: 'A retry policy on the action (retry = { max = 3, backoff = "exponential" }) waits it out.',
      });
    case 'BUDGET_EXHAUSTED':
      return error.message.startsWith('This run')
        ? error
        : new AitwsError(
            'BUDGET_EXHAUSTED',
            `${action}: the model provider account has reached its spend limit.`,
            {
              cause: error,
              hint: 'Whoever runs this bot can raise the limit in the Anthropic Console, then /retry the run.',
            },
          );
    case 'ASSISTANT_UNAVAILABLE':
    case 'ASSISTANT_BAD_ANSWER':
      // The provider's own message is user-safe and says what went wrong (key, overload, refusal).
      return new AitwsError('AI_UNAVAILABLE', `${action}: the model call failed: ${error.message}`, {
        retryable: error.retryable,
        cause: error,
      });
    default:
      return error;
  }
}
