/**
 * `ai.invoke`: one AI step through the provider registry (never an SDK directly), under the AI
 * contract in src/runtime/ai/invoke.ts. The output is the answer with what it took, so later
 * steps read `{{ steps.Summarise.output.text }}` or, with an output schema,
 * `{{ steps.Classify.output.value.label }}`.
 */
import type { ModelProvider } from '../../assistant/provider.js';
import { AitwsError } from '../../errors.js';
import { anthropicProvider, ProviderRegistry } from '../ai/capabilities.js';
import { applyDeterminism } from '../ai/envelope.js';
import { type InvokeDependencies, invokeAi } from '../ai/invoke.js';
import { type AiInvokeParams, aiInvokeParams, DEFAULT_AI_MAX_TOKENS_CAP } from '../ai/invoke-params.js';
import { defaultPriceTable } from '../ai/pricing.js';
import type { ActionParameters, Executor, ParameterProblem } from '../executor.js';
import { holdsAnyTemplate } from './shared.js';

export type { AiInvokeParams } from '../ai/invoke-params.js';
export { DEFAULT_AI_MAX_TOKENS, DEFAULT_AI_MAX_TOKENS_CAP } from '../ai/invoke-params.js';

export type AiInvokeOptions = Partial<InvokeDependencies> & {
  /**
   * The Anthropic port for a model (the configured default when absent); undefined: no AI
   * configured. Used to build the registry when none is given.
   */
  readonly providerFor?: (model?: string) => ModelProvider | undefined;
};

export function createAiInvokeExecutor(options: AiInvokeOptions): Executor<AiInvokeParams> {
  const { providerFor, ...given } = options;
  const deps: InvokeDependencies = {
    ...given,
    registry:
      options.registry ??
      new ProviderRegistry([anthropicProvider(providerFor === undefined ? {} : { connect: providerFor })]),
    prices: options.prices ?? defaultPriceTable,
    maxTokensCap: options.maxTokensCap ?? DEFAULT_AI_MAX_TOKENS_CAP,
  };
  return {
    type: 'ai.invoke',
    summary:
      'Asks a model: with.prompt (system, model, output contract, repair, fallback, ensemble, limits, safety); output.text and output.value.',
    params: aiInvokeParams,
    check: checkAiInvoke,
    run: (context, params) => invokeAi(context, params, deps),
  };
}

/**
 * The parameters as written, templates left out (they are rendered at run time), so a misspelt
 * field or a bad contract stops the run before it starts.
 */
export function checkAiInvoke(parameters: ActionParameters): readonly ParameterProblem[] {
  const literal = Object.fromEntries(
    Object.entries(parameters).filter(([, value]) => !holdsAnyTemplate(value)),
  );
  const parsed = aiInvokeParams.safeParse({ prompt: '-', ...literal });
  if (!parsed.success)
    return parsed.error.issues.map((issue) => ({
      field: ['with', ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
  const params = parsed.data;
  const problems: ParameterProblem[] = [];
  if (!('prompt' in parameters))
    problems.push({ field: 'with.prompt', message: 'ai.invoke needs a prompt.' });
  const routes = params.safety?.pii === 'route-to-human' || params.safety?.on_violation === 'route-to-human';
  if ((params.escalate_below !== undefined || routes) && params.approvers === undefined)
    problems.push({
      field: 'with.approvers',
      message:
        'Answers may be sent to review (escalate_below or a safety rule), so name the approvers = ["Role"] who review them.',
    });
  if (
    params.output !== undefined &&
    (params.output.schema === undefined) === (params.output.regex === undefined)
  )
    problems.push({ field: 'with.output', message: 'output needs exactly one of schema or regex.' });
  const sampling = ['execution_mode', 'seed', 'temperature', 'top_p'];
  const rendered = sampling.some((field) => holdsAnyTemplate(parameters[field]));
  const mode = rendered ? undefined : determinismProblem(params);
  if (mode !== undefined) problems.push({ field: 'with.execution_mode', message: mode });
  return problems;
}

/** `strict` without a seed, or with a temperature, is refused before the run, not at the step. */
function determinismProblem(params: AiInvokeParams): string | undefined {
  try {
    applyDeterminism(
      {
        max_tokens: params.max_tokens,
        ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
        ...(params.top_p === undefined ? {} : { top_p: params.top_p }),
        ...(params.seed === undefined ? {} : { seed: params.seed }),
      },
      params.execution_mode,
    );
    return undefined;
  } catch (error) {
    if (error instanceof AitwsError) return `${error.message} ${error.hint ?? ''}`.trim();
    throw error;
  }
}
