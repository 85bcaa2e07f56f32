/**
 * Capabilities and providers (issue #17 point 1): `ai.invoke` declares what it needs
 * (`capability = "vision.image_caption"`) rather than who serves it, and this registry says which
 * configured provider does, for which models, under which declared compliance. A capability
 * nobody offers is refused at pre-flight (preflightAi) and, should a run get that far, at dispatch
 * with the same deterministic message.
 *
 * Providers are tried in registration order, so the same configuration always resolves the same
 * way. The error code is AI_UNAVAILABLE (errors.ts has no capability code and is not ours to edit),
 * with retryable false: a missing provider is configuration, not a passing outage.
 */
import type { ModelProvider } from '../../assistant/provider.js';
import type { TomlTable, TomlValue } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import type { PreflightProblem } from '../plan-types.js';
import { checkLimits } from './budget.js';
import type { ProviderCompliance } from './classification.js';
import { ensembleSchema } from './ensemble.js';
import { checkFallback, type ModelFallbacks } from './fallback.js';
import { classificationProblems } from './preflight-classification.js';
import { defaultPriceTable, formatUsd, type PriceTable } from './pricing.js';

export const CAPABILITIES = [
  'language_model.generative',
  'vision.image_caption',
  'embedding.vectorize',
  'audio.transcribe',
] as const;
export type KnownCapability = (typeof CAPABILITIES)[number];

export const DEFAULT_CAPABILITY: KnownCapability = 'language_model.generative';

export interface ProviderEntry {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly compliance: ProviderCompliance;
  /** Model ids served; an entry ending in `*` matches every id it prefixes (`claude-*`). */
  readonly models: readonly string[];
  /** The model used when an action names none. */
  readonly defaultModel?: string;
  /** The port for a model; absent in pre-flight-only registries. */
  readonly connect?: (model: string | undefined) => ModelProvider | undefined;
}

export interface Resolution {
  readonly provider: ProviderEntry;
  /** The action's model, else the provider's default; undefined leaves it to the provider port. */
  readonly model: string | undefined;
}

export interface AnthropicOptions {
  readonly defaultModel?: string;
  readonly connect?: ProviderEntry['connect'];
  /**
   * What may be sent; by default PUBLIC only, since which data classes may go to Anthropic is the
   * operator's agreement with them, not something this code can know.
   */
  readonly allows?: ProviderCompliance['allows'];
  readonly regions?: readonly string[];
}

/** The built-in provider: Claude models, for generative text and image captioning. */
export function anthropicProvider(options: AnthropicOptions = {}): ProviderEntry {
  return {
    name: 'anthropic',
    capabilities: ['language_model.generative', 'vision.image_caption'],
    compliance: {
      provider: 'anthropic',
      allows: options.allows ?? ['PUBLIC'],
      regions: options.regions ?? [],
    },
    models: ['claude-*'],
    ...(options.defaultModel === undefined ? {} : { defaultModel: options.defaultModel }),
    ...(options.connect === undefined ? {} : { connect: options.connect }),
  };
}

export class ProviderRegistry {
  readonly entries: readonly ProviderEntry[];

  constructor(entries: readonly ProviderEntry[] = [anthropicProvider()]) {
    const names = new Set<string>();
    for (const entry of entries) {
      if (names.has(entry.name))
        throw new AitwsError('CONFIG', `Provider ${entry.name} is registered twice.`, {
          hint: 'Give each provider its own name.',
        });
      names.add(entry.name);
    }
    this.entries = entries;
  }

  /** The first provider offering `capability` (and serving `model`, when given), or why none does. */
  check(capability: string, model?: string): Resolution | AitwsError {
    const offering = this.entries.filter((entry) => entry.capabilities.includes(capability));
    if (offering.length === 0) return noProvider(capability, this.entries);
    if (model === undefined) {
      const [provider] = offering as [ProviderEntry];
      return { provider, model: provider.defaultModel };
    }
    const provider = offering.find((entry) => serves(entry, model));
    return provider === undefined ? noModel(capability, model, offering) : { provider, model };
  }

  resolve(capability: string, model?: string): Resolution {
    const found = this.check(capability, model);
    if (found instanceof AitwsError) throw found;
    return found;
  }
}

export function resolveCapability(
  registry: ProviderRegistry,
  capability: string,
  model?: string,
): Resolution {
  return registry.resolve(capability, model);
}

function serves(entry: ProviderEntry, model: string): boolean {
  return entry.models.some((pattern) =>
    pattern.endsWith('*') ? model.startsWith(pattern.slice(0, -1)) : pattern === model,
  );
}

function describeProviders(entries: readonly ProviderEntry[]): string {
  if (entries.length === 0) return 'none';
  return entries.map((entry) => `${entry.name} (${entry.capabilities.join(', ')})`).join('; ');
}

function noProvider(capability: string, entries: readonly ProviderEntry[]): AitwsError {
  const known = (CAPABILITIES as readonly string[]).includes(capability);
  const what = known ? '' : ` (not a known capability; known: ${CAPABILITIES.join(', ')})`;
  return new AitwsError(
    'AI_UNAVAILABLE',
    `No provider offers ${capability}${what}; configured: ${describeProviders(entries)}.`,
    { hint: "Configure a provider that offers it, or change the action's capability." },
  );
}

