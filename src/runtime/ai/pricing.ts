/**
 * What a model call costs (issue #17 point 5): a price table per model in USD per million tokens,
 * the cost of a finished call from its usage, and the upper bound of a call not yet made, which
 * `cost_ceiling` and the workspace budget are checked against before dispatch.
 *
 * Defaults are Anthropic's published list prices (standard tier, no batch discount), from
 * https://platform.claude.com/docs/en/about-claude/pricing and the per-model overview pages
 * (https://platform.claude.com/docs/en/models/opus-5-5/overview, .../sonnet-5-5/overview,
 * .../haiku-5-5/overview), checked 2026-12-06. Sonnet 5.5 and Opus 5.5 cache reads are 0.05× input
 * (Sonnet 5.5's was cut from $0.20 to $0.10 on 2026-10-07). Prices change: an operator overrides or
 * adds models with a JSON object (priceOverridesSchema) rather than waiting for a release.
 *
 * Cache writes are priced at the 5-minute rate: the provider port marks cache breakpoints without a
 * TTL, and the 5-minute lifetime is the API's default.
 */
import { z } from 'zod';
import type { TokenUsage } from '../../assistant/provider.js';
import { AitwsError } from '../../errors.js';

export interface TokenRates {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  readonly cacheWritePerMTok: number;
  readonly cacheReadPerMTok: number;
}

export interface ModelPrice extends TokenRates {
  /**
   * Some models (Haiku 5.5) charge more for every token of a request whose prompt (input, cache
   * reads and writes) is over a threshold.
   */
  readonly longPrompt?: TokenRates & { readonly thresholdTokens: number };
}

/** The environment variable the configuration is expected to read overrides from. */
export const PRICE_OVERRIDES_ENV = 'AITWS_AI_PRICES';

const rates = (input: number, output: number, cacheWrite: number, cacheRead: number): TokenRates => ({
  inputPerMTok: input,
  outputPerMTok: output,
  cacheWritePerMTok: cacheWrite,
  cacheReadPerMTok: cacheRead,
});

export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'claude-fable-5-1': rates(10, 50, 12.5, 0.25),
  'claude-opus-5-5': rates(4, 20, 5, 0.2),
  'claude-opus-5': rates(5, 25, 6.25, 0.5),
  'claude-sonnet-5-5': rates(2, 10, 2.5, 0.1),
  'claude-sonnet-5': rates(2, 10, 2.5, 0.2),
  'claude-haiku-5-5': {
    ...rates(0.1, 0.5, 0.125, 0.01),
    longPrompt: { thresholdTokens: 100_000, ...rates(0.5, 2.5, 0.625, 0.05) },
  },
  'claude-opus-4-5': rates(5, 25, 6.25, 0.5),
  'claude-sonnet-4-5': rates(3, 15, 3.75, 0.3),
  'claude-haiku-4-5': rates(1, 5, 1.25, 0.1),
});

const perMTok = z.number().finite().nonnegative('a price cannot be negative').max(10_000);

interface RawRates {
  readonly input: number;
  readonly output: number;
  readonly cache_write?: number | undefined;
  readonly cache_read?: number | undefined;
}

/** Cache rates left out follow Anthropic's usual ratios to the input rate (1.25× write, 0.1× read). */
function toRates(raw: RawRates): TokenRates {
  return rates(
    raw.input,
    raw.output,
    raw.cache_write ?? (raw.input * 5) / 4,
    raw.cache_read ?? raw.input / 10,
  );
}

const rateFields = {
  input: perMTok,
  output: perMTok,
  cache_write: perMTok.optional(),
  cache_read: perMTok.optional(),
};

const modelPriceSchema = z
  .strictObject({
    ...rateFields,
    long_prompt: z.strictObject({ threshold_tokens: z.number().int().positive(), ...rateFields }).optional(),
  })
  .transform((raw): ModelPrice => {
    const base = toRates(raw);
    if (raw.long_prompt === undefined) return base;
    return {
      ...base,
      longPrompt: { thresholdTokens: raw.long_prompt.threshold_tokens, ...toRates(raw.long_prompt) },
    };
  });

