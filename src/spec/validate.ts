/**
 * Document validation. Findings name the section, entry and field (`roles[DataScientist].privileges`),
 * say what was expected and suggest the nearest valid name. Severity follows DESIGN §2:
 * - errors: wrong types, out-of-range values, bad durations, missing or duplicate keys, wrong shapes;
 * - warnings: unknown sections and fields, unsupported values, dangling references in a draft;
 * - notices: advice that needs no action to load or run (a password in a URL).
 */
import type { z } from 'zod';
import { type Finding, formatFinding, ValidationError } from '../errors.js';
import { maskSecrets } from './redact.js';
import { danglingReferences } from './references.js';
import { conformsTo, describeExpected, entrySchema } from './schema.js';
import { scanSecrets } from './secret-scan.js';
import { acceptsExtraFields, getSection, sectionNames } from './sections.js';
import { suggest } from './suggest.js';
import { entryLabel, isTable, isTableArray, joinPath } from './tree.js';
import type { AitwsDocument, FieldSpec, NestedListSpec, SectionSpec, TomlTable, TomlValue } from './types.js';

export type ValidationMode = 'draft' | 'run';

export interface ValidationOptions {
  /** `run` makes dangling references errors: a run must not start with names that point nowhere. */
  readonly mode?: ValidationMode;
}

export interface ValidationReport {
  readonly errors: Finding[];
  readonly warnings: Finding[];
  readonly notices: Finding[];
}

/** How a value reads in a message; secrets in it are masked, long text is cut. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `"${maskSecrets(shown)}"`;
  }
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
  return { path, message: `got ${describeValue(value)}`, expected, code: 'WRONG_TYPE' };
}

/** What the checks of one table need from its spec, derived once rather than per table. */
interface TablePlan {
  readonly known: ReadonlySet<string>;
  /** Field names in registry order: suggestions prefer the earlier of two equally close names. */
  readonly names: readonly string[];
  readonly withValues: readonly FieldSpec[];
  readonly children: readonly { readonly spec: NestedListSpec; readonly open: boolean }[];
}

const plans = new WeakMap<SectionSpec | NestedListSpec, TablePlan>();

function planOf(spec: SectionSpec | NestedListSpec): TablePlan {
  const cached = plans.get(spec);
  if (cached !== undefined) return cached;
  const names = spec.fields.map((field) => field.name);
  const children = 'children' in spec ? (spec.children ?? []) : [];
  const plan: TablePlan = {
    known: new Set(names),
    names,
    withValues: spec.fields.filter((field) => field.knownValues !== undefined),
    children: children.map((child) => ({
      spec: child,
      open: acceptsExtraFields(`${spec.name}.${child.name}`),
    })),
  };
  plans.set(spec, plan);
  return plan;
}

