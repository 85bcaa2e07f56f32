/**
 * The variables of AI steps (issue #17), part of the `runtime` configuration: only subcommands that
 * run workflows read them. Each refusal names the variable (loadConfig prefixes it) and says what to
 * write instead, since a bad price list or data class is easy to get slightly wrong.
 */
import { z } from 'zod';
import { DATA_CLASSES, type DataClass } from './runtime/ai/classification.js';
import { type PriceOverrides, PriceTable, priceOverridesSchema } from './runtime/ai/pricing.js';
import { DEFAULT_AI_MAX_TOKENS_CAP } from './runtime/executors/ai-invoke.js';

export const DEFAULT_AI_CACHE_TTL_SECONDS = 86_400;

export interface AiConfig {
  /** USD per workspace per month; undefined: no budget (runs are not checked against one). */
  readonly budgetUsd: number | undefined;
  /** The default prices with AITWS_AI_PRICES applied. */
  readonly prices: PriceTable;
  readonly priceOverrides: PriceOverrides;
  /** Data classes the Anthropic provider may receive (PUBLIC goes anywhere). */
  readonly allows: readonly DataClass[];
  /** Regions the Anthropic provider is declared to process data in. */
  readonly regions: readonly string[];
  /** How long a cached response lasts when an action does not say. */
  readonly cacheTtlSeconds: number;
  /** The most `max_tokens` an action may ask for. */
  readonly maxTokensCap: number;
}

const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');

const wholeNumber = (what: string, example: string) =>
  z
    .string()
    .trim()
    .regex(/^[1-9]\d{0,9}$/, `must be ${what} as a whole number above 0, e.g. ${example}`)
    .transform(Number);

const budget = z
  .string()
  .trim()
  .regex(
    /^(\d+(\.\d+)?|\.\d+)$/,
    'must be USD per workspace per month as a plain number, e.g. 50 or 12.50 (no $); leave it unset for no budget',
  )
  .transform(Number);

const PRICE_EXAMPLE = '{"claude-sonnet-5-5": {"input": 2, "output": 10}}';

/** JSON refused by its first problem, with where in the object it is. */
const prices = z.string().transform((value, context): PriceOverrides => {
  const refuse = (problem: string): never => {
    context.addIssue({
      code: 'custom',
      message: `${problem}; write a JSON object of model id → USD per million tokens, e.g. ${PRICE_EXAMPLE} (cache_write, cache_read and long_prompt are optional)`,
    });
    return z.NEVER;
  };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return refuse('is not JSON');
  }
  const parsed = priceOverridesSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const at = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
  return refuse(`is not a price list${at}: ${issue?.message ?? 'unreadable'}`);
});

const dataClasses = z
  .string()
  .transform((value) => commaList(value).map((entry) => entry.toUpperCase()))
  .refine((entries) => entries.every((entry) => (DATA_CLASSES as readonly string[]).includes(entry)), {
    message: `must be a comma-separated list of ${DATA_CLASSES.join(', ')} (what your agreement with Anthropic allows it to receive), e.g. PUBLIC,PROPRIETARY`,
  })
  .transform((entries) => entries as DataClass[]);

const regions = z
  .string()
  .transform(commaList)
  .refine((entries) => entries.every((entry) => /^[A-Za-z0-9_-]{1,64}$/.test(entry)), {
    message: 'must be a comma-separated list of region names (letters, digits, - and _), e.g. us,eu',
  });

/** Merged into the environment schema of config.ts. */
export const AI_ENV_SHAPE = {
  AITWS_AI_BUDGET_USD: budget.optional(),
  AITWS_AI_PRICES: prices.optional(),
  AITWS_AI_ALLOWS: dataClasses.optional(),
  AITWS_AI_REGIONS: regions.optional(),
  AITWS_AI_CACHE_TTL: wholeNumber('seconds', '86400 for a day').optional(),
  AITWS_AI_MAX_TOKENS: wholeNumber('a number of output tokens', String(DEFAULT_AI_MAX_TOKENS_CAP)).optional(),
};

export const AI_VARIABLES = Object.keys(AI_ENV_SHAPE) as (keyof typeof AI_ENV_SHAPE)[];

type AiEnv = { readonly [K in keyof typeof AI_ENV_SHAPE]?: z.output<(typeof AI_ENV_SHAPE)[K]> };

export function aiConfig(e: AiEnv): AiConfig {
  const priceOverrides = e.AITWS_AI_PRICES ?? {};
  return {
    budgetUsd: e.AITWS_AI_BUDGET_USD,
    prices: new PriceTable(priceOverrides),
    priceOverrides,
    allows: e.AITWS_AI_ALLOWS ?? ['PUBLIC'],
    regions: e.AITWS_AI_REGIONS ?? [],
    cacheTtlSeconds: e.AITWS_AI_CACHE_TTL ?? DEFAULT_AI_CACHE_TTL_SECONDS,
    maxTokensCap: e.AITWS_AI_MAX_TOKENS ?? DEFAULT_AI_MAX_TOKENS_CAP,
  };
}
