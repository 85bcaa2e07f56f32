/**
 * What an AI step sends, before anything is sent: the declared context normalised into blocks
 * (after the few-shot examples from feedback), the output contract's instruction among the
 * formatting rules, the plan trimmed to `max_context_tokens`, and the safety policy applied to
 * every text that would leave (a block stops here; redaction rewrites the text; warnings and
 * routing to a person are kept for the record).
 */
import { AitwsError } from '../../errors.js';
import { toJsonValue } from '../executors/shared.js';
import type { AiContextParam, AiInvokeParams } from './invoke-params.js';
import { embed, parseNormalise } from './normalise.js';
import { type ContextBlock, type PlannedPrompt, type PromptInput, planPrompt } from './prompt-plan.js';
import { checkPrompt, type SafetyPolicy, type SafetyViolationEvent } from './safety.js';

export interface PreparedPrompt {
  readonly planned: PlannedPrompt;
  readonly events: readonly SafetyViolationEvent[];
  /** A safety rule asked for a person to look at the answer before the run goes on. */
  readonly routeToHuman: boolean;
  /** Set when a rule blocks the prompt: thrown once the violations have been raised as events. */
  readonly blocked?: AitwsError;
}

export function preparePrompt(
  params: AiInvokeParams,
  examples: readonly ContextBlock[],
  contractInstruction: string | undefined,
): PreparedPrompt {
  const steps = parseNormalise(params.normalise);
  const blocks = [...examples, ...params.context.map((block) => contextBlock(block, steps))];
  const formatting =
    contractInstruction === undefined ? params.formatting : [...params.formatting, contractInstruction];
  const planned = planPrompt({
    system: params.system ?? '',
    formatting,
    context: blocks,
    user: params.prompt,
    ...(params.max_context_tokens === undefined ? {} : { max_context_tokens: params.max_context_tokens }),
    trim: params.trim,
  });
  if (params.safety === undefined) return { planned, events: [], routeToHuman: false };
  return applySafety(planned, params.safety);
}

function contextBlock(block: AiContextParam, steps: ReturnType<typeof parseNormalise>): ContextBlock {
  return {
    id: block.id,
    text: embed(toJsonValue(block.value, `with.context.${block.id}.value`), steps),
    provenance: { kind: block.source, ref: block.ref ?? block.id },
    ...(block.salience === undefined ? {} : { salience: block.salience }),
  };
}

/** Every text of the prompt checked on its own, so a redaction rewrites only what held the finding. */
function applySafety(planned: PlannedPrompt, policy: SafetyPolicy): PreparedPrompt {
  const events: SafetyViolationEvent[] = [];
  let routeToHuman = false;
  const screen = (text: string): string => {
    const outcome = checkPrompt(text, policy);
    events.push(...outcome.events);
    if (outcome.decision === 'route-to-human') routeToHuman = true;
    return outcome.decision === 'redact' ? outcome.text : text;
  };
  const input = planned.input;
  const screened: PromptInput = {
    system: screen(input.system),
    formatting: input.formatting.map(screen),
    context: input.context.map((block) => ({ ...block, text: screen(block.text) })),
    user: screen(input.user),
  };
  const refusal = events.some((event) => event.decision === 'block') ? blocked('input', events) : undefined;
  return {
    planned: { ...planned, input: screened },
    events,
    routeToHuman,
    ...(refusal === undefined ? {} : { blocked: refusal }),
  };
}

/** Names kinds and counts, never the text that matched. */
export function blocked(stage: 'input' | 'output', events: readonly SafetyViolationEvent[]): AitwsError {
  const found = events
    .filter((event) => event.decision === 'block')
    .map((event) => `${event.kind} ×${event.count}`)
    .join(', ');
  const what = stage === 'input' ? 'The prompt' : "The model's answer";
  return new AitwsError('AI_SAFETY', `${what} breaks the step's safety policy (${found}); it was blocked.`, {
    hint:
      stage === 'input'
        ? 'Remove that content from the inputs, or set the policy to "redact" or "warn" for it.'
        : 'Change the prompt, or set the policy to "warn" or "route-to-human" for it.',
  });
}
