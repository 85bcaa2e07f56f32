/**
 * The AI step variables, read with the runtime part only: defaults when unset (no budget, PUBLIC
 * data only, a day of caching, the executor's token cap), good values shaping prices, allowed
 * data classes and regions, and every bad value refused with one line naming the variable and
 * saying what to write.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, variablesByPart } from '../../src/config.js';
import { DEFAULT_PRICES } from '../../src/runtime/ai/pricing.js';
import { DEFAULT_AI_MAX_TOKENS_CAP } from '../../src/runtime/executors/ai-invoke.js';

const ai = (env: Record<string, string>) => loadConfig(env, ['runtime']).runtime.ai;

function refusal(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env, ['runtime']);
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIG', message: 'The environment configuration is invalid.' });
    return (error as { details: readonly string[] }).details;
  }
  throw new Error('expected a refusal');
}

describe('AI configuration', () => {
  it('has defaults: no budget, default prices, PUBLIC only, no regions, a day of cache, the 8192 cap', () => {
    const config = ai({});
    expect(config).toMatchObject({
      budgetUsd: undefined,
      priceOverrides: {},
      allows: ['PUBLIC'],
      regions: [],
      cacheTtlSeconds: 86_400,
      maxTokensCap: DEFAULT_AI_MAX_TOKENS_CAP,
    });
    expect(DEFAULT_AI_MAX_TOKENS_CAP).toBe(8192);
    expect(config.prices.find('claude-sonnet-5-5')).toEqual(DEFAULT_PRICES['claude-sonnet-5-5']);
  });

  it('reads a budget, price overrides, allowed classes, regions, a TTL and a cap', () => {
    const config = ai({
      AITWS_AI_BUDGET_USD: ' 12.50 ',
      AITWS_AI_PRICES:
        '{"my-model": {"input": 3, "output": 15}, "claude-sonnet-5-5": {"input": 1, "output": 2}}',
      AITWS_AI_ALLOWS: 'public, pii,PROPRIETARY',
      AITWS_AI_REGIONS: 'us, eu-west-1',
      AITWS_AI_CACHE_TTL: '600',
      AITWS_AI_MAX_TOKENS: '4096',
    });
    expect(config.budgetUsd).toBe(12.5);
    expect(config.prices.find('my-model')).toEqual({
      inputPerMTok: 3,
      outputPerMTok: 15,
      cacheWritePerMTok: 3.75,
      cacheReadPerMTok: 0.3,
    });
    expect(config.prices.find('claude-sonnet-5-5')?.outputPerMTok).toBe(2);
    expect(config.prices.find('claude-opus-5-5')).toEqual(DEFAULT_PRICES['claude-opus-5-5']);
    expect(config.allows).toEqual(['PUBLIC', 'PII', 'PROPRIETARY']);
    expect(config.regions).toEqual(['us', 'eu-west-1']);
    expect(config.cacheTtlSeconds).toBe(600);
    expect(config.maxTokensCap).toBe(4096);
    expect(ai({ AITWS_AI_BUDGET_USD: '0' }).budgetUsd).toBe(0);
  });

  it.each([
    ['AITWS_AI_BUDGET_USD', '$50', 'e.g. 50 or 12.50 (no $)'],
    ['AITWS_AI_BUDGET_USD', '', 'leave it unset for no budget'],
    ['AITWS_AI_BUDGET_USD', '-3', 'as a plain number'],
    ['AITWS_AI_PRICES', '{my-model: 3}', 'is not JSON; write a JSON object of model id'],
    ['AITWS_AI_PRICES', '{"m": {"input": -1, "output": 2}}', 'at m.input: a price cannot be negative'],
    ['AITWS_AI_PRICES', '{"m": {"input": 1}}', 'is not a price list at m.output'],
    ['AITWS_AI_PRICES', '[1, 2]', 'is not a price list'],
    ['AITWS_AI_ALLOWS', 'PUBLIC,SECRET', 'list of PII, PHI, PROPRIETARY, PUBLIC'],
    ['AITWS_AI_REGIONS', 'us east', 'list of region names'],
    ['AITWS_AI_CACHE_TTL', '1h', 'e.g. 86400 for a day'],
    ['AITWS_AI_CACHE_TTL', '0', 'whole number above 0'],
    ['AITWS_AI_MAX_TOKENS', '8k', 'e.g. 8192'],
  ])('refuses %s=%j, naming it and the fix', (name, value, fix) => {
    const details = refusal({ [name]: value });
    expect(details).toHaveLength(1);
    expect(details[0]).toMatch(new RegExp(`^${name}: `));
    expect(details[0]).toContain(fix);
  });

  it('is read only by subcommands that read the runtime part', () => {
    expect(loadConfig({ AITWS_AI_PRICES: 'nonsense' }, ['storage', 'limits']).runtime.ai.maxTokensCap).toBe(
      DEFAULT_AI_MAX_TOKENS_CAP,
    );
    expect(variablesByPart().runtime).toEqual(
      expect.arrayContaining([
        'AITWS_AI_BUDGET_USD',
        'AITWS_AI_PRICES',
        'AITWS_AI_ALLOWS',
        'AITWS_AI_REGIONS',
        'AITWS_AI_CACHE_TTL',
        'AITWS_AI_MAX_TOKENS',
      ]),
    );
  });
});