/**
 * `{"my-model": {"input": 3, "output": 15, "cache_read": 0.3}}`: USD per million tokens, keyed by
 * model id. An entry replaces the default for that model entirely.
 */
export const priceOverridesSchema = z.record(
  z.string().trim().min(1, 'a model id cannot be empty'),
  modelPriceSchema,
);
export type PriceOverrides = z.output<typeof priceOverridesSchema>;

/** A dated snapshot id (`claude-sonnet-4-5-20250929`) is priced as its model. */
const SNAPSHOT_SUFFIX = /-\d{8}$/;

export class PriceTable {
  private readonly prices: ReadonlyMap<string, ModelPrice>;

  constructor(
    overrides: PriceOverrides = {},
    defaults: Readonly<Record<string, ModelPrice>> = DEFAULT_PRICES,
  ) {
    this.prices = new Map([...Object.entries(defaults), ...Object.entries(overrides)]);
  }

  /** Undefined when neither the id nor, for a dated snapshot, its model is priced. */
  find(model: string): ModelPrice | undefined {
    return this.prices.get(model) ?? this.prices.get(model.replace(SNAPSHOT_SUFFIX, ''));
  }

  priceOf(model: string): ModelPrice {
    const price = this.find(model);
    if (price !== undefined) return price;
    throw new AitwsError('CONFIG', `Model ${model} has no price, so its cost cannot be checked.`, {
      hint: `Price it in ${PRICE_OVERRIDES_ENV}, e.g. {"${model}": {"input": 3, "output": 15}} (USD per million tokens).`,
      details: [`priced models: ${this.models().join(', ')}`],
    });
  }

  models(): string[] {
    return [...this.prices.keys()].sort();
  }
}

export const defaultPriceTable = new PriceTable();

/** USD for a finished call, from the usage the provider reported. */
export function costOf(model: string, usage: TokenUsage, table: PriceTable = defaultPriceTable): number {
  const price = table.priceOf(model);
  const prompt = usage.inputTokens + usage.cacheWriteTokens + usage.cacheReadTokens;
  const applied = ratesFor(price, prompt);
  return (
    (usage.inputTokens * applied.inputPerMTok +
      usage.cacheWriteTokens * applied.cacheWritePerMTok +
      usage.cacheReadTokens * applied.cacheReadPerMTok +
      usage.outputTokens * applied.outputPerMTok) /
    1_000_000
  );
}

export interface EstimateOptions {
  readonly table?: PriceTable;
}

/**
 * The most a call can cost: every input token at the dearer of the input and cache-write rates (a
 * cache breakpoint may write the whole prompt) and `maxTokens` of output.
 */
export function estimateCost(
  model: string,
  inputTokens: number,
  maxTokens: number,
  options: EstimateOptions = {},
): number {
  if (!isCount(inputTokens) || !isCount(maxTokens))
    throw new AitwsError(
      'VALIDATION',
      'Token counts for a cost estimate must be whole numbers of at least 0.',
    );
  const applied = ratesFor((options.table ?? defaultPriceTable).priceOf(model), inputTokens);
  const inputRate = Math.max(applied.inputPerMTok, applied.cacheWritePerMTok);
  return (inputTokens * inputRate + maxTokens * applied.outputPerMTok) / 1_000_000;
}

function ratesFor(price: ModelPrice, promptTokens: number): TokenRates {
  const long = price.longPrompt;
  return long !== undefined && promptTokens > long.thresholdTokens ? long : price;
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/**
 * `$0.42`; amounts under a cent keep four decimals so a small call does not read as free.
 * Pass `decimals` to show two amounts that would otherwise print alike.
 */
export function formatUsd(amount: number, decimals?: number): string {
  const places = decimals ?? (amount !== 0 && Math.abs(amount) < 0.01 ? 4 : 2);
  return `$${amount.toFixed(places)}`;
}
