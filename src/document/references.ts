/**
 * Cross-references between sections: a name that points at nothing is a warning in a
 * draft, because the original sample has such names, and an error when a version is about to run.
 */

import type { Finding } from '../errors.js';
import { canonicalName } from './entry-names.js';
import { BUILTIN_ACTION_TYPES, getSection, SECTIONS } from './sections.js';
import { NameSuggester } from './suggest.js';
import { entryLabel, isTable, joinPath } from './tree.js';
import type { AitwsDocument, FieldSpec, NestedListSpec, SectionSpec, TomlTable, TomlValue } from './types.js';

/** Alternatives in a `references` value are joined by " or ": `stages.actions or stages`. */
const BUILTIN_ACTIONS = 'built-in actions';
const SHOWN_NAMES = 8;
/**
 * Did-you-mean compares a missing name with every name it could have meant, so suggesting for each
 * of a thousand dangling references among a thousand names took seconds. Per document, look-ups
 * stop once they have compared this many (missing name, candidate) pairs: the first missing names
 * get their suggestion, the rest are reported without one, and the check stays linear in the size.
 */
const SUGGESTION_BUDGET = 10_000;

function keyNames(value: TomlValue | undefined, keyField: string, into: string[]): void {
  if (!Array.isArray(value)) return;
  for (const entry of value) {
    const key = isTable(entry) ? entry[keyField] : undefined;
    if (typeof key === 'string') into.push(key);
  }
}

/** What one `references` value resolves to in a document. */
interface Targets {
  readonly names: readonly string[];
  readonly set: ReadonlySet<string>;
  readonly suggester: NameSuggester;
  /** Suggestions already looked up: the same missing name is often used in many places. */
  readonly suggestions: Map<string, string | undefined>;
}

function targetsIn(references: string): string[] {
  return references.split(' or ').map((target) => target.trim());
}

/** Names a reference target resolves to, computed once per validation. */
export class ReferenceIndex {
  private readonly targets = new Map<string, Targets>();
  private suggestionBudget = SUGGESTION_BUDGET;

  constructor(private readonly document: AitwsDocument) {}

  namesFor(references: string): readonly string[] {
    return this.targetsOf(references).names;
  }

  /** The names a field's value points to that do not exist, each once and in order; usually none. */
  missingIn(references: string, value: TomlValue): string[] | undefined {
    const targets = this.targetsOf(references);
    if (typeof value === 'string') return targets.set.has(canonicalName(value)) ? undefined : [value];
    // Values of the wrong type are reported by the schema check; here only names count.
    if (!Array.isArray(value)) return undefined;
    let missing: string[] | undefined;
    for (const item of value) {
      if (typeof item !== 'string' || targets.set.has(canonicalName(item))) continue;
      missing ??= [];
      if (!missing.includes(item)) missing.push(item);
    }
    return missing;
  }

  /** The name a missing one most likely meant; undefined as well once the budget is spent. */
  suggestionFor(references: string, missing: string): string | undefined {
    const { suggester, suggestions } = this.targetsOf(references);
    if (suggestions.has(missing)) return suggestions.get(missing);
    if (suggester.size > this.suggestionBudget) return undefined;
    this.suggestionBudget -= suggester.size;
    const found = suggester.suggest(missing);
    suggestions.set(missing, found);
    return found;
  }

  private targetsOf(references: string): Targets {
    const cached = this.targets.get(references);
    if (cached !== undefined) return cached;
    const names: string[] = [];
    for (const target of targetsIn(references)) this.namesOf(target, names);
    const targets = {
      names,
      // Names compare in NFC, as entries do (entry-names.ts).
      set: new Set(names.map(canonicalName)),
      suggester: new NameSuggester(names),
      suggestions: new Map<string, string | undefined>(),
    };
    this.targets.set(references, targets);
    return targets;
  }

  private namesOf(target: string, into: string[]): void {
    if (target === 'stages.actions') {
      const stages = this.document.stages;
      if (!Array.isArray(stages)) return;
      for (const stage of stages) if (isTable(stage)) keyNames(stage.actions, 'name', into);
      return;
    }
    if (target === BUILTIN_ACTIONS) {
      into.push(...BUILTIN_ACTION_TYPES);
      // `Notify<Role>` notifies the members of a declared role (the sample's NotifyAdministrator).
      const roles: string[] = [];
      keyNames(this.document.roles, 'name', roles);
      for (const role of roles) into.push(`Notify${role}`, `Notify${role.replace(/\s+/g, '')}`);
      return;
    }
    const section = getSection(target);
    if (section?.kind === 'list') keyNames(this.document[target], section.key ?? 'name', into);
  }
}

