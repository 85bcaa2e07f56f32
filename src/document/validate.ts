/**
 * Document validation. Findings name the section, entry and field (`roles[DataScientist].privileges`),
 * say what was expected and suggest the nearest valid name. Severity:
 * - errors: wrong types, out-of-range values, bad durations, missing or duplicate keys, wrong shapes;
 * - warnings: unknown sections and fields, unsupported values, dangling references in a draft;
 * - notices: advice that needs no action to load or run (a password in a URL).
 */
import type { Finding } from '../errors.js';
import { danglingReferences } from './references.js';
import { scanSecrets } from './secret-scan.js';
import { getSection, sectionNames } from './sections.js';
import { suggest } from './suggest.js';
import {
  checkDuplicates,
  checkEntryName,
  checkTable,
  describeValue,
  type ValidationReport,
} from './table-check.js';
import { entryLabel, isTable, isTableArray } from './tree.js';
import type { AitwsDocument, SectionSpec, TomlValue } from './types.js';

export { describeValue, type ValidationReport } from './table-check.js';

export type ValidationMode = 'draft' | 'run';

export interface ValidationOptions {
  /** `run` makes dangling references errors: a run must not start with names that point nowhere. */
  readonly mode?: ValidationMode;
}

function wrongShape(spec: SectionSpec, value: TomlValue | undefined): Finding {
  if (spec.kind === 'table') {
    return {
      path: spec.name,
      message: `is ${describeValue(value)}, but ${spec.name} is a table`,
      expected: `a [${spec.name}] table`,
      code: 'WRONG_SHAPE',
    };
  }
  return {
    path: spec.name,
    message: `${Array.isArray(value) ? 'has items that are not tables' : `is ${describeValue(value)}`}, but ${spec.name} is a list of entries`,
    expected: `[[${spec.name}]] entries`,
    code: 'WRONG_SHAPE',
  };
}

/** A known section's own checks: each table (or entry) against its schema, then the list's keys. */
function checkSection(spec: SectionSpec, value: TomlValue | undefined, report: ValidationReport): void {
  if (spec.kind === 'list' && isTableArray(value)) {
    const keyField = spec.key ?? 'name';
    value.forEach((entry, i) => {
      const path = `${spec.name}${entryLabel(entry, keyField, i)}`;
      checkEntryName(entry, keyField, path, report);
      checkTable(spec, entry, path, report);
    });
    checkDuplicates(value, keyField, spec.name, report);
  } else if (spec.kind === 'table' && isTable(value)) {
    checkTable(spec, value, spec.name, report);
  } else {
    report.errors.push(wrongShape(spec, value));
  }
}

function unknownSection(name: string): Finding {
  const suggestion = suggest(name, sectionNames());
  return {
    path: name,
    message: `unknown section "${name}"; it is kept as it is`,
    code: 'UNKNOWN_SECTION',
    ...(suggestion === undefined ? {} : { suggestion }),
  };
}

/** One top-level section's own findings: everything but references, which span sections. */
function checkTopLevel(document: AitwsDocument, name: string, report: ValidationReport): void {
  const spec = getSection(name);
  if (spec !== undefined) checkSection(spec, document[name], report);
  else if (!name.startsWith('x_')) report.warnings.push(unknownSection(name));
}

export function validateDocument(document: AitwsDocument, options: ValidationOptions = {}): ValidationReport {
  const report: ValidationReport = { errors: [], warnings: [], notices: [] };
  for (const name of Object.keys(document)) checkTopLevel(document, name, report);
  report.notices.push(...scanSecrets(document));
  const dangling = danglingReferences(document);
  (options.mode === 'run' ? report.errors : report.warnings).push(...dangling);
  return report;
}

export interface ChangeFindings {
  /** Errors in the changed section: the change may not be stored. */
  readonly errors: readonly Finding[];
  /** The changed section's warnings and every dangling reference, as the new version has them. */
  readonly warnings: readonly Finding[];
  /** Those of `warnings` the version before did not have. */
  readonly newWarnings: readonly Finding[];
}

function findingId(finding: Finding): string {
  return `${finding.code}|${finding.path}|${finding.message}`;
}

function newAgainst(warnings: readonly Finding[], before: readonly Finding[]): Finding[] {
  const known = new Set(before.map(findingId));
  return warnings.filter((warning) => !known.has(findingId(warning)));
}

/** What replacing a draft (or starting one, `before` null) does, in draft mode. */
export function validateReplacement(before: AitwsDocument | null, after: AitwsDocument): ChangeFindings {
  const { errors, warnings } = validateDocument(after, { mode: 'draft' });
  const old = before === null ? [] : validateDocument(before, { mode: 'draft' }).warnings;
  return { errors, warnings, newWarnings: newAgainst(warnings, old) };
}

/**
 * What a change of one top-level section did to a draft, in draft mode. The other sections are the
 * same in both versions and so are their findings; only the changed section is checked again,
 * and the references, which point across sections, in both versions.
 */
export function validateChange(before: AitwsDocument, after: AitwsDocument, section: string): ChangeFindings {
  const old: ValidationReport = { errors: [], warnings: [], notices: [] };
  if (Object.hasOwn(before, section)) checkTopLevel(before, section, old);
  const changed: ValidationReport = { errors: [], warnings: [], notices: [] };
  if (Object.hasOwn(after, section)) checkTopLevel(after, section, changed);
  const warnings = [...changed.warnings, ...danglingReferences(after)];
  const oldWarnings = [...old.warnings, ...danglingReferences(before)];
  return { errors: changed.errors, warnings, newWarnings: newAgainst(warnings, oldWarnings) };
}
