/**
 * Capabilities and providers: Anthropic built in for generative text and vision, deterministic
 * resolution in registration order, refusals that name what is configured, and preflightAi
 * reporting capability, fallback, ensemble and limit problems with where they are.
 */
import { describe, expect, it } from 'vitest';
import type { ModelProvider, ModelRequest, ModelResponse } from '../../../src/assistant/provider.js';
import type { TomlTable } from '../../../src/document/types.js';
import { AitwsError } from '../../../src/errors.js';
import {
  anthropicProvider,
  type ProviderEntry,
  ProviderRegistry,
  preflightAi,
  resolveCapability,
} from '../../../src/runtime/ai/capabilities.js';

const fakeProvider = (model: string): ModelProvider => ({
  model,
  async complete(request: ModelRequest): Promise<ModelResponse> {
    return {
      model,
      content: [{ type: 'text', text: `echo ${request.userText}` }],
      stopReason: 'end_turn',
      usage: { inputTokens: 1, cacheWriteTokens: 0, cacheReadTokens: 0, outputTokens: 1 },
    };
  },
});

const embedder: ProviderEntry = {
  name: 'local-embed',
  capabilities: ['embedding.vectorize'],
  compliance: { provider: 'local-embed', allows: ['PII', 'PHI', 'PROPRIETARY'], regions: ['eu'] },
  models: ['mini-embed'],
  defaultModel: 'mini-embed',
};

