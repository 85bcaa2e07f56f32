/**
 * The checks of one table of a known section: schema (types, ranges, required keys), unknown
 * fields, supported values and duplicate keys of nested lists. What a check needs from the
 * registry is derived once per spec (a plan), not once per table.
 */
import type { z } from 'zod';
import type { Finding } from '../errors.js';
import { isSecretKey, maskSecrets } from './redact.js';
import {
  type Conforms,
  conformance,
  describeExpected,
  entrySchema,
  type FieldRule,
  fieldRules,
  ruleAccepts,
} from './schema.js';
import type { SecretScan } from './secret-scan.js';
import { acceptsExtraFields } from './sections.js';
import { Candidates, suggestAmong } from './suggest.js';
import { entryLabel, isTable, isTableArray, joinPath } from './tree.js';
import type { FieldSpec, NestedListSpec, SectionSpec, TomlTable, TomlValue } from './types.js';

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

/** A registry field as the key loop meets it: its rule, its bit in a mask, a secret-looking name. */
interface KnownField {
  readonly rule: FieldRule;
  readonly bit: number;
  readonly secret: boolean;
}

/** Fields a 32-bit mask can track; a spec with more falls back to `conforms`. */
const MASK_FIELDS = 31;

/** What the checks of one table need from its spec. */
export interface TablePlan {
  readonly spec: SectionSpec | NestedListSpec;
  readonly rules: readonly FieldRule[];
  readonly conforms: Conforms;
  /** One lookup per key answers: known field? its rule? secret-looking name? */
  readonly known: ReadonlyMap<string, KnownField>;
  /** Field names in registry order: suggestions prefer the earlier of two equally close names. */
  readonly names: Candidates;
  readonly withValues: readonly { readonly field: FieldSpec; readonly allowed: Candidates }[];
  readonly children: readonly { readonly plan: TablePlan; readonly key: string; readonly open: boolean }[];
}

const plans = new WeakMap<SectionSpec | NestedListSpec, TablePlan>();

export function planOf(spec: SectionSpec | NestedListSpec): TablePlan {
  const cached = plans.get(spec);
  if (cached !== undefined) return cached;
  const names = spec.fields.map((field) => field.name);
  const children = 'children' in spec ? (spec.children ?? []) : [];
  const rules = fieldRules(spec);
  const plan: TablePlan = {
    spec,
    rules,
    conforms: conformance(spec),
    known: new Map(
      rules.map((rule, index) => [
        rule.field.name,
        { rule, bit: index < MASK_FIELDS ? 1 << index : 0, secret: isSecretKey(rule.field.name) },
      ]),
    ),
    names: new Candidates(names),
    withValues: spec.fields.flatMap((field) =>
      field.knownValues === undefined ? [] : [{ field, allowed: new Candidates(field.knownValues) }],
    ),
    children: children.map((child) => ({
      plan: planOf(child),
      key: child.key,
      open: acceptsExtraFields(`${spec.name}.${child.name}`),
    })),
  };
  plans.set(spec, plan);
  return plan;
}

function unknownField(
  plan: TablePlan,
  key: string,
  path: string,
  open: boolean,
  report: ValidationReport,
): void {
  const suggestion = suggestAmong(key, plan.names);
  // In free-form lists only a near miss of a known field is worth a warning.
  if (open && suggestion === undefined) return;
  report.warnings.push({
    path: joinPath(path, key),
    message: `unknown field "${key}"`,
    code: 'UNKNOWN_FIELD',
    ...(suggestion === undefined ? {} : { suggestion }),
  });
}

/**
 * One pass over the keys for unknown fields, the plain schema check and, with `scan`, the
 * secrets of every value (in document order). Returns whether the table certainly conforms:
 * the rules of the fields among its keys pass here, and the other fields are looked up after,
 * so a field that is absent, or owned but not enumerable, is judged as `conforms` judges it.
 */