function noun(field: FieldSpec, references: string, count: number): string {
  let word: string;
  if (references.includes(' or ')) word = field.name.replace(/s$/, '');
  else if (references === 'stages.actions') word = 'action';
  else word = references.replace(/s$/, '');
  return count === 1 ? word : `${word}s`;
}

function describeTargets(references: string, names: readonly string[]): string {
  const shown = names.slice(0, SHOWN_NAMES).map((n) => `"${n}"`);
  if (names.length > SHOWN_NAMES) shown.push('…');
  const where = `a name from ${references}`;
  return names.length === 0 ? `${where}, which has no entries yet` : `${where}: ${shown.join(', ')}`;
}

/** The suggestion for the first missing name that has one, as the finding carries only one. */
function firstSuggestion(
  references: string,
  missing: readonly string[],
  index: ReferenceIndex,
): string | undefined {
  for (const name of missing) {
    const found = index.suggestionFor(references, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

function checkTable(
  table: TomlTable,
  fields: readonly FieldSpec[],
  path: string,
  index: ReferenceIndex,
  findings: Finding[],
): void {
  for (const field of fields) {
    const references = field.references;
    const value = table[field.name];
    if (references === undefined || value === undefined) continue;
    const missing = index.missingIn(references, value);
    if (missing === undefined) continue;
    const names = index.namesFor(references);
    const suggestion = firstSuggestion(references, missing, index);
    findings.push({
      path: joinPath(path, field.name),
      message: `unknown ${noun(field, references, missing.length)} ${missing.map((name) => `"${name}"`).join(', ')}`,
      expected: describeTargets(references, names),
      code: 'DANGLING_REFERENCE',
      ...(suggestion === undefined ? {} : { suggestion }),
    });
  }
}

interface Referring {
  readonly spec: SectionSpec;
  readonly fields: readonly FieldSpec[];
  readonly children: readonly { readonly child: NestedListSpec; readonly fields: readonly FieldSpec[] }[];
}

const referringFields = (fields: readonly FieldSpec[]): FieldSpec[] =>
  fields.filter((field) => field.references !== undefined);

/** Sections with a referring field somewhere, in registry order; the others need no look. */
const REFERRING: readonly Referring[] = SECTIONS.map((spec) => ({
  spec,
  fields: referringFields(spec.fields),
  children: (spec.children ?? []).map((child) => ({ child, fields: referringFields(child.fields) })),
})).filter((entry) => entry.fields.length > 0 || entry.children.some((child) => child.fields.length > 0));

function checkEntry(
  { fields, children }: Referring,
  table: TomlTable,
  path: string,
  index: ReferenceIndex,
  findings: Finding[],
): void {
  checkTable(table, fields, path, index, findings);
  for (const { child, fields: childFields } of children) {
    const entries = table[child.name];
    if (!Array.isArray(entries) || childFields.length === 0) continue;
    entries.forEach((entry, i) => {
      if (!isTable(entry)) return;
      const childPath = joinPath(path, `${child.name}${entryLabel(entry, child.key, i)}`);
      checkTable(entry, childFields, childPath, index, findings);
    });
  }
}

function checkSection(
  referring: Referring,
  value: TomlValue | undefined,
  index: ReferenceIndex,
  findings: Finding[],
): void {
  const { spec } = referring;
  if (spec.kind === 'table' && isTable(value)) {
    checkEntry(referring, value, spec.name, index, findings);
  } else if (spec.kind === 'list' && Array.isArray(value)) {
    const keyField = spec.key ?? 'name';
    value.forEach((entry, i) => {
      if (isTable(entry))
        checkEntry(referring, entry, `${spec.name}${entryLabel(entry, keyField, i)}`, index, findings);
    });
  }
}

/** Every dangling reference in the document, one finding per field (all missing names together). */
export function danglingReferences(document: AitwsDocument): Finding[] {
  const index = new ReferenceIndex(document);
  const findings: Finding[] = [];
  for (const referring of REFERRING) {
    if (Object.hasOwn(document, referring.spec.name)) {
      checkSection(referring, document[referring.spec.name], index, findings);
    }
  }
  return findings;
}
