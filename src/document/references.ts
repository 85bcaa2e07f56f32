/**
 * Cross-references between sections (DESIGN §2): a name that points at nothing is a warning in a
 * draft, because the original sample has such names, and an error when a version is about to run.
 */
import type { Finding } from '../errors.js';
import { SectionMemo, type SectionResult } from './section-memo.js';
import { BUILTIN_ACTION_TYPES, getSection, SECTIONS } from './sections.js';
import { Candidates, suggestAmong } from './suggest.js';
import { entryLabel, isTable, joinPath } from './tree.js';
import type { AitwsDocument, FieldSpec, NestedListSpec, SectionSpec, TomlTable, TomlValue } from './types.js';

/** Alternatives in a `references` value are joined by " or ": `stages.actions or stages`. */
const BUILTIN_ACTIONS = 'built-in actions';
const SHOWN_NAMES = 8;
/** Up to this many names, a linear search is cheaper than building a set to look them up. */
const SHORT_LIST = 16;

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
  /** Only for long lists: a short one is searched rather than hashed. */
  readonly set: ReadonlySet<string> | undefined;
  /** Prepared for suggestions once a name is missing. */
  candidates: Candidates | undefined;
}

/** The targets of each `references` value, split once: the registry has only a handful of them. */
const splitReferences = new Map<string, readonly string[]>();
const SPLIT_MEMO = 64;

function targetsIn(references: string): readonly string[] {
  let targets = splitReferences.get(references);
  if (targets === undefined) {
    targets = references.split(' or ').map((target) => target.trim());
    if (splitReferences.size < SPLIT_MEMO) splitReferences.set(references, targets);
  }
  return targets;
}

function includes({ names, set }: Targets, name: string): boolean {
  return set === undefined ? names.includes(name) : set.has(name);
}

/** Names a reference target resolves to, computed once per validation. */
export class ReferenceIndex {
  private readonly targets = new Map<string, Targets>();

  constructor(private readonly document: AitwsDocument) {}

  namesFor(references: string): readonly string[] {
    return this.targetsOf(references).names;
  }

  candidatesFor(references: string): Candidates {
    const targets = this.targetsOf(references);
    targets.candidates ??= new Candidates(targets.names);
    return targets.candidates;
  }

  /** The names a field's value points to that do not exist, each once and in order; usually none. */
  missingIn(references: string, value: TomlValue): string[] | undefined {
    const targets = this.targetsOf(references);
    if (typeof value === 'string') return includes(targets, value) ? undefined : [value];
    // Values of the wrong type are reported by the schema check; here only names count.
    if (!Array.isArray(value)) return undefined;
    let missing: string[] | undefined;
    for (const item of value) {
      if (typeof item !== 'string' || includes(targets, item)) continue;
      missing ??= [];
      if (!missing.includes(item)) missing.push(item);
    }
    return missing;
  }

