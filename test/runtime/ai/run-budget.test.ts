/**
 * The run-cost estimate: the most one pass through a document's ai.invoke actions can cost (prompt
 * as written plus declared context, max_tokens of output, every repair attempt, every model of the
 * fallback chain or the ensemble), unpriced models listed rather than counted as free, and a run
 * over what the workspace has left refused with the numbers and the costliest actions.
 */
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../../src/document/index.js';
import { AitwsError } from '../../../src/errors.js';
import { MemoryWorkspaceBudget } from '../../../src/runtime/ai/budget.js';
import { anthropicProvider, ProviderRegistry } from '../../../src/runtime/ai/capabilities.js';
import {
  defaultPriceTable,
  estimateCost,
  PriceTable,
  priceOverridesSchema,
} from '../../../src/runtime/ai/pricing.js';
import { checkRunBudget, estimateRunCost, type RunCostOptions } from '../../../src/runtime/ai/run-budget.js';

/** Round prices (USD per million tokens), cache writes at the input rate so sums are easy to follow. */
const prices = new PriceTable(
  priceOverridesSchema.parse({
    'model-a': { input: 1, output: 10, cache_write: 1 },
    'model-b': { input: 2, output: 20, cache_write: 2 },
    'model-c': { input: 4, output: 40, cache_write: 4 },
  }),
  {},
);

const registry = new ProviderRegistry([
  {
    name: 'test',
    capabilities: ['language_model.generative'],
    compliance: { provider: 'test', allows: [], regions: [] },
    models: ['model-*', 'mystery-*'],
    defaultModel: 'model-a',
  },
]);

const OPTIONS: RunCostOptions = { prices, registry, maxTokensCap: 4000, defaultMaxTokens: 1024 };

/** USD of one call: input and output tokens at the given rates per million. */
const call = (input: number, output: number, rates: readonly [number, number]): number =>
  (input * rates[0] + output * rates[1]) / 1_000_000;
const A = [1, 10] as const;
const B = [2, 20] as const;
const C = [4, 40] as const;

const DOCUMENT = `
[[stages]]
name = "Review"
[[stages.actions]]
name = "Load"
type = "transform"
with = { set = { prompt = "not an AI step" } }
[[stages.actions]]
name = "Summarise"
type = "ai.invoke"
[stages.actions.with]
prompt = "${'x'.repeat(400)}"
system = "${'y'.repeat(40)}"
formatting = ["abcd", "efgh"]
max_context_tokens = 1000
max_tokens = 2000
model = "model-a"
fallback = ["model-b"]
output = { regex = "^.+$" }
repair = { max_iterations = 2 }

[[stages]]
name = "Decide"
[[stages.actions]]
name = "Vote"
type = "ai.invoke"
with = { prompt = "hi", ensemble = { members = 3, models = ["model-a", "model-b"] } }

[[handlers]]
name = "Escalate"
action = "ai.invoke"
with = { prompt = "{{ steps.Vote.output.text }}", model = "mystery-1" }
`;

