/**
 * The document edits behind `/add` and `/remove`. Edits never mutate their input:
 * they copy along the changed path, so a failed validation afterwards leaves the stored draft as it was.
 */
import { AitwsError } from '../errors.js';
import { resolveSectionPath, sectionNames } from './sections.js';
import { suggest } from './suggest.js';
import { isTable, isTableArray, newTable, withKey } from './tree.js';
import type { AitwsDocument, NestedListSpec, SectionSpec, TomlTable, TomlValue } from './types.js';

export interface FieldAssignment {
  readonly key: string;
  readonly value: TomlValue;
}

export interface EditOutcome {
  readonly document: AitwsDocument;
  /** What changed, as a path: `roles[DataScientist]`, `logging.level`. */
  readonly target: string;
  readonly action: 'added' | 'updated' | 'removed';
  /** Fields whose value was set or changed. */
  readonly fields: readonly string[];
}

/** Where an edit applies: a known section (or nested list), or an extension section `x_*`. */
interface Target {
  readonly path: string;
  readonly section: SectionSpec | undefined;
  readonly child: NestedListSpec | undefined;
}

function resolveTarget(path: string, document: AitwsDocument, forRemoval: boolean): Target {
  const resolved = resolveSectionPath(path);
  if (resolved !== undefined) return { path, section: resolved.section, child: resolved.child };
  if (/^x_[A-Za-z0-9_-]+$/.test(path)) return { path, section: undefined, child: undefined };
  // An unknown section that came in through /load may still be removed.
  if (forRemoval && Object.hasOwn(document, path)) return { path, section: undefined, child: undefined };
  const candidates = [...sectionNames(), 'stages.actions'];
  const guess = suggest(path, candidates);
  throw new AitwsError('UNKNOWN_SECTION', `Unknown section "${path}".`, {
    hint:
      guess === undefined
        ? 'Type /help sections to list them; extension sections start with x_.'
        : `Did you mean "${guess}"? Type /help sections to list them.`,
  });
}

function displayKey(value: TomlValue): string {
  return typeof value === 'string' ? value : String(value);
}

function sameKey(a: TomlValue | undefined, b: TomlValue): boolean {
  return a !== undefined && displayKey(a) === displayKey(b) && typeof a === typeof b;
}

function requireParam(
  assignments: readonly FieldAssignment[],
  name: string,
  context: string,
  example: string,
): FieldAssignment {
  const found = assignments.find((a) => a.key === name);
  if (found === undefined) {
    throw new AitwsError('USAGE', `${context} needs ${name}=… to say which entry.`, {
      hint: `Example: ${example}`,
    });
  }
  return found;
}

function mergeFields(
  entry: TomlTable,
  assignments: readonly FieldAssignment[],
): { entry: TomlTable; changed: string[] } {
  const next = Object.assign(newTable(), entry);
  const changed: string[] = [];
  for (const { key, value } of assignments) {
    if (!Object.hasOwn(next, key) || !tomlEquals(next[key], value)) changed.push(key);
    next[key] = value;
  }
  return { entry: next, changed };
}

function upsertInList(
  list: readonly TomlTable[],
  keyField: string,
  keyValue: TomlValue,
  assignments: readonly FieldAssignment[],
): { list: TomlTable[]; action: 'added' | 'updated'; changed: string[] } {
  const index = list.findIndex((entry) => sameKey(entry[keyField], keyValue));
  const next = [...list];
  if (index === -1) {
    const { entry, changed } = mergeFields({}, assignments);
    next.push(entry);
    return { list: next, action: 'added', changed };
  }
  const existing = list[index] ?? {};
  const { entry, changed } = mergeFields(existing, assignments);
  next[index] = entry;
  return { list: next, action: 'updated', changed };
}

function existingList(document: AitwsDocument, name: string): TomlTable[] {
  const value = document[name];
  if (value === undefined) return [];
  if (!isTableArray(value)) {
    throw new AitwsError(
      'VALIDATION',
      `"${name}" in this draft is not a list of entries, so it can't be edited.`,
      {
        hint: `Fix it with /remove ${name} and add the entries again, or /load a corrected file.`,
      },
    );
  }
  return value;
}

