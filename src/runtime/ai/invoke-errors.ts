/**
 * How an AI step fails in words a workflow's people can act on: the latency budget as its own
 * abort (told apart from a cancel), and provider errors named after the action that made them.
 */
import { AitwsError } from '../../errors.js';
import type { ActionContext } from '../executor.js';

export interface LatencyWatch {
  readonly signal: AbortSignal;
  exceeded(): boolean;
  dispose(): void;
}

export function latencySignal(context: ActionContext, budgetMs: number | undefined): LatencyWatch {
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

export function latencyError(context: ActionContext, budgetMs: number): AitwsError {
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
export function providerError(context: ActionContext, error: unknown): unknown {
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
