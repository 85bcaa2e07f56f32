/**
 * The run-cost estimate (issue #17 point 5): the most one pass through a document's `ai.invoke`
 * actions (its stages' actions and the handlers that run `ai.invoke` with their own `with`) can
 * cost, checked against what the workspace has left before the run starts.
 *
 * Per action: the prompt as written (prompt, system, formatting; templates are not rendered, so
 * `{{ ... }}` counts as its own text) plus `max_context_tokens` when declared, since context is only
 * known once the run is under way; `max_tokens` (or the default, never above the cap) of output;
 * every attempt of the repair loop; and every model the worst case tries: each ensemble member, or
 * else the primary and its whole fallback chain. A malformed limit counts as its largest allowed
 * value, so an estimate is never lowered by a mistake pre-flight will report anyway.
 *
 * One pass: a backward branch may run stages again and a handler may rerun a stage's action; those
 * depend on what happens in the run and are bounded at dispatch by each action's cost_ceiling.
 *
 * A model without a price cannot be bounded: it adds 0 and is listed in `unpriced`, so the caller
 * can say so rather than pretend the run is free.
 */

import { isTable } from '../../document/tree.js';
import type { AitwsDocument, TomlTable, TomlValue } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import { stageRunnables } from '../preflight-actions.js';
import { readWith } from '../preflight-fields.js';
import { handlerTarget } from '../preflight-handlers.js';
import { integerOf, type Outline, readOutline } from '../preflight-outline.js';
import { assertRunAffordable, type WorkspaceBudget } from './budget.js';
import { type AiActionSite, DEFAULT_CAPABILITY, type ProviderRegistry } from './capabilities.js';
import { ensembleSchema, planEnsemble } from './ensemble.js';
import { expandChain, type ModelFallbacks } from './fallback.js';
import { estimateCost, formatUsd, type PriceTable } from './pricing.js';
import { estimateTokens } from './prompt-plan.js';
import { REPAIR_LIMITS } from './repair.js';

export interface RunCostOptions {
  readonly prices: PriceTable;
  readonly registry: ProviderRegistry;
  /** The most `max_tokens` may be; larger values are cut to it, as the executor does. */
  readonly maxTokensCap: number;
  /** Output tokens of an action that declares no `max_tokens`. */
  readonly defaultMaxTokens: number;
  /** Model-level fallbacks from configuration, followed as the run would. */
  readonly modelFallbacks?: ModelFallbacks;
}

export interface ActionCostEstimate {
  /** `stages[Review].actions[Summarise]` or `handlers[Alert]`. */
  readonly where: string;
  /** The primary model (an ensemble's first member's), `(default model)` when none resolves. */
  readonly model: string;
  /** USD, every priced model tried; 0 when none is priced. */
  readonly estimate: number;
  /** Every model the worst case tries, in order (ensemble members, or primary then fallbacks). */
  readonly models: readonly string[];
  readonly attempts: number;
}

export interface RunCostEstimate {
  /** USD: the sum of the actions' estimates. */
  readonly total: number;
  /** In plan order (stage actions), then handlers in document order. */
  readonly actions: readonly ActionCostEstimate[];
  /** Models tried that have no price: their cost is not in `total`, so the bound is not one. */
  readonly unpriced: readonly { readonly where: string; readonly model: string }[];
}

const UNRESOLVED_MODEL = '(default model)';
const MAX_COUNTED_TOKENS = 1_000_000_000;

export function estimateRunCost(document: AitwsDocument, options: RunCostOptions): RunCostEstimate {
  const outline = readOutline(document);
  const sites = [...stageRunnables(outline), ...handlerSites(outline)].filter(
    (site) => site.type === 'ai.invoke',
  );
  const actions: ActionCostEstimate[] = [];
  const unpriced: { where: string; model: string }[] = [];
  for (const site of sites) {
    const action = estimateAction(site, options);
    actions.push(action.estimate);
    for (const model of action.unpriced) unpriced.push({ where: site.where, model });
  }
  return { total: actions.reduce((sum, action) => sum + action.estimate, 0), actions, unpriced };
}

/** Handlers that run an action type with their own `with` (one naming a stage action reruns it). */
function handlerSites(outline: Outline): AiActionSite[] {
  return outline.handlers.entries.flatMap((entry) => {
    const target = handlerTarget(entry, outline);
    if (target.kind !== 'type') return [];
    const read = readWith(entry.table.with);
    return [{ where: entry.where, type: target.type, parameters: read.ok ? read.value : {} }];
  });
}