function existingTable(document: AitwsDocument, name: string): TomlTable {
  const value = document[name];
  if (value === undefined) return {};
  if (!isTable(value)) {
    throw new AitwsError('VALIDATION', `"${name}" in this draft is not a table, so it can't be edited.`, {
      hint: `Fix it with /remove ${name} and add it again.`,
    });
  }
  return value;
}

function findParent(
  document: AitwsDocument,
  section: SectionSpec,
  child: NestedListSpec,
  assignments: readonly FieldAssignment[],
): { parents: TomlTable[]; index: number; parentKey: string } {
  const parentParam = requireParam(
    assignments,
    child.parentParam,
    `${section.name}.${child.name}`,
    child.example,
  );
  const parents = existingList(document, section.name);
  const keyField = section.key ?? 'name';
  const index = parents.findIndex((entry) => sameKey(entry[keyField], parentParam.value));
  if (index === -1) {
    const names = parents.map((entry) => displayKey(entry[keyField] ?? ''));
    const guess = suggest(displayKey(parentParam.value), names);
    throw new AitwsError(
      'UNKNOWN_ENTRY',
      `There is no ${section.name} entry "${displayKey(parentParam.value)}".`,
      {
        hint:
          guess === undefined
            ? `Add it first with /add ${section.name} ${keyField}="…"`
            : `Did you mean "${guess}"?`,
      },
    );
  }
  return { parents, index, parentKey: displayKey(parentParam.value) };
}

/** The top-level section an edit of `sectionPath` changes: `stages` for `stages.actions`. */
export function editedSection(sectionPath: string): string {
  return sectionPath.split('.')[0] ?? sectionPath;
}

export function addToDocument(
  document: AitwsDocument,
  sectionPath: string,
  assignments: readonly FieldAssignment[],
): EditOutcome {
  if (assignments.length === 0) {
    throw new AitwsError('USAGE', `Nothing to add: give the fields as key=value.`, {
      hint: `Example: ${resolveSectionPath(sectionPath)?.section.example ?? '/add roles name="Reviewer" privileges=["read"]'}`,
    });
  }
  const target = resolveTarget(sectionPath, document, false);
  const { section, child } = target;
  if (section === undefined || section.kind === 'table') {
    const { entry, changed } = mergeFields(existingTable(document, target.path), assignments);
    const action = Object.hasOwn(document, target.path) ? 'updated' : 'added';
    return { document: withKey(document, target.path, entry), target: target.path, action, fields: changed };
  }
  if (child === undefined) {
    const keyField = section.key ?? 'name';
    const key = requireParam(assignments, keyField, section.name, section.example);
    const upsert = upsertInList(existingList(document, section.name), keyField, key.value, assignments);
    return {
      document: withKey(document, section.name, upsert.list),
      target: `${section.name}[${displayKey(key.value)}]`,
      action: upsert.action,
      fields: upsert.changed,
    };
  }
  const { parents, index, parentKey } = findParent(document, section, child, assignments);
  const key = requireParam(assignments, child.key, `${section.name}.${child.name}`, child.example);
  const parent = parents[index] ?? {};
  const childAssignments = assignments.filter((a) => a.key !== child.parentParam);
  const children = existingList(parent, child.name);
  const upsert = upsertInList(children, child.key, key.value, childAssignments);
  const nextParents = [...parents];
  nextParents[index] = withKey(parent, child.name, upsert.list);
  return {
    document: withKey(document, section.name, nextParents),
    target: `${section.name}[${parentKey}].${child.name}[${displayKey(key.value)}]`,
    action: upsert.action,
    fields: upsert.changed,
  };
}

export interface RemoveSelector {
  /** `/remove logging level` */
  readonly field?: string;
  /** `/remove roles name="X"`, or for nested lists also the parent selector. */
  readonly assignments: readonly FieldAssignment[];
}

function removeEntry(
  list: readonly TomlTable[],
  keyField: string,
  key: TomlValue,
  what: string,
): TomlTable[] {
  const index = list.findIndex((entry) => sameKey(entry[keyField], key));
  if (index === -1) {
    const guess = suggest(
      displayKey(key),
      list.map((entry) => displayKey(entry[keyField] ?? '')),
    );
    throw new AitwsError(
      'UNKNOWN_ENTRY',
      `There is no ${what} entry "${displayKey(key)}"; nothing was removed.`,
      {
        hint: guess === undefined ? `Type /show ${what} to list the entries.` : `Did you mean "${guess}"?`,
      },
    );
  }
  const rest = [...list];
  rest.splice(index, 1);
  return rest;
}