describe('estimateRunCost', () => {
  it('bounds each AI action: prompt + context in, max_tokens out, per attempt and per model tried', () => {
    const estimate = estimateRunCost(parseDocument(DOCUMENT), OPTIONS);
    // 400 + 40 bytes, "abcd\nefgh" (9 bytes → 3 tokens), then 1000 tokens of declared context.
    const input = 100 + 10 + 3 + 1000;
    const summarise = 3 * (call(input, 2000, A) + call(input, 2000, B));
    const vote = 2 * call(1, 1024, A) + call(1, 1024, B);
    expect(estimate.actions).toEqual([
      {
        where: 'stages[Review].actions[Summarise]',
        model: 'model-a',
        models: ['model-a', 'model-b'],
        attempts: 3,
        estimate: expect.closeTo(summarise, 12),
      },
      {
        where: 'stages[Decide].actions[Vote]',
        model: 'model-a',
        models: ['model-a', 'model-b', 'model-a'],
        attempts: 1,
        estimate: expect.closeTo(vote, 12),
      },
      { where: 'handlers[Escalate]', model: 'mystery-1', models: ['mystery-1'], attempts: 1, estimate: 0 },
    ]);
    expect(estimate.total).toBeCloseTo(summarise + vote, 12);
    expect(estimate.unpriced).toEqual([{ where: 'handlers[Escalate]', model: 'mystery-1' }]);
  });

  it('takes templates as written, the cap for max_tokens over it or unreadable, and repairs only with a contract', () => {
    const document = parseDocument(`
[[stages]]
name = "S"
[[stages.actions]]
name = "Big"
type = "ai.invoke"
with = { prompt = "{{ inputs.text }}", max_tokens = 100000, output = { regex = "^yes|no$" } }
[[stages.actions]]
name = "Templated"
type = "ai.invoke"
with = { prompt = "{{ inputs.text }}", max_tokens = "{{ inputs.n }}", output = { regex = "^ok$" }, repair = { max_iterations = 99 } }
[[stages.actions]]
name = "Chained"
type = "ai.invoke"
with = { prompt = "{{ inputs.text }}", model = "model-b", max_tokens = 10, repair = { max_iterations = 3 } }
`);
    const estimate = estimateRunCost(document, {
      ...OPTIONS,
      modelFallbacks: { 'model-b': ['model-c'], 'model-c': ['model-a'] },
    });
    // "{{ inputs.text }}" is 17 bytes: 5 tokens.
    expect(estimate.actions.map((action) => [action.models, action.attempts, action.estimate])).toEqual([
      [['model-a'], 3, expect.closeTo(3 * call(5, 4000, A), 12)],
      [['model-a'], 6, expect.closeTo(6 * call(5, 4000, A), 12)],
      [
        ['model-b', 'model-c', 'model-a'],
        1,
        expect.closeTo(call(5, 10, B) + call(5, 10, C) + call(5, 10, A), 12),
      ],
    ]);
    expect(estimate.unpriced).toEqual([]);
  });

  it('prices Claude models from the default table and lists a model with no default as unpriced', () => {
    const document = parseDocument(`
[[stages]]
name = "S"
[[stages.actions]]
name = "Ask"
type = "ai.invoke"
with = { prompt = "abcdefgh", model = "claude-sonnet-5-5", max_tokens = 500 }
[[stages.actions]]
name = "Default"
type = "ai.invoke"
with = { prompt = "abcdefgh" }
`);
    const estimate = estimateRunCost(document, {
      prices: defaultPriceTable,
      registry: new ProviderRegistry([anthropicProvider()]),
      maxTokensCap: 8192,
      defaultMaxTokens: 1024,
    });
    expect(estimate.total).toBe(estimateCost('claude-sonnet-5-5', 2, 500));
    expect(estimate.unpriced).toEqual([{ where: 'stages[S].actions[Default]', model: '(default model)' }]);
  });

  it('is zero for a document without AI steps', () => {
    const estimate = estimateRunCost(
      parseDocument(DOCUMENT.split('[[stages.actions]]\nname = "Summarise"')[0] ?? ''),
      OPTIONS,
    );
    expect(estimate).toEqual({ total: 0, actions: [], unpriced: [] });
  });
});

describe('checkRunBudget', () => {
  const estimate = estimateRunCost(parseDocument(DOCUMENT), OPTIONS);

  it('returns what is left when the run fits', async () => {
    const budget = new MemoryWorkspaceBudget(1);
    await budget.charge('T1', 0.25, 'run-1');
    await expect(checkRunBudget(budget, 'T1', estimate)).resolves.toBe(0.75);
  });

  it('refuses a run over what is left with the numbers and the costliest actions', async () => {
    const budget = new MemoryWorkspaceBudget((workspace) => (workspace === 'T1' ? 0.2 : 10));
    await budget.charge('T1', 0.15, 'run-1');
    const error = await checkRunBudget(budget, 'T1', estimate).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AitwsError);
    expect((error as AitwsError).message).toBe(
      'This run may cost up to $0.23; the workspace has $0.05 left this month.',
    );
    expect(error).toMatchObject({
      code: 'BUDGET_EXHAUSTED',
      retryable: false,
      hint: expect.stringContaining('raise the workspace budget'),
      details: [
        `estimate: ${estimate.total}`,
        expect.stringMatching(/^remaining: 0\.0500/),
        'stages[Review].actions[Summarise] (model-a): up to $0.19',
        'stages[Decide].actions[Vote] (model-a): up to $0.04',
        'handlers[Escalate]: mystery-1 has no price',
      ],
    });
    await expect(checkRunBudget(budget, 'T2', estimate)).resolves.toBe(10);
  });
});