  private targetsOf(references: string): Targets {
    const cached = this.targets.get(references);
    if (cached !== undefined) return cached;
    const names: string[] = [];
    for (const target of targetsIn(references)) this.namesOf(target, names);
    const targets = {
      names,
      set: names.length > SHORT_LIST ? new Set(names) : undefined,
      candidates: undefined,
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

/** Fields are only read when some field of the table refers elsewhere. */
function checkTable(
  table: TomlTable,
  fields: readonly FieldSpec[],
  path: () => string,
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
    const candidates = index.candidatesFor(references);
    let suggestion: string | undefined;
    for (const name of missing) {
      suggestion = suggestAmong(name, candidates);
      if (suggestion !== undefined) break;
    }
    findings.push({
      path: joinPath(path(), field.name),
      message: `unknown ${noun(field, references, missing.length)} ${missing.map((name) => `"${name}"`).join(', ')}`,
      expected: describeTargets(references, names),
      code: 'DANGLING_REFERENCE',
      ...(suggestion === undefined ? {} : { suggestion }),
    });
  }
}

/** The sections whose entries a `references` target names. */
function sectionsNamedBy(target: string): string[] {
  if (target === 'stages.actions') return ['stages'];
  if (target === BUILTIN_ACTIONS) return ['roles'];
  return [target];
}

interface Referring {
  readonly spec: SectionSpec;
  readonly fields: readonly FieldSpec[];
  readonly children: readonly { readonly child: NestedListSpec; readonly fields: readonly FieldSpec[] }[];
  /** The sections its references can point into, in a fixed order. */
  readonly targets: readonly string[];
}

const referringFields = (fields: readonly FieldSpec[]): FieldSpec[] =>
  fields.filter((field) => field.references !== undefined);

function targetSections(fields: readonly FieldSpec[]): string[] {
  const targets = fields.flatMap((field) =>
    targetsIn(field.references ?? '').flatMap((target) => sectionsNamedBy(target)),
  );
  return [...new Set(targets)];
}

/** Sections with a referring field somewhere, in registry order; the others need no look. */
const REFERRING: readonly Referring[] = SECTIONS.map((spec) => {
  const fields = referringFields(spec.fields);
  const children = (spec.children ?? []).map((child) => ({ child, fields: referringFields(child.fields) }));
  const targets = targetSections([...fields, ...children.flatMap((child) => child.fields)]);
  return { spec, fields, children, targets };
}).filter((entry) => entry.fields.length > 0 || entry.children.some((child) => child.fields.length > 0));

function checkEntry(
  { fields, children }: Referring,
  table: TomlTable,
  path: () => string,
  index: ReferenceIndex,
  findings: Finding[],
): void {
  checkTable(table, fields, path, index, findings);
  for (const { child, fields: childFields } of children) {
    const entries = table[child.name];
    if (!Array.isArray(entries) || childFields.length === 0) continue;
    // A loop, not forEach: see tree.ts on frozen arrays.
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (!isTable(entry)) continue;
      const childPath = () => joinPath(path(), `${child.name}${entryLabel(entry, child.key, i)}`);
      checkTable(entry, childFields, childPath, index, findings);
    }
  }
}

/** A section's findings, valid while the sections it points into are the same nodes. */
interface Remembered extends SectionResult {
  readonly targets: readonly (TomlValue | undefined)[];
  readonly findings: readonly Finding[];
}

/** See section-memo.ts: an edit re-checks only the sections whose findings it can change. */
const remembered = new SectionMemo<Remembered>();

function sameNodes(a: readonly (TomlValue | undefined)[], b: readonly (TomlValue | undefined)[]): boolean {
  return a.length === b.length && a.every((node, i) => node === b[i]);
}

function checkSection(
  referring: Referring,
  value: TomlValue | undefined,
  index: ReferenceIndex,
  findings: Finding[],
): void {
  const { spec } = referring;
  if (spec.kind === 'table' && isTable(value)) {
    checkEntry(referring, value, () => spec.name, index, findings);
  } else if (spec.kind === 'list' && Array.isArray(value)) {
    const keyField = spec.key ?? 'name';
    for (let i = 0; i < value.length; i++) {
      const entry = value[i];
      if (isTable(entry)) {
        const path = () => `${spec.name}${entryLabel(entry, keyField, i)}`;
        checkEntry(referring, entry, path, index, findings);
      }
    }
  }
}

/** Every dangling reference in the document, one finding per field (all missing names together). */
export function danglingReferences(document: AitwsDocument): Finding[] {
  const index = new ReferenceIndex(document);
  const findings: Finding[] = [];
  const pass = remembered.open(document);
  for (const referring of REFERRING) {
    const { spec } = referring;
    if (!Object.hasOwn(document, spec.name)) continue;
    const value = document[spec.name];
    // The sections it points into are part of what decides its findings.
    const targets = referring.targets.map((name) =>
      Object.hasOwn(document, name) ? document[name] : undefined,
    );
    const known = pass.find(spec.name, value);
    if (known !== undefined && sameNodes(known.targets, targets)) {
      findings.push(...known.findings);
      pass.keep(spec.name, known);
      continue;
    }
    const found: Finding[] = [];
    checkSection(referring, value, index, found);
    pass.keep(spec.name, { node: value, targets, findings: found });
    findings.push(...found);
  }
  pass.close();
  return findings;
}
