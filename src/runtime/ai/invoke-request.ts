/**
 * What an AI step will send, settled before anything is sent: the capability resolved to a
 * provider and model, the limits read, the prompt prepared (examples, contract instruction,
 * trimming, input safety with its events raised), data the provider may not receive refused, the
 * envelope built under its execution mode, and a call that could cost more than `cost_ceiling`
 * refused.
 */
import type { ModelProvider, ModelRequest } from '../../assistant/provider.js';
import { AitwsError } from '../../errors.js';
import type { ActionContext } from '../executor.js';
import { documentSecretNames } from '../secrets.js';
import { type AiLimits, assertWithinCeiling, checkLimits } from './budget.js';
import { DEFAULT_CAPABILITY, type ProviderRegistry, type Resolution } from './capabilities.js';
import { assertDispatchAllowed } from './classification.js';
import { buildEnvelope, type InvocationEnvelope } from './envelope.js';
import { feedbackExamples } from './feedback-examples.js';
import { feedbackScope } from './feedback-store.js';
import type { AiInvokeParams } from './invoke-params.js';
import { type PreparedPrompt, preparePrompt } from './invoke-prompt.js';
import { compileOutputContract, type OutputContract } from './output-contract.js';
import { estimateCost, type PriceTable } from './pricing.js';
import { estimateTokens, type PromptInput, renderRequest } from './prompt-plan.js';
import type { FeedbackStore, WorkflowScope } from './stores.js';

export interface RequestDependencies {
  readonly registry: ProviderRegistry;
  readonly prices: PriceTable;
  readonly maxTokensCap: number;
  readonly feedback?: FeedbackStore;
}

export interface PlannedRequest {
  readonly capability: string;
  readonly resolution: Resolution;
  readonly providerFor: (model: string | undefined) => ModelProvider;
  readonly primary: string;
  readonly limits: AiLimits;
  readonly contract?: OutputContract;
  readonly scope: WorkflowScope;
  readonly prepared: PreparedPrompt;
  readonly envelope: InvocationEnvelope;
  readonly request: ModelRequest;
}

export async function planRequest(
  context: ActionContext,
  params: AiInvokeParams,
  deps: RequestDependencies,
): Promise<PlannedRequest> {
  const capability = params.capability ?? DEFAULT_CAPABILITY;
  const resolution = deps.registry.resolve(capability, params.model);
  const providerFor = connector(context, resolution);
  const primary = resolution.model ?? providerFor(undefined).model;
  const limits = limitsOf(context, params, deps.maxTokensCap);
  const contract = contractOf(params);
  const scope = feedbackScope(context.channel, context.workflow.name);
  const count = params.feedback?.examples ?? 0;
  const examples =
    deps.feedback === undefined || count === 0
      ? []
      : await feedbackExamples(deps.feedback, scope, context.action, count);
  const prepared = preparePrompt(params, examples, contract?.instruction);
  for (const event of prepared.events)
    await context.emit('safety.violation', { ...event, action: context.action });
  if (prepared.blocked !== undefined) throw prepared.blocked;
  const input = prepared.planned.input;
  assertNoSecretValues(context, textsOf(input));
  assertDispatchAllowed({
    classifications: params.data_classification,
    compliance: resolution.provider.compliance,
    ...(params.region === undefined ? {} : { region: params.region }),
    texts: textsOf(input),
    action: context.action,
  });
  const envelope = envelopeOf(
    context,
    params,
    capability,
    primary,
    input,
    Math.min(params.max_tokens, deps.maxTokensCap),
  );
  const request = requestOf(input, envelope.control);
  if (limits.costCeiling !== undefined && deps.prices.find(primary) !== undefined) {
    const prompt = estimateTokens(request.userText + request.system.map((block) => block.text).join('\n'));
    const estimate = estimateCost(primary, prompt, envelope.control.max_tokens, { table: deps.prices });
    assertWithinCeiling(estimate, limits.costCeiling, context.action);
  }
  return {
    capability,
    resolution,
    providerFor,
    primary,
    limits,
    ...(contract === undefined ? {} : { contract }),
    scope,
    prepared,
    envelope,
    request,
  };
}

/**
 * The value of a secret the workflow uses never goes to the model, however it got into the prompt
 * (an earlier step's output echoing a header it was sent, an input someone pasted).
 */
function assertNoSecretValues(context: ActionContext, texts: readonly string[]): void {
  for (const name of documentSecretNames(context.document)) {
    let value: string;
    try {
      value = context.secret(name);
    } catch {
      continue;
    }
    if (value.length >= MIN_SECRET_LENGTH && texts.some((text) => text.includes(value)))
      throw new AitwsError(
        'FORBIDDEN',
        `${context.action}: the prompt holds the value of the secret ${name}, and secrets never go to a model. Nothing was sent.`,
        {
          hint: 'Keep the secret out of what the step sends: leave it out of the earlier output or input it comes from.',
        },
      );
  }
}

/** Shorter values would match by chance (and are masked nowhere else either). */
const MIN_SECRET_LENGTH = 4;

function limitsOf(context: ActionContext, params: AiInvokeParams, maxTokensCap: number): AiLimits {
  const checked = checkLimits(params, { maxTokensCap });
  if (checked.ok) return checked.limits;
  throw new AitwsError(
    'PARAMETER',
    `${context.action}: ${checked.problems.map((problem) => problem.message).join(' ')}`,
  );
}

function envelopeOf(
  context: ActionContext,
  params: AiInvokeParams,
  capability: string,
  primary: string,
  input: PromptInput,
  maxTokens: number,
): InvocationEnvelope {
  return buildEnvelope({
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

function textsOf(input: PromptInput): string[] {
  return [input.system, ...input.formatting, ...input.context.map((block) => block.text), input.user];
}
