/**
 * What an SBOM lists from the document itself (issue #18 point 3): the models its `ai.invoke`
 * actions call (primary, fallbacks, ensemble members), its `[[external_services]]` and its
 * `[[repositories]]`. Pure reads of the parsed TOML; the runtime's strict parsing of `with` is not
 * repeated here, as a value that would fail it never reaches an approved, packaged version.
 */
import { maskSecrets } from '../document/redact.js';
import { isTable } from '../document/tree.js';
import type { AitwsDocument, TomlTable, TomlValue } from '../document/types.js';
import { DEFAULT_CAPABILITY } from '../runtime/ai/capabilities.js';

export type ModelUse = 'primary' | 'fallback' | 'ensemble';

export interface ModelSite {
  readonly model: string;
  readonly use: ModelUse;
  /** The capability the action asks for; the provider that serves a model depends on it. */
  readonly capability: string;
  /** `stages[Review].actions[Summarise]`, `handlers[OnFailure]`. */
  readonly where: string;
}

export interface DeclaredService {
  readonly name: string;
  readonly type?: string;
  /** Credentials removed: an SBOM is shown and shipped, unlike the document's secrets. */
  readonly url?: string;
}

export interface DeclaredRepository {
  readonly name: string;
  readonly url?: string;
  readonly accessRole?: string;
}

interface AiAction {
  readonly where: string;
  readonly parameters: TomlTable;
}

function tables(value: TomlValue | undefined): TomlTable[] {
  return Array.isArray(value) ? value.filter(isTable) : [];
}

function text(value: TomlValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function texts(value: TomlValue | undefined): string[] {
  return Array.isArray(value) ? value.flatMap((item) => text(item) ?? []) : [];
}

/** Stage actions of type ai.invoke, and handlers whose own action is one. */
function aiActions(document: AitwsDocument): AiAction[] {
  const found: AiAction[] = [];
  for (const stage of tables(document.stages)) {
    for (const action of tables(stage.actions)) {
      if (action.type !== 'ai.invoke') continue;
      const where = `stages[${text(stage.name) ?? '?'}].actions[${text(action.name) ?? '?'}]`;
      found.push({ where, parameters: isTable(action.with) ? action.with : {} });
    }
  }
  for (const handler of tables(document.handlers)) {
    if (handler.action !== 'ai.invoke') continue;
    found.push({
      where: `handlers[${text(handler.name) ?? '?'}]`,
      parameters: isTable(handler.with) ? handler.with : {},
    });
  }
  return found;
}

/** A `{{ ... }}` model is chosen when the run renders it, so no SBOM can name it in advance. */
function isStatic(model: string): boolean {
  return !model.includes('{{');
}

/**
 * Every model the document's ai.invoke actions may call, in document order, one entry per use.
 * An action that names no model calls `defaultModel` when the caller knows it, else nothing listed.
 */
export function modelSites(document: AitwsDocument, defaultModel?: string): ModelSite[] {
  const sites: ModelSite[] = [];
  for (const action of aiActions(document)) {
    const capability = text(action.parameters.capability) ?? DEFAULT_CAPABILITY;
    const push = (model: string, use: ModelUse): void => {
      if (isStatic(model)) sites.push({ model, use, capability, where: action.where });
    };
    const primary = text(action.parameters.model) ?? defaultModel;
    if (primary !== undefined) push(primary, 'primary');
    for (const model of texts(action.parameters.fallback)) push(model, 'fallback');
    const ensemble = action.parameters.ensemble;
    if (isTable(ensemble)) for (const model of texts(ensemble.models)) push(model, 'ensemble');
  }
  return sites;
}

/**
 * A URL fit to publish: no `user:password@` (nor a bare user, which is often a token), and
 * password-like query parameters masked.
 */
export function publishableUrl(url: string): string {
  return maskSecrets(url.trim().replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1'));
}

/** Entries by name, the first of each: names identify entries, and SBOM references are built on them. */
function named(list: TomlValue | undefined): [string, TomlTable][] {
  const byName = new Map<string, TomlTable>();
  for (const entry of tables(list)) {
    const name = text(entry.name);
    if (name !== undefined && !byName.has(name)) byName.set(name, entry);
  }
  return [...byName];
}

export function declaredServices(document: AitwsDocument): DeclaredService[] {
  return named(document.external_services).map(([name, entry]) => {
    const type = text(entry.type);
    const url = text(entry.url);
    return {
      name,
      ...(type === undefined ? {} : { type }),
      ...(url === undefined ? {} : { url: publishableUrl(url) }),
    };
  });
}

export function declaredRepositories(document: AitwsDocument): DeclaredRepository[] {
  return named(document.repositories).map(([name, entry]) => {
    const url = text(entry.url);
    const accessRole = text(entry.access_role);
    return {
      name,
      ...(url === undefined ? {} : { url: publishableUrl(url) }),
      ...(accessRole === undefined ? {} : { accessRole }),
    };
  });
}
