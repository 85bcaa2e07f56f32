/**
 * The checks of one table of a known section: schema (types, ranges, required keys), unknown
 * fields, supported values and duplicate keys of nested lists.
 */
import type { z } from 'zod';
import type { Finding } from '../errors.js';
import { canonicalName, lookAlikeWarnings } from './entry-names.js';
import { hasUnsafeCharacters, inert } from './inert-text.js';
import { cutForMessage, maskSecrets } from './redact.js';
import { describeExpected, entrySchema } from './schema.js';
import { acceptsExtraFields } from './sections.js';
import { suggest } from './suggest.js';
import { entryLabel, isTable, isTableArray, joinPath } from './tree.js';
import { typeFix } from './type-fix.js';
import type { FieldSpec, NestedListSpec, SectionSpec, TomlTable, TomlValue } from './types.js';

export interface ValidationReport {
  readonly errors: Finding[];
  readonly warnings: Finding[];
  readonly notices: Finding[];
}

/**
 * How a value reads in a message; secrets in it are masked, then long text is cut. In that order:
 * a cut first can take away the `@` that marks a URL password and leave its start unmasked.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${inert(cutForMessage(maskSecrets(value)))}"`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof Date) return 'a date';
  if (Array.isArray(value)) return 'a list';
  if (isTable(value)) return 'a table';
  return String(value);
}

function valueAt(root: unknown, segments: readonly PropertyKey[]): unknown {
  let current = root;
  for (const segment of segments) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isTable(current) && typeof segment === 'string') current = current[segment];
    else return undefined;
  }
  return current;
}

/** `stages[Execution]` + ['actions', 0, 'type'] → `stages[Execution].actions[Train].type`. */
function pathOf(base: string, root: unknown, segments: readonly PropertyKey[]): string {
  let path = base;
  let current: unknown = root;
  for (const segment of segments) {
    if (typeof segment === 'number' && Array.isArray(current)) {
      const item: unknown = current[segment];
      path = joinPath(path, entryLabel(isTable(item) ? item : undefined, 'name', segment));
      current = item;
    } else {
      path = joinPath(path, String(segment));
      current = isTable(current) ? current[String(segment)] : undefined;
    }
  }
  return path;
}

/** The field spec an issue path points into: a field of the entry, or of a nested action. */
function fieldFor(
  spec: SectionSpec | NestedListSpec,
  segments: readonly PropertyKey[],
): FieldSpec | undefined {
  const [first, second, third] = segments;
  const children = 'children' in spec ? (spec.children ?? []) : [];
  const child = children.find((candidate) => candidate.name === first);
  if (child !== undefined && typeof second === 'number' && typeof third === 'string') {
    return child.fields.find((field) => field.name === third);
  }
  return spec.fields.find((field) => field.name === first);
}

function issueFinding(
  spec: SectionSpec | NestedListSpec,
  base: string,
  entry: TomlTable,
  issue: z.core.$ZodIssue,
): Finding {
  const path = pathOf(base, entry, issue.path);
  const value = valueAt(entry, issue.path);
  const field = fieldFor(spec, issue.path);
  const expected = field === undefined ? issue.message : describeExpected(field);
  if (value === undefined) {
    const identifies = field?.required === true ? '; it identifies the entry' : '';
    return { path, message: `is missing${identifies}`, expected, code: 'MISSING_KEY' };
  }
  if ((issue.code === 'too_big' || issue.code === 'too_small') && typeof value === 'number') {
    return { path, message: `${value} is out of range`, expected, code: 'OUT_OF_RANGE' };
  }
  if (issue.code === 'too_small' && value === '')
    return { path, message: 'is empty', expected, code: 'INVALID_VALUE' };
  if (
    issue.code === 'custom' &&
    typeof value === 'string' &&
    (field?.type === 'duration' || field?.type === 'url')
  ) {
    const what = field.type === 'duration' ? 'a duration' : 'a URL';
    return { path, message: `${describeValue(value)} is not ${what}`, expected, code: 'INVALID_VALUE' };
  }
  const fix = field === undefined || issue.path.length !== 1 ? undefined : typeFix(field, value);
  const write = fix === undefined ? '' : `; write ${fix}`;
  return { path, message: `got ${describeValue(value)}${write}`, expected, code: 'WRONG_TYPE' };
}

