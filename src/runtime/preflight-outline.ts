/**
 * The parts of a document a run needs, read leniently: entries without a usable name, and values
 * of the wrong type, are left out here (validation reports them), so pre-flight can look at
 * everything else of a malformed document and the plan compiler reads the same structure.
 * Names are compared in NFC, as validation compares them (entry-names.ts).
 */
import { canonicalName } from '../document/entry-names.js';
import { suggest } from '../document/suggest.js';
import { entryLabel, isTable } from '../document/tree.js';
import type { AitwsDocument, TomlTable, TomlValue } from '../document/types.js';

export interface NamedEntry {
  readonly name: string;
  readonly table: TomlTable;
  /** `conditions[Ready]`. */
  readonly where: string;
}

export interface OutlineAction extends NamedEntry {
  readonly stage: string;
  /** Position of its stage in plan order. */
  readonly stageIndex: number;
  /** Position in its stage. */
  readonly index: number;
}

export interface OutlineStage extends NamedEntry {
  readonly order: number | undefined;
  /** Position in plan order. */
  readonly index: number;
  readonly actions: readonly OutlineAction[];
}

/** A keyed list's entries by name (the first of duplicates, which validation refuses). */
export class EntryList<T extends NamedEntry = NamedEntry> {
  private readonly byName = new Map<string, T>();

  constructor(readonly entries: readonly T[]) {
    for (const entry of entries) {
      const key = canonicalName(entry.name);
      if (!this.byName.has(key)) this.byName.set(key, entry);
    }
  }

  get(name: string): T | undefined {
    return this.byName.get(canonicalName(name));
  }

  names(): string[] {
    return this.entries.map((entry) => entry.name);
  }
}

export interface Outline {
  /** In plan order. */
  readonly stages: EntryList<OutlineStage>;
  /** Every action, in plan order. */
  readonly actions: readonly OutlineAction[];
  readonly conditions: EntryList;
  readonly branches: EntryList;
  readonly groups: EntryList;
  readonly handlers: EntryList;
  readonly triggers: EntryList;
  readonly events: EntryList;
  readonly roles: EntryList;
  readonly services: EntryList;
  readonly errorHandling: TomlTable | undefined;
  /** Actions with this name, in plan order (more than one only in a refused document). */
  actionsNamed(name: string): readonly OutlineAction[];
  /** Did-you-mean for a name that points at nothing (budgeted: see SUGGESTION_BUDGET). */
  nearest(name: string, candidates: readonly string[]): string | undefined;
}

/**
 * Did-you-mean compares a missing name with every candidate. Per document, look-ups stop once they
 * have compared this many pairs (as references.ts does): a document full of dangling names gets
 * its first suggestions, and pre-flight stays linear in its size.
 */
const SUGGESTION_BUDGET = 10_000;

/** The named table entries of a list value, in document order. */
export function namedEntries(value: TomlValue | undefined, base: string, key = 'name'): NamedEntry[] {
  if (!Array.isArray(value)) return [];
  const entries: NamedEntry[] = [];
  value.forEach((entry, index) => {
    if (!isTable(entry)) return;
    const name = entry[key];
    if (typeof name !== 'string' || name === '') return;
    entries.push({ name, table: entry, where: `${base}${entryLabel(entry, key, index)}` });
  });
  return entries;
}

/** An integer from a TOML value (smol-toml may give a bigint), or undefined. */
export function integerOf(value: TomlValue | undefined): number | undefined {
  if (typeof value === 'bigint') return Number(value);
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

function readStages(document: AitwsDocument): OutlineStage[] {
  const entries = namedEntries(document.stages, 'stages').map((entry, position) => ({
    entry,
    position,
    order: integerOf(entry.table.order),
  }));
  // Stable: ties keep document order; a stage without `order` goes after every one with it.
  entries.sort(
    (a, b) =>
      (a.order ?? Number.POSITIVE_INFINITY) - (b.order ?? Number.POSITIVE_INFINITY) ||
      a.position - b.position,
  );
  return entries.map(({ entry, order }, stageIndex) => ({
    ...entry,
    order,
    index: stageIndex,
    actions: namedEntries(entry.table.actions, `${entry.where}.actions`).map((action, index) => ({
      ...action,
      stage: entry.name,
      stageIndex,
      index,
    })),
  }));
}

export function readOutline(document: AitwsDocument): Outline {
  const stages = readStages(document);
  const actions = stages.flatMap((stage) => stage.actions);
  const byName = new Map<string, OutlineAction[]>();
  for (const action of actions) {
    const key = canonicalName(action.name);
    const list = byName.get(key);
    if (list === undefined) byName.set(key, [action]);
    else list.push(action);
  }
  const list = (section: string): EntryList => new EntryList(namedEntries(document[section], section));
  const errorHandling = document.error_handling;
  let budget = SUGGESTION_BUDGET;
  return {
    stages: new EntryList(stages),
    actions,
    conditions: list('conditions'),
    branches: list('branches'),
    groups: list('parallel_execution'),
    handlers: list('handlers'),
    triggers: list('triggers'),
    events: list('events'),
    roles: list('roles'),
    services: list('external_services'),
    errorHandling: isTable(errorHandling) ? errorHandling : undefined,
    actionsNamed: (name) => byName.get(canonicalName(name)) ?? [],
    nearest: (name, candidates) => {
      if (candidates.length > budget) return undefined;
      budget -= candidates.length;
      return suggest(name, candidates);
    },
  };
}

/** The first action named `name`, if there is one. */
export function actionNamed(outline: Outline, name: string): OutlineAction | undefined {
  return outline.actionsNamed(name)[0];
}