function noModel(capability: string, model: string, offering: readonly ProviderEntry[]): AitwsError {
  const served = offering.map((entry) => `${entry.name} serves ${entry.models.join(', ')}`).join('; ');
  return new AitwsError(
    'AI_UNAVAILABLE',
    `No provider offers ${capability} with model ${model}; ${served}.`,
    {
      hint: 'Name a model one of these providers serves, or leave model out to use the default.',
    },
  );
}

/** An `ai.invoke` action as pre-flight sees it (Runnable in preflight-actions.ts has this shape). */
export interface AiActionSite {
  /** `stages[Review].actions[Summarise]`. */
  readonly where: string;
  readonly type: string;
  readonly parameters: TomlTable;
}

export interface AiPreflightOptions {
  readonly registry: ProviderRegistry;
  readonly prices?: PriceTable;
  readonly modelFallbacks?: ModelFallbacks;
  readonly maxTokensCap?: number;
}

/**
 * Capability, fallback, ensemble, data classification and limit problems of every `ai.invoke`
 * action, in action order then field order. Each field the action does not write is left alone; template values
 * (`{{ ... }}`) in these fields are not rendered at pre-flight and are taken as written.
 */
export function preflightAi(
  actions: readonly AiActionSite[],
  options: AiPreflightOptions,
): PreflightProblem[] {
  return actions.filter((site) => site.type === 'ai.invoke').flatMap((site) => checkAction(site, options));
}

function checkAction(site: AiActionSite, options: AiPreflightOptions): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const at = (field: string): string => `${site.where}.with.${field}`;
  const push = (field: string, message: string): void => {
    problems.push({ code: 'PARAMETER', where: at(field), message });
  };
  const params = site.parameters;
  if (params.capability !== undefined && text(params.capability) === undefined)
    push('capability', `capability must be a name such as "${DEFAULT_CAPABILITY}".`);
  const capability = text(params.capability) ?? DEFAULT_CAPABILITY;
  const model = text(params.model);
  const primary = options.registry.check(capability, model);
  if (primary instanceof AitwsError) {
    push(model === undefined ? 'capability' : 'model', primary.message);
    return problems;
  }
  const modelOf = primary.model;
  const fallback = stringList(params.fallback);
  if (params.fallback !== undefined && fallback === undefined)
    push('fallback', 'fallback must be a list of model ids.');
  for (const found of checkFallback(
    { primary: modelOf ?? '(default model)', fallback: fallback ?? [] },
    options.modelFallbacks,
  ))
    push('fallback', found.message);
  for (const other of fallback ?? []) servedProblem(options.registry, capability, other, 'fallback', push);
  const ensemble = ensembleProblems(params.ensemble, options.registry, capability, push);
  const reached = [
    primary,
    ...[...(fallback ?? []), ...ensemble].map((other) => options.registry.check(capability, other)),
  ];
  classificationProblems(
    params,
    reached.flatMap((found) => (found instanceof AitwsError ? [] : [found.provider.compliance])),
    push,
  );
  const limits = checkLimits(
    params,
    options.maxTokensCap === undefined ? {} : { maxTokensCap: options.maxTokensCap },
  );
  if (!limits.ok) for (const found of limits.problems) push(found.field, found.message);
  else if (limits.limits.costCeiling !== undefined && modelOf !== undefined)
    ceilingProblems(modelOf, limits.limits, options.prices ?? defaultPriceTable, push);
  return problems;
}

function servedProblem(
  registry: ProviderRegistry,
  capability: string,
  model: string,
  field: string,
  push: (field: string, message: string) => void,
): void {
  const found = registry.check(capability, model);
  if (found instanceof AitwsError) push(field, found.message);
}

/** The ensemble's models, once each (none when it is absent or malformed). */
function ensembleProblems(
  value: TomlValue | undefined,
  registry: ProviderRegistry,
  capability: string,
  push: (field: string, message: string) => void,
): string[] {
  if (value === undefined) return [];
  const parsed = ensembleSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      push(['ensemble', ...issue.path.map(String)].join('.'), `ensemble: ${issue.message}`);
    return [];
  }
  const models = [...new Set(parsed.data.models)];
  for (const model of models) servedProblem(registry, capability, model, 'ensemble.models', push);
  return models;
}

/** Output alone (max_tokens at the output rate) already over the ceiling can never pass. */
function ceilingProblems(
  model: string,
  limits: { readonly maxTokens?: number; readonly costCeiling?: number },
  prices: PriceTable,
  push: (field: string, message: string) => void,
): void {
  const price = prices.find(model);
  if (price === undefined) {
    push(
      'cost_ceiling',
      `cost_ceiling needs a price for ${model}, and it has none; price it in the price table.`,
    );
    return;
  }
  const ceiling = limits.costCeiling ?? Number.POSITIVE_INFINITY;
  if (limits.maxTokens === undefined) return;
  const outputCost = (limits.maxTokens * price.outputPerMTok) / 1_000_000;
  if (outputCost > ceiling)
    push(
      'cost_ceiling',
      `max_tokens = ${limits.maxTokens} on ${model} may cost up to ${formatUsd(outputCost)} in output alone, over the cost_ceiling of ${formatUsd(ceiling)}.`,
    );
}

function text(value: TomlValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function stringList(value: TomlValue | undefined): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.every((item) => typeof item === 'string')
    ? value.map((item) => (item as string).trim())
    : undefined;
}
