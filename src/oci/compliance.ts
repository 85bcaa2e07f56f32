/**
 * The compliance profile of a workflow (issue #18, the manifest contract): what data its AI steps
 * handle, which models and providers they may reach, where they must run, and what its
 * `[ai_governance]` table declares. It is read from the document alone (plus the provider registry
 * that says who serves a model), so a policy can judge an artifact without running it.
 *
 * Read leniently, like pre-flight's outline: a malformed value is left out here, since validation
 * and pre-flight refuse such a document before it is ever approved and packaged.
 */
import { isTable } from '../document/tree.js';
import type { AitwsDocument, TomlTable, TomlValue } from '../document/types.js';
import { AitwsError } from '../errors.js';
import { type AiActionSite, DEFAULT_CAPABILITY, ProviderRegistry } from '../runtime/ai/capabilities.js';
import { ensembleSchema } from '../runtime/ai/ensemble.js';
import { expandChain, type ModelFallbacks } from '../runtime/ai/fallback.js';
import { stageRunnables } from '../runtime/preflight-actions.js';
import { readWith } from '../runtime/preflight-fields.js';
import { handlerTarget } from '../runtime/preflight-handlers.js';
import { type Outline, readOutline } from '../runtime/preflight-outline.js';

export interface ComplianceProfile {
  /** `data_classification` of every ai.invoke action, upper-cased, sorted, once each. */
  readonly dataClassifications: readonly string[];
  /** Providers serving any model below (or the default model of an action that names none). */
  readonly modelProviders: readonly string[];
  /** Every model an action may call: its model, its fallback chain, its ensemble's models. */
  readonly models: readonly string[];
  /** The `region` ai.invoke actions require. */
  readonly regions: readonly string[];
  /** `[ai_governance]` flattened: `data_privacy` → `GDPR`, nested keys dotted, arrays comma-joined. */
  readonly aiGovernance: Readonly<Record<string, string>>;
}

export interface ComplianceOptions {
  /** Who serves which model; the built-in registry (Anthropic, `claude-*`) when absent. */
  readonly registry?: ProviderRegistry;
  /** Model-level fallbacks from configuration, expanded as a run would. */
  readonly modelFallbacks?: ModelFallbacks;
}

const AI_INVOKE = 'ai.invoke';

export function complianceProfile(
  document: AitwsDocument,
  options: ComplianceOptions = {},
): ComplianceProfile {
  const registry = options.registry ?? new ProviderRegistry();
  const classes = new Set<string>();
  const providers = new Set<string>();
  const models = new Set<string>();
  const regions = new Set<string>();
  for (const site of aiSites(readOutline(document))) {
    const params = site.parameters;
    for (const item of textList(params.data_classification)) classes.add(item.toUpperCase());
    const region = text(params.region);
    if (region !== undefined) regions.add(region);
    const capability = text(params.capability) ?? DEFAULT_CAPABILITY;
    for (const model of modelsOf(params, capability, registry, options.modelFallbacks)) {
      if (model.name !== undefined) models.add(model.name);
      if (model.provider !== undefined) providers.add(model.provider);
    }
  }
  return {
    dataClassifications: sorted(classes),
    modelProviders: sorted(providers),
    models: sorted(models),
    regions: sorted(regions),
    aiGovernance: governance(document.ai_governance),
  };
}

/** Stage actions of type ai.invoke, and handlers that run ai.invoke with their own `with`. */
function aiSites(outline: Outline): AiActionSite[] {
  const handlers = outline.handlers.entries.flatMap((entry): AiActionSite[] => {
    const target = handlerTarget(entry, outline);
    if (target.kind !== 'type') return [];
    const read = readWith(entry.table.with);
    return [{ where: entry.where, type: target.type, parameters: read.ok ? read.value : {} }];
  });
  return [...stageRunnables(outline), ...handlers].filter((site) => site.type === AI_INVOKE);
}

interface Reached {
  readonly name: string | undefined;
  readonly provider: string | undefined;
}

/**
 * What the run may call, as run-budget.ts counts it: the ensemble's models when there is one,
 * else the primary (declared, or the provider's default) and its fallback chain.
 */
function modelsOf(
  params: TomlTable,
  capability: string,
  registry: ProviderRegistry,
  fallbacks: ModelFallbacks = {},
): Reached[] {
  const reach = (model: string | undefined): Reached => {
    const found = registry.check(capability, model);
    if (found instanceof AitwsError) return { name: model, provider: undefined };
    return { name: model ?? found.model, provider: found.provider.name };
  };
  const ensemble = ensembleSchema.safeParse(params.ensemble);
  if (params.ensemble !== undefined && ensemble.success) return ensemble.data.models.map(reach);
  const primary = reach(text(params.model));
  const fallback = textList(params.fallback);
  const chain =
    primary.name === undefined
      ? fallback.flatMap((model) => expandChain({ primary: model, fallback: [] }, fallbacks))
      : expandChain({ primary: primary.name, fallback }, fallbacks).slice(1);
  return [primary, ...chain.map(reach)];
}

function text(value: TomlValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A list of strings; a lone string counts as a list of one. */
function textList(value: TomlValue | undefined): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => {
    const found = text(item);
    return found === undefined ? [] : [found];
  });
}

/** Code-unit order: the same in every locale. */
function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}

function governance(value: TomlValue | undefined): Record<string, string> {
  const flat: Record<string, string> = {};
  if (isTable(value)) flatten(value, '', flat);
  const ordered: Record<string, string> = {};
  for (const key of sorted(Object.keys(flat))) ordered[key] = flat[key] as string;
  return ordered;
}

function flatten(value: TomlValue, path: string, into: Record<string, string>): void {
  if (isTable(value)) {
    for (const key of Object.keys(value)) flatten(value[key] as TomlValue, join(path, key), into);
    return;
  }
  if (Array.isArray(value)) {
    if (value.every((item) => !Array.isArray(item) && !isTable(item))) {
      into[path] = value.map(scalarText).join(',');
      return;
    }
    value.forEach((item, index) => {
      flatten(item, join(path, String(index)), into);
    });
    return;
  }
  into[path] = scalarText(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** TOML's own spelling: a TomlDate keeps its form (a local date stays a date), inf and nan as TOML. */
function scalarText(value: TomlValue): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' && !Number.isFinite(value)) {
    if (Number.isNaN(value)) return 'nan';
    return value > 0 ? 'inf' : '-inf';
  }
  return String(value);
}