/** `/remove logging` or `/remove logging level`, and any section that is not a list. */
function removeFromTable(document: AitwsDocument, name: string, field: string | undefined): EditOutcome {
  if (field === undefined) {
    return { document: withKey(document, name, undefined), target: name, action: 'removed', fields: [] };
  }
  const table = existingTable(document, name);
  if (!Object.hasOwn(table, field)) {
    const guess = suggest(field, Object.keys(table));
    throw new AitwsError('UNKNOWN_FIELD', `${name} has no field "${field}"; nothing was removed.`, {
      hint: guess === undefined ? `Type /show ${name} to see its fields.` : `Did you mean "${guess}"?`,
    });
  }
  return {
    document: withKey(document, name, withKey(table, field, undefined)),
    target: `${name}.${field}`,
    action: 'removed',
    fields: [field],
  };
}

/** `/remove roles` (the whole list) or `/remove roles name="X"` (one entry). */
function removeFromList(
  document: AitwsDocument,
  section: SectionSpec,
  assignments: readonly FieldAssignment[],
): EditOutcome {
  const keyField = section.key ?? 'name';
  const key = assignments.find((a) => a.key === keyField);
  if (key === undefined) {
    if (assignments.length > 0) {
      throw new AitwsError('USAGE', `${section.name} entries are identified by ${keyField}=…`, {
        hint: `Example: /remove ${section.name} ${keyField}="…"`,
      });
    }
    const rest = withKey(document, section.name, undefined);
    return { document: rest, target: section.name, action: 'removed', fields: [] };
  }
  const list = removeEntry(existingList(document, section.name), keyField, key.value, section.name);
  return {
    document: withKey(document, section.name, list),
    target: `${section.name}[${displayKey(key.value)}]`,
    action: 'removed',
    fields: [],
  };
}

/** `/remove stages.actions stage="S"` (all its actions) or with `name="A"` (one action). */
function removeFromNestedList(
  document: AitwsDocument,
  section: SectionSpec,
  child: NestedListSpec,
  assignments: readonly FieldAssignment[],
): EditOutcome {
  const { parents, index, parentKey } = findParent(document, section, child, assignments);
  const parent = parents[index] ?? {};
  const key = assignments.find((a) => a.key === child.key);
  const nextParents = [...parents];
  let targetPath = `${section.name}[${parentKey}].${child.name}`;
  if (key === undefined) {
    if (!Object.hasOwn(parent, child.name)) {
      throw new AitwsError('UNKNOWN_ENTRY', `${targetPath} has no entries; nothing was removed.`);
    }
    nextParents[index] = withKey(parent, child.name, undefined);
  } else {
    const remaining = removeEntry(existingList(parent, child.name), child.key, key.value, targetPath);
    nextParents[index] = withKey(parent, child.name, remaining);
    targetPath += `[${displayKey(key.value)}]`;
  }
  return {
    document: withKey(document, section.name, nextParents),
    target: targetPath,
    action: 'removed',
    fields: [],
  };
}

export function removeFromDocument(
  document: AitwsDocument,
  sectionPath: string,
  selector: RemoveSelector,
): EditOutcome {
  const { section, child, path } = resolveTarget(sectionPath, document, true);
  const topName = section?.name ?? path;
  if (child === undefined && !Object.hasOwn(document, topName)) {
    throw new AitwsError('UNKNOWN_ENTRY', `This draft has no ${topName} section; nothing was removed.`);
  }
  if (section === undefined || section.kind === 'table') {
    return removeFromTable(document, topName, selector.field);
  }
  if (child === undefined) return removeFromList(document, section, selector.assignments);
  return removeFromNestedList(document, section, child, selector.assignments);
}

export function tomlEquals(a: TomlValue | undefined, b: TomlValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.toISOString() === b.toISOString();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => tomlEquals(v, b[i]))
    );
  }
  if (isTable(a) && isTable(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && tomlEquals(a[k], b[k]))
    );
  }
  return false;
}
