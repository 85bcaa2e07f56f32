/**
 * Cross-references between sections (DESIGN §2): a name that points at nothing is a warning in a
 * draft, because the original sample has such names, and an error when a version is about to run.
 */
import type { Finding } from '../errors.js';
import { BUILTIN_ACTION_TYPES, SECTIONS } from './sections.js';
import { suggest } from './suggest.js';
import { entryLabel, isTable, joinPath } from './tree.js';
import type { AitwsDocument, FieldSpec, SectionSpec, TomlTable, TomlValue } from './types.js';

/** Alternatives in a `references` value are joined by " or ": `stages.actions or stages`. */
const BUILTIN_ACTIONS = 'built-in actions';
const SHOWN_NAMES = 8;

function keyNames(value: TomlValue | undefined, keyField: string): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const key = isTable(entry) ? entry[keyField] : undefined;
    return typeof key === 'string' ? [key] : [];
  });
}

function stageTables(document: AitwsDocument): TomlTable[] {
  const stages = document.stages;
  return Array.isArray(stages) ? stages.filter(isTable) : [];
}

/** Names a reference target resolves to, computed once per validation. */
export class ReferenceIndex {
  private readonly cache = new Map<string, readonly string[]>();

  constructor(private readonly document: AitwsDocument) {}

  namesFor(references: string): readonly string[] {
    const cached = this.cache.get(references);
    if (cached !== undefined) return cached;
    const names = references.split(' or ').flatMap((target) => this.namesOf(target.trim()));
    this.cache.set(references, names);
    return names;
  }

  private namesOf(target: string): string[] {
    if (target === 'stages.actions')
      return stageTables(this.document).flatMap((stage) => keyNames(stage.actions, 'name'));
    if (target === BUILTIN_ACTIONS) {
      // `Notify<Role>` notifies the members of a declared role (the sample's NotifyAdministrator).
      const roles = keyNames(this.document.roles, 'name');
      return [
        ...BUILTIN_ACTION_TYPES,
        ...roles.flatMap((role) => [`Notify${role}`, `Notify${role.replace(/\s+/g, '')}`]),
      ];
    }
    const section = SECTIONS.find((spec) => spec.name === target);
    return section?.kind === 'list' ? keyNames(this.document[target], section.key ?? 'name') : [];
  }
}

function noun(field: FieldSpec, references: string, count: number): string {
  const alternatives = references.split(' or ');
  let word: string;
  if (alternatives.length > 1) word = field.name.replace(/s$/, '');
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

function checkField(
  table: TomlTable,
  field: FieldSpec,
  path: string,
  index: ReferenceIndex,
  findings: Finding[],
): void {
  const references = field.references;
  const value = table[field.name];
  if (references === undefined || value === undefined) return;
  // Values of the wrong type are reported by the schema check; here only names count.
  const wanted = (Array.isArray(value) ? value : [value]).filter(
    (item): item is string => typeof item === 'string',
  );
  const names = index.namesFor(references);
  const known = new Set(names);
  const missing = [...new Set(wanted.filter((name) => !known.has(name)))];
  if (missing.length === 0) return;
  const suggestion = missing.map((name) => suggest(name, names)).find((guess) => guess !== undefined);
  findings.push({
    path: joinPath(path, field.name),
    message: `unknown ${noun(field, references, missing.length)} ${missing.map((name) => `"${name}"`).join(', ')}`,
    expected: describeTargets(references, names),
    code: 'DANGLING_REFERENCE',
    ...(suggestion === undefined ? {} : { suggestion }),
  });
}

function checkEntries(
  spec: SectionSpec,
  value: TomlValue | undefined,
  index: ReferenceIndex,
  findings: Finding[],
): void {
  const withReferences = spec.fields.filter((field) => field.references !== undefined);
  const tables: [TomlTable, string][] = [];
  if (spec.kind === 'table' && isTable(value)) tables.push([value, spec.name]);
  if (spec.kind === 'list' && Array.isArray(value)) {
    value.forEach((entry, i) => {
      if (isTable(entry)) tables.push([entry, `${spec.name}${entryLabel(entry, spec.key ?? 'name', i)}`]);
    });
  }
  for (const [table, path] of tables) {
    for (const field of withReferences) checkField(table, field, path, index, findings);
    for (const child of spec.children ?? []) {
      const entries = table[child.name];
      if (!Array.isArray(entries)) continue;
      const childFields = child.fields.filter((field) => field.references !== undefined);
      entries.forEach((entry, i) => {
        if (!isTable(entry)) return;
        const childPath = joinPath(path, `${child.name}${entryLabel(entry, child.key, i)}`);
        for (const field of childFields) checkField(entry, field, childPath, index, findings);
      });
    }
  }
}

/** Every dangling reference in the document, one finding per field (all missing names together). */
export function danglingReferences(document: AitwsDocument): Finding[] {
  const index = new ReferenceIndex(document);
  const findings: Finding[] = [];
  for (const spec of SECTIONS) {
    if (Object.hasOwn(document, spec.name)) checkEntries(spec, document[spec.name], index, findings);
  }
  return findings;
}