function checkUnknownFields(
  plan: TablePlan,
  table: TomlTable,
  path: string,
  open: boolean,
  report: ValidationReport,
): void {
  for (const key of Object.keys(table)) {
    if (plan.known.has(key) || key.startsWith('x_')) continue;
    const suggestion = suggest(key, plan.names);
    // In free-form lists only a near miss of a known field is worth a warning.
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

function checkKnownValues(plan: TablePlan, table: TomlTable, path: string, report: ValidationReport): void {
  for (const field of plan.withValues) {
    const allowed = field.knownValues;
    const value = table[field.name];
    if (allowed === undefined || value === undefined) continue;
    if (!Array.isArray(value)) checkKnownValue(field, allowed, value, path, report);
    // `forEach` skips holes, as the filter this replaces did.
    else value.forEach((item) => checkKnownValue(field, allowed, item, path, report));
  }
}

function checkDuplicates(
  entries: readonly TomlTable[],
  keyField: string,
  path: string,
  report: ValidationReport,
): void {
  const counts = new Map<string, number>();
  for (const entry of entries) {
    const key = entry[keyField];
    if (typeof key === 'string' && key !== '') counts.set(key, (counts.get(key) ?? 0) + 1);
  }
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

/** One table: schema (types, ranges, required keys), unknown fields, supported values, nested lists. */
function checkTable(
  spec: SectionSpec | NestedListSpec,
  table: TomlTable,
  path: string,
  open: boolean,
  report: ValidationReport,
): void {
  if (!conformsTo(spec, table)) {
    const result = entrySchema(spec).safeParse(table);
    if (!result.success) {
      const seen = new Set<string>();
      for (const issue of result.error.issues) {
        const finding = issueFinding(spec, path, table, issue);
        if (seen.has(finding.path)) continue;
        seen.add(finding.path);
        report.errors.push(finding);
      }
    }
  }
  const plan = planOf(spec);
  checkUnknownFields(plan, table, path, open, report);
  checkKnownValues(plan, table, path, report);
  for (const { spec: child, open: childOpen } of plan.children) {
    const entries = table[child.name];
    // A wrong shape here is already a schema error; only well-formed entries are looked into.
    if (!isTableArray(entries)) continue;
    const childPath = joinPath(path, child.name);
    const childPlan = planOf(child);
    entries.forEach((entry, i) => {
      const entryPath = `${childPath}${entryLabel(entry, child.key, i)}`;
      checkUnknownFields(childPlan, entry, entryPath, childOpen, report);
      checkKnownValues(childPlan, entry, entryPath, report);
    });
    checkDuplicates(entries, child.key, childPath, report);
  }
}

function checkSection(spec: SectionSpec, value: TomlValue, report: ValidationReport): void {
  if (spec.kind === 'table') {
    if (!isTable(value)) {
      report.errors.push({
        path: spec.name,
        message: `is ${describeValue(value)}, but ${spec.name} is a table`,
        expected: `a [${spec.name}] table`,
        code: 'WRONG_SHAPE',
      });
      return;
    }
    checkTable(spec, value, spec.name, false, report);
    return;
  }
  if (!isTableArray(value)) {
    report.errors.push({
      path: spec.name,
      message: `${Array.isArray(value) ? 'has items that are not tables' : `is ${describeValue(value)}`}, but ${spec.name} is a list of entries`,
      expected: `[[${spec.name}]] entries`,
      code: 'WRONG_SHAPE',
    });
    return;
  }
  const keyField = spec.key ?? 'name';
  value.forEach((entry, i) => {
    checkTable(spec, entry, `${spec.name}${entryLabel(entry, keyField, i)}`, false, report);
  });
  checkDuplicates(value, keyField, spec.name, report);
}

export function validateDocument(document: AitwsDocument, options: ValidationOptions = {}): ValidationReport {
  const report: ValidationReport = { errors: [], warnings: [], notices: [] };
  for (const [name, value] of Object.entries(document)) {
    const spec = getSection(name);
    if (spec !== undefined) checkSection(spec, value, report);
    else if (!name.startsWith('x_')) {
      const suggestion = suggest(name, sectionNames());
      report.warnings.push({
        path: name,
        message: `unknown section "${name}"; it is kept as it is`,
        code: 'UNKNOWN_SECTION',
        ...(suggestion === undefined ? {} : { suggestion }),
      });
    }
    scanSecrets(document, name, report.notices);
  }
  const dangling = danglingReferences(document);
  (options.mode === 'run' ? report.errors : report.warnings).push(...dangling);
  return report;
}

/** Throws a ValidationError carrying every error (and the warnings) when the document has errors. */
export function assertValid(document: AitwsDocument, options: ValidationOptions = {}): ValidationReport {
  const report = validateDocument(document, options);
  const [first] = report.errors;
  if (first !== undefined) {
    // The headline names the problem itself, so a one-line chat reply is already actionable.
    const count = report.errors.length;
    const message =
      count === 1 ? formatFinding(first) : `${count} validation errors, first: ${formatFinding(first)}`;
    throw new ValidationError(report.errors, report.warnings, message);
  }
  return report;
}
