/**
 * The document edits behind `/add`, and what `/remove` (edit-remove.ts) shares with them. Edits never mutate their input:
 * they copy along the changed path, so a failed validation afterwards leaves the stored draft as it was.
 */
import { AitwsError } from '../errors.js';
import { canonicalName, sameName } from './entry-names.js';
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

export function resolveTarget(path: string, document: AitwsDocument, forRemoval: boolean): Target {
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

export function displayKey(value: TomlValue): string {
  return typeof value === 'string' ? value : String(value);
}

/** Key values naming the same entry; names compare in NFC (see entry-names.ts). */
export const sameKey = sameName;

/** Names are kept in NFC, so the same name typed two ways is one entry in every later comparison. */
function canonicalKeys(
  assignments: readonly FieldAssignment[],
  keyFields: readonly string[],
): FieldAssignment[] {
  return assignments.map((assignment) =>
    keyFields.includes(assignment.key) && typeof assignment.value === 'string'
      ? { ...assignment, value: canonicalName(assignment.value) }
      : assignment,
  );
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

export function existingList(document: AitwsDocument, name: string): TomlTable[] {
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

export function existingTable(document: AitwsDocument, name: string): TomlTable {
  const value = document[name];
  if (value === undefined) return {};
  if (!isTable(value)) {
    throw new AitwsError('VALIDATION', `"${name}" in this draft is not a table, so it can't be edited.`, {
      hint: `Fix it with /remove ${name} and add it again.`,
    });
  }
  return value;
}

export function findParent(
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
  typed: readonly FieldAssignment[],
): EditOutcome {
  if (typed.length === 0) {
    throw new AitwsError('USAGE', `Nothing to add: give the fields as key=value.`, {
      hint: `Example: ${resolveSectionPath(sectionPath)?.section.example ?? '/add roles name="Reviewer" privileges=["read"]'}`,
    });
  }
  const target = resolveTarget(sectionPath, document, false);
  const { section, child } = target;
  const keyFields = [section?.key ?? 'name', ...(child === undefined ? [] : [child.key, child.parentParam])];
  const assignments = section?.kind === 'list' ? canonicalKeys(typed, keyFields) : typed;
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