function refusal(run: () => unknown): AitwsError {
  try {
    run();
  } catch (error) {
    if (error instanceof AitwsError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('provider registry', () => {
  it('has Anthropic built in for generative text and vision, PUBLIC data only by default', () => {
    const registry = new ProviderRegistry();
    const found = resolveCapability(registry, 'vision.image_caption', 'claude-sonnet-5-5');
    expect(found.provider.name).toBe('anthropic');
    expect(found.model).toBe('claude-sonnet-5-5');
    expect(found.provider.compliance).toEqual({ provider: 'anthropic', allows: ['PUBLIC'], regions: [] });
  });

  it('refuses a capability nobody offers with a deterministic message naming what is configured', () => {
    const error = refusal(() => resolveCapability(new ProviderRegistry(), 'embedding.vectorize'));
    expect(error.code).toBe('AI_UNAVAILABLE');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      'No provider offers embedding.vectorize; configured: anthropic (language_model.generative, vision.image_caption).',
    );
    expect(refusal(() => resolveCapability(new ProviderRegistry(), 'vision.ocr')).message).toContain(
      'not a known capability',
    );
  });

  it('refuses a model no provider of the capability serves', () => {
    const error = refusal(() => new ProviderRegistry().resolve('language_model.generative', 'gpt-x'));
    expect(error.message).toBe(
      'No provider offers language_model.generative with model gpt-x; anthropic serves claude-*.',
    );
  });

  it('resolves in registration order, with the default model and the port', async () => {
    const registry = new ProviderRegistry([
      anthropicProvider({
        defaultModel: 'claude-sonnet-5-5',
        connect: (model) => fakeProvider(model ?? 'none'),
      }),
      embedder,
      { ...embedder, name: 'second', capabilities: ['language_model.generative'], models: ['*'] },
    ]);
    expect(registry.resolve('embedding.vectorize')).toMatchObject({ model: 'mini-embed' });
    const generative = registry.resolve('language_model.generative');
    expect(generative.provider.name).toBe('anthropic');
    expect(generative.model).toBe('claude-sonnet-5-5');
    const port = generative.provider.connect?.(generative.model);
    const answer = await port?.complete({ system: [], tools: [], userText: 'hi', maxTokens: 5 });
    expect(answer?.content).toEqual([{ type: 'text', text: 'echo hi' }]);
    expect(registry.resolve('language_model.generative', 'llama-9').provider.name).toBe('second');
    expect(refusal(() => new ProviderRegistry([embedder, embedder])).code).toBe('CONFIG');
  });
});

describe('preflightAi', () => {
  const registry = new ProviderRegistry([anthropicProvider({ defaultModel: 'claude-sonnet-5-5' }), embedder]);
  const site = (name: string, parameters: TomlTable, type = 'ai.invoke') => ({
    where: `stages[Review].actions[${name}]`,
    type,
    parameters,
  });

  it('passes well-formed AI actions and ignores other types', () => {
    const problems = preflightAi(
      [
        site('Summarise', {
          prompt: 'Summarise',
          model: 'claude-sonnet-5-5',
          fallback: ['claude-haiku-5-5'],
          max_tokens: 512n,
          latency_budget: '30s',
          cost_ceiling: 0.5,
          ensemble: { members: 3n, models: ['claude-sonnet-5-5', 'claude-opus-5-5'], vote: 'majority' },
        }),
        site('Embed', { prompt: 'x', capability: 'embedding.vectorize' }),
        site('Notify', { capability: 'nonsense' }, 'chat.notify'),
      ],
      { registry },
    );
    expect(problems).toEqual([]);
  });

  it('lists capability, fallback-cycle, ensemble and limit problems with where', () => {
    const problems = preflightAi(
      [
        site('Caption', { prompt: 'x', capability: 'audio.transcribe' }),
        site('Classify', {
          prompt: 'x',
          model: 'claude-sonnet-5-5',
          fallback: ['claude-haiku-5-5', 'gpt-x'],
          ensemble: { models: ['claude-opus-5-5'], vote: 'loudest' },
          max_tokens: 100_000n,
          cost_ceiling: '$0.01',
        }),
        site('Loop', {
          prompt: 'x',
          model: 'claude-opus-5-5',
          fallback: ['claude-sonnet-5-5'],
          latency_budget: 'soon',
        }),
      ],
      { registry, modelFallbacks: { 'claude-sonnet-5-5': ['claude-opus-5-5'] } },
    );
    expect(problems).toEqual([
      {
        code: 'PARAMETER',
        where: 'stages[Review].actions[Caption].with.capability',
        message:
          'No provider offers audio.transcribe; configured: anthropic (language_model.generative, vision.image_caption); local-embed (embedding.vectorize).',
      },
      {
        code: 'PARAMETER',
        where: 'stages[Review].actions[Classify].with.fallback',
        message: 'No provider offers language_model.generative with model gpt-x; anthropic serves claude-*.',
      },
      {
        code: 'PARAMETER',
        where: 'stages[Review].actions[Classify].with.ensemble.vote',
        message: 'ensemble: vote must be "majority" or "field:NAME"',
      },
      {
        code: 'PARAMETER',
        where: 'stages[Review].actions[Classify].with.cost_ceiling',
        message:
          'max_tokens = 100000 on claude-sonnet-5-5 may cost up to $1.00 in output alone, over the cost_ceiling of $0.01.',
      },
      {
        code: 'PARAMETER',
        where: 'stages[Review].actions[Loop].with.fallback',
        message:
          'fallback chain has a cycle: claude-opus-5-5 → claude-sonnet-5-5 → claude-opus-5-5. Remove one of these fallbacks.',
      },
      {
        code: 'PARAMETER',
        where: 'stages[Review].actions[Loop].with.latency_budget',
        message: expect.stringContaining('latency_budget: "soon" is not a duration'),
      },
    ]);
  });

  it('names the model field when the model is the problem, and malformed fields', () => {
    expect(preflightAi([site('A', { prompt: 'x', model: 'gpt-x' })], { registry })).toEqual([
      {
        code: 'PARAMETER',
        where: 'stages[Review].actions[A].with.model',
        message: 'No provider offers language_model.generative with model gpt-x; anthropic serves claude-*.',
      },
    ]);
    const anything = new ProviderRegistry([
      anthropicProvider(),
      { ...embedder, capabilities: ['language_model.generative'], models: ['*'] },
    ]);
    const malformed = site('B', {
      prompt: 'x',
      fallback: 'claude-haiku-5-5',
      capability: 3n,
      cost_ceiling: 1,
      model: 'mystery-1',
    });
    expect(
      preflightAi([malformed], { registry: anything }).map((problem) => [problem.where, problem.message]),
    ).toEqual([
      [
        'stages[Review].actions[B].with.capability',
        'capability must be a name such as "language_model.generative".',
      ],
      ['stages[Review].actions[B].with.fallback', 'fallback must be a list of model ids.'],
      [
        'stages[Review].actions[B].with.cost_ceiling',
        'cost_ceiling needs a price for mystery-1, and it has none; price it in the price table.',
      ],
    ]);
  });
});
