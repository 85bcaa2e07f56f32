/**
 * Document validation. Findings name the section, entry and field (`roles[DataScientist].privileges`),
 * say what was expected and suggest the nearest valid name. Severity follows DESIGN §2:
 * - errors: wrong types, out-of-range values, bad durations, missing or duplicate keys, wrong shapes;
 * - warnings: unknown sections and fields, unsupported values, dangling references in a draft;
 * - notices: advice that needs no action to load or run (a password in a URL).
 */
import { formatFinding, ValidationError } from '../errors.js';
import { danglingReferences } from './references.js';
import { SecretScan } from './secret-scan.js';
import { getSection, sectionNames } from './sections.js';
import { Candidates, suggestAmong } from './suggest.js';
import { checkDuplicates, checkTable, describeValue, planOf, type ValidationReport } from './table-check.js';
import { entryLabel, isTable, isTableArray } from './tree.js';
import type { AitwsDocument, SectionSpec, TomlValue } from './types.js';

export { describeValue, type ValidationReport } from './table-check.js';

export type ValidationMode = 'draft' | 'run';

export interface ValidationOptions {
  /** `run` makes dangling references errors: a run must not start with names that point nowhere. */
  readonly mode?: ValidationMode;
}

/**
 * A section's own checks. A well-formed one is walked once for everything, its secrets included,
 * and true says so; for a malformed one the caller scans the secrets separately.
 */
function checkSection(
  spec: SectionSpec,
  value: TomlValue | undefined,
  report: ValidationReport,
  scan: SecretScan,
): boolean {
  const plan = planOf(spec);
  if (spec.kind === 'table') {
    if (!isTable(value)) {
      report.errors.push({
        path: spec.name,
        message: `is ${describeValue(value)}, but ${spec.name} is a table`,
        expected: `a [${spec.name}] table`,
        code: 'WRONG_SHAPE',
      });
      return false;
    }
    scan.enter(spec.name);
    checkTable(plan, value, spec.name, report, scan);
    scan.leave();
    return true;
  }
  if (!isTableArray(value)) {
    report.errors.push({
      path: spec.name,
      message: `${Array.isArray(value) ? 'has items that are not tables' : `is ${describeValue(value)}`}, but ${spec.name} is a list of entries`,
      expected: `[[${spec.name}]] entries`,
      code: 'WRONG_SHAPE',
    });
    return false;
  }
  const keyField = spec.key ?? 'name';
  scan.enter(spec.name);
  value.forEach((entry, i) => {
    scan.enter(i);
    checkTable(plan, entry, `${spec.name}${entryLabel(entry, keyField, i)}`, report, scan);
    scan.leave();
  });
  scan.leave();
  checkDuplicates(value, keyField, spec.name, report);
  return true;
}

const SECTION_NAMES = new Candidates(sectionNames());

export function validateDocument(document: AitwsDocument, options: ValidationOptions = {}): ValidationReport {
  const report: ValidationReport = { errors: [], warnings: [], notices: [] };
  const scan = new SecretScan(document, report.notices);
  for (const name of Object.keys(document)) {
    // Read by key rather than through Object.entries: no pair per section, the same values.
    const value = document[name];
    const spec = getSection(name);
    if (spec !== undefined && checkSection(spec, value, report, scan)) continue;
    if (spec === undefined && !name.startsWith('x_')) {
      const suggestion = suggestAmong(name, SECTION_NAMES);
      report.warnings.push({
        path: name,
        message: `unknown section "${name}"; it is kept as it is`,
        code: 'UNKNOWN_SECTION',
        ...(suggestion === undefined ? {} : { suggestion }),
      });
    }
    scan.step(name, value, name);
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