function estimateAction(
  site: AiActionSite,
  options: RunCostOptions,
): { estimate: ActionCostEstimate; unpriced: string[] } {
  const params = site.parameters;
  const models = modelsTried(params, options);
  const inputTokens = promptTokens(params);
  const outputTokens = outputTokensOf(params.max_tokens, options);
  const attempts = 1 + repairIterations(params);
  let estimate = 0;
  const unpriced: string[] = [];
  for (const model of models) {
    if (model === UNRESOLVED_MODEL || options.prices.find(model) === undefined) {
      if (!unpriced.includes(model)) unpriced.push(model);
      continue;
    }
    estimate += attempts * estimateCost(model, inputTokens, outputTokens, { table: options.prices });
  }
  const model = models[0] ?? UNRESOLVED_MODEL;
  return { estimate: { where: site.where, model, estimate, models, attempts }, unpriced };
}

/** Ensemble members (one entry per member, models round-robin), else the expanded fallback chain. */
function modelsTried(params: TomlTable, options: RunCostOptions): string[] {
  const ensemble = ensembleSchema.safeParse(params.ensemble);
  if (params.ensemble !== undefined && ensemble.success)
    return planEnsemble(ensemble.data).map((member) => member.model);
  const capability = text(params.capability) ?? DEFAULT_CAPABILITY;
  const declared = text(params.model);
  const resolved = options.registry.check(capability, declared);
  const primary =
    declared ?? (resolved instanceof AitwsError ? undefined : resolved.model) ?? UNRESOLVED_MODEL;
  const fallback = Array.isArray(params.fallback)
    ? params.fallback.flatMap((item) => (typeof item === 'string' && item.trim() !== '' ? [item.trim()] : []))
    : [];
  return expandChain({ primary, fallback }, options.modelFallbacks);
}

function promptTokens(params: TomlTable): number {
  const written = [params.prompt, params.system, params.formatting]
    .map(writtenText)
    .filter((part) => part !== '');
  const context = integerOf(params.max_context_tokens);
  const prompt = written.reduce((sum, part) => sum + estimateTokens(part), 0);
  // No model reads more than this; the clamp keeps an absurd declaration a huge estimate, not a throw.
  return prompt + (context !== undefined && context > 0 ? Math.min(context, MAX_COUNTED_TOKENS) : 0);
}

/** A string as written, a list of strings one a line (`formatting`); anything else is no text. */
function writtenText(value: TomlValue | undefined): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((item) => typeof item === 'string').join('\n');
  return '';
}

function outputTokensOf(value: TomlValue | undefined, options: RunCostOptions): number {
  if (value === undefined) return Math.min(options.defaultMaxTokens, options.maxTokensCap);
  const count = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : integerOf(value);
  if (count === undefined || count < 1) return options.maxTokensCap;
  return Math.min(count, options.maxTokensCap);
}

/**
 * Repairs happen only on an output contract, as in the executor: without `output` an action has one
 * attempt; with it, `repair.max_iterations` or its default, the maximum when that is malformed.
 */
function repairIterations(params: TomlTable): number {
  const { repair, output } = params;
  if (output === undefined) return 0;
  if (repair === undefined) return REPAIR_LIMITS.defaultMaxIterations;
  if (!isTable(repair)) return REPAIR_LIMITS.maxIterations;
  if (repair.max_iterations === undefined) return REPAIR_LIMITS.defaultMaxIterations;
  const count = integerOf(repair.max_iterations);
  return count !== undefined && count >= 0 && count <= REPAIR_LIMITS.maxIterations
    ? count
    : REPAIR_LIMITS.maxIterations;
}

function text(value: TomlValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** How many of the costliest actions a refusal names. */
const NAMED_ACTIONS = 3;

/**
 * Throws BUDGET_EXHAUSTED (before anything is dispatched) when `estimate.total` is more than
 * `workspace` has left, with both amounts and the costliest actions in the details; otherwise
 * returns what is left.
 */
export async function checkRunBudget(
  budget: WorkspaceBudget,
  workspace: string,
  estimate: RunCostEstimate,
): Promise<number> {
  const remaining = await budget.remaining(workspace);
  try {
    assertRunAffordable(estimate.total, remaining);
  } catch (error) {
    if (!(error instanceof AitwsError)) throw error;
    const costliest = [...estimate.actions]
      .filter((action) => action.estimate > 0)
      .sort((a, b) => b.estimate - a.estimate || a.where.localeCompare(b.where))
      .slice(0, NAMED_ACTIONS)
      .map((action) => `${action.where} (${action.model}): up to ${formatUsd(action.estimate)}`);
    const unpriced = estimate.unpriced.map((item) => `${item.where}: ${item.model} has no price`);
    throw new AitwsError(error.code, error.message, {
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      details: [...error.details, ...costliest, ...unpriced],
    });
  }
  return remaining;
}
