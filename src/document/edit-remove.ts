/**
 * `/remove` as a pure document edit: like `/add` (edit.ts), it copies along the changed path and
 * never changes its input.
 */
import { AitwsError } from '../errors.js';
import {
  displayKey,
  type EditOutcome,
  existingList,
  existingTable,
  type FieldAssignment,
  findParent,
  resolveTarget,
  sameKey,
} from './edit.js';
import { suggest } from './suggest.js';
import { withKey } from './tree.js';
import type { AitwsDocument, NestedListSpec, SectionSpec, TomlTable, TomlValue } from './types.js';

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

/** An emptied list goes with its last entry: `stages = []` in a draft or a saved file says nothing. */
function orNothing(list: TomlTable[]): TomlTable[] | undefined {
  return list.length === 0 ? undefined : list;
}

/** Without [metadata] name a workflow has no name to show, save or run it by. */
function refuseMetadataRemoval(field: string | undefined): void {
  if (field !== undefined && field !== 'name') return;
  throw new AitwsError(
    'USAGE',
    field === undefined
      ? 'metadata cannot be removed: a workflow needs a name.'
      : 'metadata.name cannot be removed: a workflow needs a name.',
    { hint: 'Change it instead: /add metadata name="New name".' },
  );
}

/** `/remove logging` or `/remove logging level`, and any section that is not a list. */
function removeFromTable(document: AitwsDocument, name: string, field: string | undefined): EditOutcome {
  if (name === 'metadata') refuseMetadataRemoval(field);
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
    document: withKey(document, section.name, orNothing(list)),
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
    nextParents[index] = withKey(parent, child.name, orNothing(remaining));
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