/** Unknown fields warn; in free-form lists (`open`) only a near miss of a known field does. */
function checkUnknownFields(
  spec: SectionSpec | NestedListSpec,
  table: TomlTable,
  path: string,
  open: boolean,
  report: ValidationReport,
): void {
  // In registry order: suggestions prefer the earlier of two equally close names.
  const names = spec.fields.map((field) => field.name);
  for (const key of Object.keys(table)) {
    if (key.startsWith('x_') || names.includes(key)) continue;
    const suggestion = suggest(key, names);
    if (open && suggestion === undefined) continue;
    report.warnings.push({
      path: joinPath(path, key),
      message: `unknown field "${key}"`,
      code: 'UNKNOWN_FIELD',
      ...(suggestion === undefined ? {} : { suggestion }),
    });
  }
}

function checkKnownValue(
  field: FieldSpec,
  allowed: readonly string[],
  item: TomlValue | undefined,
  path: string,
  report: ValidationReport,
): void {
  if (typeof item !== 'string' || allowed.includes(item)) return;
  const suggestion = suggest(item, allowed);
  report.warnings.push({
    path: joinPath(path, field.name),
    message: `${describeValue(item)} is not a supported value`,
    expected: `one of ${allowed.join(', ')}`,
    code: 'UNKNOWN_VALUE',
    ...(suggestion === undefined ? {} : { suggestion }),
  });
}

function checkKnownValues(
  spec: SectionSpec | NestedListSpec,
  table: TomlTable,
  path: string,
  report: ValidationReport,
): void {
  for (const field of spec.fields) {
    const allowed = field.knownValues;
    const value = table[field.name];
    if (allowed === undefined || value === undefined) continue;
    if (!Array.isArray(value)) checkKnownValue(field, allowed, value, path, report);
    else for (const item of value) checkKnownValue(field, allowed, item, path, report);
  }
}

/** An entry's name is shown everywhere: a control or bidi character in it would act on the reader. */
export function checkEntryName(
  entry: TomlTable,
  keyField: string,
  path: string,
  report: ValidationReport,
): void {
  const name = entry[keyField];
  if (typeof name !== 'string' || !hasUnsafeCharacters(name)) return;
  report.errors.push({
    path: joinPath(path, keyField),
    message: `"${inert(name)}" has a control or direction-changing character`,
    expected: 'a name of visible characters',
    code: 'INVALID_VALUE',
  });
}

/** Names equal in NFC are one name twice; names that only look alike are warned about. */
export function checkDuplicates(
  entries: readonly TomlTable[],
  keyField: string,
  path: string,
  report: ValidationReport,
): void {
  report.warnings.push(...lookAlikeWarnings(entries, keyField, path));
  if (entries.length < 2) return;
  const counts = new Map<string, number>();
  for (const entry of entries) {
    const key = entry[keyField];
    if (typeof key !== 'string' || key === '') continue;
    const name = canonicalName(key);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  if (counts.size === entries.length) return;
  for (const [key, count] of counts) {
    if (count < 2) continue;
    report.errors.push({
      path: `${path}[${key}]`,
      message: `${count} entries have ${keyField} "${key}"`,
      expected: `a unique ${keyField} per entry`,
      code: 'DUPLICATE_KEY',
    });
  }
}

/** The schema's issues (types, ranges, required keys) as error findings, one per path. */
function schemaErrors(
  spec: SectionSpec | NestedListSpec,
  table: TomlTable,
  path: string,
  report: ValidationReport,
): void {
  const result = entrySchema(spec).safeParse(table);
  if (result.success) return;
  const seen = new Set<string>();
  for (const issue of result.error.issues) {
    const finding = issueFinding(spec, path, table, issue);
    if (seen.has(finding.path)) continue;
    seen.add(finding.path);
    report.errors.push(finding);
  }
}

/** One table of a known section (a table section, or one entry of a list) and its nested lists. */
export function checkTable(
  spec: SectionSpec | NestedListSpec,
  table: TomlTable,
  path: string,
  report: ValidationReport,
): void {
  checkUnknownFields(spec, table, path, false, report);
  schemaErrors(spec, table, path, report);
  checkKnownValues(spec, table, path, report);
  const children = 'children' in spec ? (spec.children ?? []) : [];
  for (const child of children) {
    const entries = table[child.name];
    // A wrong shape here is already a schema error; only well-formed entries are looked into.
    if (!isTableArray(entries)) continue;
    const childPath = joinPath(path, child.name);
    const open = acceptsExtraFields(`${spec.name}.${child.name}`);
    entries.forEach((entry, i) => {
      const entryPath = `${childPath}${entryLabel(entry, child.key, i)}`;
      // Their schema was checked with the parent's.
      checkEntryName(entry, child.key, entryPath, report);
      checkUnknownFields(child, entry, entryPath, open, report);
      checkKnownValues(child, entry, entryPath, report);
    });
    checkDuplicates(entries, child.key, childPath, report);
  }
}
