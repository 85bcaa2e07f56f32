/**
 * Prices, costs and limits: the default table and its overrides, the cost of a call from its usage,
 * the upper bound of one not yet made, limit validation, the cost ceiling and the workspace budget
 * refusing a run with the numbers in the message.
 */
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import {
  assertRunAffordable,
  assertWithinCeiling,
  assertWithinLatency,
  checkLimits,
  MemoryWorkspaceBudget,
} from '../../../src/runtime/ai/budget.js';
import {
  costOf,
  DEFAULT_PRICES,
  estimateCost,
  formatUsd,
  PriceTable,
  priceOverridesSchema,
} from '../../../src/runtime/ai/pricing.js';

function refusal(run: () => unknown): AitwsError {
  try {
    run();
  } catch (error) {
    if (error instanceof AitwsError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const usage = { inputTokens: 1_000_000, cacheWriteTokens: 0, cacheReadTokens: 0, outputTokens: 1_000_000 };

describe('price table', () => {
  it('prices current Claude models, dated snapshots as their model', () => {
    expect(costOf('claude-sonnet-5-5', usage)).toBeCloseTo(12);
    expect(costOf('claude-opus-5-5', usage)).toBeCloseTo(24);
    expect(costOf('claude-sonnet-4-5-20250929', usage)).toBeCloseTo(18);
    expect(Object.keys(DEFAULT_PRICES)).toContain('claude-haiku-5-5');
  });

  it('prices each token kind at its own rate', () => {
    const cost = costOf('claude-sonnet-5-5', {
      inputTokens: 1000,
      cacheWriteTokens: 2000,
      cacheReadTokens: 10_000,
      outputTokens: 500,
    });
    expect(cost).toBeCloseTo((1000 * 2 + 2000 * 2.5 + 10_000 * 0.1 + 500 * 10) / 1e6, 12);
  });

  it('charges the long-prompt rates on every token of a long Haiku 5.5 request', () => {
    const short = costOf('claude-haiku-5-5', { ...usage, inputTokens: 100_000, outputTokens: 0 });
    const long = costOf('claude-haiku-5-5', { ...usage, inputTokens: 100_001, outputTokens: 1000 });
    expect(short).toBeCloseTo(0.01, 10);
    expect(long).toBeCloseTo((100_001 * 0.5 + 1000 * 2.5) / 1e6, 10);
  });

  it('refuses an unknown model with a clear error unless an override prices it', () => {
    const error = refusal(() => costOf('gpt-x', usage));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toBe('Model gpt-x has no price, so its cost cannot be checked.');
    expect(error.hint).toContain('{"gpt-x": {"input": 3, "output": 15}}');
    const table = new PriceTable(priceOverridesSchema.parse({ 'gpt-x': { input: 3, output: 15 } }));
    expect(costOf('gpt-x', usage, table)).toBeCloseTo(18);
    expect(table.priceOf('gpt-x')).toEqual({
      inputPerMTok: 3,
      outputPerMTok: 15,
      cacheWritePerMTok: 3.75,
      cacheReadPerMTok: 0.3,
    });
  });

  it('lets an override replace a default and parses long-prompt tiers', () => {
    const overrides = priceOverridesSchema.parse({
      'claude-sonnet-5-5': { input: 1, output: 2, cache_write: 1, cache_read: 0 },
      big: { input: 1, output: 1, long_prompt: { threshold_tokens: 10, input: 2, output: 2 } },
    });
    const table = new PriceTable(overrides);
    expect(costOf('claude-sonnet-5-5', usage, table)).toBeCloseTo(3);
    expect(table.priceOf('big').longPrompt).toEqual({
      thresholdTokens: 10,
      inputPerMTok: 2,
      outputPerMTok: 2,
      cacheWritePerMTok: 2.5,
      cacheReadPerMTok: 0.2,
    });
  });

  it('refuses malformed overrides', () => {
    expect(priceOverridesSchema.safeParse({ m: { input: -1, output: 1 } }).success).toBe(false);
    expect(priceOverridesSchema.safeParse({ m: { input: 1 } }).success).toBe(false);
    expect(priceOverridesSchema.safeParse({ m: { input: 1, output: 1, extra: 1 } }).success).toBe(false);
    expect(priceOverridesSchema.safeParse({ '': { input: 1, output: 1 } }).success).toBe(false);
  });

  it('estimates an upper bound: input at the cache-write rate, all of max_tokens as output', () => {
    expect(estimateCost('claude-sonnet-5-5', 10_000, 1000)).toBeCloseTo((10_000 * 2.5 + 1000 * 10) / 1e6, 12);
    expect(estimateCost('claude-sonnet-5-5', 10_000, 1000)).toBeGreaterThanOrEqual(
      costOf('claude-sonnet-5-5', {
        inputTokens: 10_000,
        cacheWriteTokens: 0,
        cacheReadTokens: 0,
        outputTokens: 1000,
      }),
    );
    expect(refusal(() => estimateCost('claude-sonnet-5-5', -1, 10)).code).toBe('VALIDATION');
  });

  it('formats small amounts so they do not read as free', () => {
    expect(formatUsd(0.42)).toBe('$0.42');
    expect(formatUsd(0.0042)).toBe('$0.0042');
    expect(formatUsd(0)).toBe('$0.00');
  });
});

describe('limits', () => {
  it('reads max_tokens, latency_budget with the duration parser, and cost_ceiling', () => {
    expect(checkLimits({ max_tokens: 512n, latency_budget: '30s', cost_ceiling: '$0.50' })).toEqual({
      ok: true,
      limits: { maxTokens: 512, latencyBudgetMs: 30_000, costCeiling: 0.5 },
    });
    expect(checkLimits({})).toEqual({ ok: true, limits: {} });
    expect(checkLimits({ latency_budget: '1m 30s', cost_ceiling: 2 })).toEqual({
      ok: true,
      limits: { latencyBudgetMs: 90_000, costCeiling: 2 },
    });
  });

  it('reports every malformed limit by field', () => {
    const check = checkLimits(
      { max_tokens: 0, latency_budget: 'soon', cost_ceiling: '-1' },
      { maxTokensCap: 100 },
    );
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.problems.map((problem) => problem.field)).toEqual([
      'max_tokens',
      'latency_budget',
      'cost_ceiling',
    ]);
    expect(check.problems[1]?.message).toContain('"soon" is not a duration');
    const capped = checkLimits({ max_tokens: 200 }, { maxTokensCap: 100 });
    expect(capped).toEqual({
      ok: false,
      problems: [{ field: 'max_tokens', message: 'max_tokens is 200; the most allowed is 100.' }],
    });
  });

  it('refuses a call over its cost ceiling or latency budget with the numbers', () => {
    expect(() => assertWithinCeiling(0.1, 0.5)).not.toThrow();
    expect(() => assertWithinCeiling(5, undefined)).not.toThrow();
    const error = refusal(() => assertWithinCeiling(0.42, 0.25, 'Summarise'));
    expect(error.code).toBe('LIMIT');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('Action Summarise may cost up to $0.42, over its cost_ceiling of $0.25.');
    const slow = refusal(() => assertWithinLatency(45_000, 30_000, 'Summarise'));
    expect(slow.message).toBe('Action Summarise took 45s, over its latency_budget of 30s.');
  });
});

describe('workspace budget', () => {
  it('refuses a run whose estimated cost exceeds what is left, with the numbers', async () => {
    const budget = new MemoryWorkspaceBudget(1);
    await budget.charge('T1', 0.9, 'run-1/Summarise#1');
    const remaining = await budget.remaining('T1');
    expect(remaining).toBeCloseTo(0.1);
    const error = refusal(() => assertRunAffordable(0.42, remaining));
    expect(error.code).toBe('BUDGET_EXHAUSTED');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('This run may cost up to $0.42; the workspace has $0.10 left this month.');
    expect(() => assertRunAffordable(0.05, remaining)).not.toThrow();
  });

  it('shows more decimals when two amounts would print alike', () => {
    const error = refusal(() => assertRunAffordable(0.1004, 0.1001));
    expect(error.message).toBe('This run may cost up to $0.1004; the workspace has $0.1001 left this month.');
  });

  it('charges each idempotency key once, per workspace, never below zero', async () => {
    const budget = new MemoryWorkspaceBudget((workspace) => (workspace === 'big' ? 10 : 1));
    await budget.charge('small', 0.6, 'k');
    await budget.charge('small', 0.6, 'k');
    expect(await budget.remaining('small')).toBeCloseTo(0.4);
    await budget.charge('small', 5, 'k2');
    expect(await budget.remaining('small')).toBe(0);
    expect(await budget.remaining('big')).toBe(10);
    await expect(budget.charge('big', -1, 'neg')).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});
