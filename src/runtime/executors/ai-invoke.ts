/**
 * `ai.invoke`: one model call through the provider port (never an SDK directly). The prompt is the
 * user turn and `system` the system prompt; the output is the answer's text with the model, why it
 * stopped and the tokens used, so later steps read `{{ steps.Summarise.output.text }}`.
 *
 * The full AI step contract (prompt plans, output contracts, budgets) is a later issue; this is
 * the minimal call the runtime needs now.
 */
import { z } from 'zod';
import type { ModelProvider, ModelResponse } from '../../assistant/provider.js';
import { AitwsError } from '../../errors.js';
import type { ActionContext, ActionOutcome, Executor } from '../executor.js';
import type { JsonObject } from '../run-store.js';

export const DEFAULT_AI_MAX_TOKENS = 1024;
export const DEFAULT_AI_MAX_TOKENS_CAP = 8192;

export interface AiInvokeOptions {
  /** The provider for `model` (the configured default model when absent); undefined: no AI configured. */
  readonly providerFor: (model?: string) => ModelProvider | undefined;
  /** The most `max_tokens` an action may ask for; larger requests are cut to this. Default 8192. */
  readonly maxTokensCap?: number;
}

const positiveCount = z
  .union([z.number(), z.string().regex(/^\d+$/, 'expected a whole number').transform(Number)])
  .pipe(z.number().int('expected a whole number').min(1, 'must be at least 1'));

const aiInvokeParams = z.strictObject({
  prompt: z.string().trim().min(1, 'the prompt cannot be empty'),
  system: z.string().optional(),
  max_tokens: positiveCount.default(DEFAULT_AI_MAX_TOKENS),
  model: z.string().trim().min(1, 'name a model or leave model out').optional(),
});

export type AiInvokeParams = z.output<typeof aiInvokeParams>;

export function createAiInvokeExecutor(options: AiInvokeOptions): Executor<AiInvokeParams> {
  const cap = options.maxTokensCap ?? DEFAULT_AI_MAX_TOKENS_CAP;
  return {
    type: 'ai.invoke',
    summary: 'Asks the model one question: with.prompt (and system, max_tokens, model); output.text.',
    params: aiInvokeParams,
    async run(context: ActionContext, params: AiInvokeParams): Promise<ActionOutcome> {
      const provider = options.providerFor(params.model);
      if (provider === undefined)
        throw new AitwsError('AI_UNAVAILABLE', `${context.action}: no model provider is configured.`, {
          hint: 'Set ANTHROPIC_API_KEY where the bot runs, then /retry the run.',
        });
      const response = await call(context, provider, {
        system: params.system === undefined || params.system === '' ? [] : [{ text: params.system }],
        tools: [],
        userText: params.prompt,
        maxTokens: Math.min(params.max_tokens, cap),
      });
      return { kind: 'done', output: outputOf(response) };
    },
  };
}

/**
 * The provider port takes no AbortSignal yet, so a cancelled or timed-out step stops waiting at
 * once while the request itself runs to its own timeout in the background.
 */
async function call(
  context: ActionContext,
  provider: ModelProvider,
  request: Parameters<ModelProvider['complete']>[0],
): Promise<ModelResponse> {
  const { signal } = context;
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([provider.complete(request), aborted]);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw providerError(context, error);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

function outputOf(response: ModelResponse): JsonObject {
  const text = response.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  const { usage } = response;
  return {
    text,
    model: response.model,
    stop_reason: response.stopReason,
    usage: {
      input_tokens: usage.inputTokens + usage.cacheWriteTokens + usage.cacheReadTokens,
      output_tokens: usage.outputTokens,
    },
  };
}

/**
 * The provider's errors speak of "the assistant" and say nothing was changed; a workflow step says
 * which action failed. Rate limits stay retryable so the action's retry policy applies.
 */
function providerError(context: ActionContext, error: unknown): AitwsError {
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
      return new AitwsError(
        'BUDGET_EXHAUSTED',
        `${action}: the model provider account has reached its spend limit.`,
        {
          cause: error,
          hint: 'Whoever runs this bot can raise the limit in the Anthropic Console, then /retry the run.',
        },
      );
    default:
      // The provider's own message is user-safe and says what went wrong (key, overload, refusal).
      return new AitwsError('AI_UNAVAILABLE', `${action}: the model call failed: ${error.message}`, {
        retryable: error.retryable,
        cause: error,
      });
  }
}