function checkFields(
  plan: TablePlan,
  table: TomlTable,
  path: string,
  open: boolean,
  report: ValidationReport,
  scan: SecretScan | undefined,
): boolean {
  let seen = 0;
  let accepted = true;
  const keys = Object.keys(table);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] ?? '';
    const item = table[key];
    const known = plan.known.get(key);
    if (known === undefined) {
      if (!key.startsWith('x_')) unknownField(plan, key, path, open, report);
      scan?.step(key, item, key);
      continue;
    }
    seen |= known.bit;
    if (accepted && !ruleAccepts(known.rule, item)) accepted = false;
    scan?.step(key, item, key, known.secret);
  }
  if (!accepted) return false;
  if (plan.rules.length > MASK_FIELDS) return plan.conforms(table);
  for (let index = 0; index < plan.rules.length; index++) {
    const rule = plan.rules[index];
    if ((seen & (1 << index)) === 0 && rule !== undefined && !ruleAccepts(rule, table[rule.field.name]))
      return false;
  }
  return true;
}

function checkKnownValue(
  field: FieldSpec,
  allowed: Candidates,
  item: TomlValue | undefined,
  path: string,
  report: ValidationReport,
): void {
  if (typeof item !== 'string' || allowed.names.includes(item)) return;
  const suggestion = suggestAmong(item, allowed);
  report.warnings.push({
    path: joinPath(path, field.name),
    message: `${describeValue(item)} is not a supported value`,
    expected: `one of ${allowed.names.join(', ')}`,
    code: 'UNKNOWN_VALUE',
    ...(suggestion === undefined ? {} : { suggestion }),
  });
}

function checkKnownValues(plan: TablePlan, table: TomlTable, path: string, report: ValidationReport): void {
  for (const { field, allowed } of plan.withValues) {
    const value = table[field.name];
    if (value === undefined) continue;
    if (!Array.isArray(value)) checkKnownValue(field, allowed, value, path, report);
    // Holes are skipped, as forEach did (a loop: see tree.ts on frozen arrays).
    else
      for (const item of value) {
        if (item !== undefined) checkKnownValue(field, allowed, item, path, report);
      }
  }
}

export function checkDuplicates(
  entries: readonly TomlTable[],
  keyField: string,
  path: string,
  report: ValidationReport,
): void {
  if (entries.length < 2) return;
  const counts = new Map<string, number>();
  for (const entry of entries) {
    const key = entry[keyField];
    if (typeof key === 'string' && key !== '') counts.set(key, (counts.get(key) ?? 0) + 1);
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

/** zod runs only for a table the plain checks refuse: its issues make the error findings. */
function schemaErrors(plan: TablePlan, table: TomlTable, path: string, report: ValidationReport): void {
  const result = entrySchema(plan.spec).safeParse(table);
  if (result.success) return;
  const seen = new Set<string>();
  for (const issue of result.error.issues) {
    const finding = issueFinding(plan.spec, path, table, issue);
    if (seen.has(finding.path)) continue;
    seen.add(finding.path);
    report.errors.push(finding);
  }
}

/**
 * One table of a known section and its nested lists. With `scan` (positioned at the table), the
 * secrets of the whole table are scanned on the way.
 */
export function checkTable(
  plan: TablePlan,
  table: TomlTable,
  path: string,
  report: ValidationReport,
  scan?: SecretScan,
): void {
  if (!checkFields(plan, table, path, false, report, scan)) schemaErrors(plan, table, path, report);
  checkKnownValues(plan, table, path, report);
  for (const child of plan.children) {
    const entries = table[child.plan.spec.name];
    // A wrong shape here is already a schema error; only well-formed entries are looked into.
    if (!isTableArray(entries)) continue;
    const childPath = joinPath(path, child.plan.spec.name);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (entry === undefined) continue;
      const entryPath = `${childPath}${entryLabel(entry, child.key, i)}`;
      // Their schema was checked with the parent's; their secrets were scanned with its fields.
      checkFields(child.plan, entry, entryPath, child.open, report, undefined);
      checkKnownValues(child.plan, entry, entryPath, report);
    }
    checkDuplicates(entries, child.key, childPath, report);
  }
}
