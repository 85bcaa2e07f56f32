/**
 * Document validation. Findings name the section, entry and field (`roles[DataScientist].privileges`),
 * say what was expected and suggest the nearest valid name. Severity follows DESIGN §2:
 * - errors: wrong types, out-of-range values, bad durations, missing or duplicate keys, wrong shapes;
 * - warnings: unknown sections and fields, unsupported values, dangling references in a draft;
 * - notices: advice that needs no action to load or run (a password in a URL).
 */
import { type Finding, formatFinding, ValidationError } from '../errors.js';
import { danglingReferences } from './references.js';
import { SecretScan } from './secret-scan.js';
import { previousEntry, SectionMemo, type SectionResult } from './section-memo.js';
import { getSection, sectionNames } from './sections.js';
import { Candidates, suggestAmong } from './suggest.js';
import { checkDuplicates, checkTable, describeValue, planOf, type ValidationReport } from './table-check.js';
import { entryLabel, isKeyed, isTable, isTableArray } from './tree.js';
import type { AitwsDocument, SectionSpec, TomlTable, TomlValue } from './types.js';

export { describeValue, type ValidationReport } from './table-check.js';

export type ValidationMode = 'draft' | 'run';

export interface ValidationOptions {
  /** `run` makes dangling references errors: a run must not start with names that point nowhere. */
  readonly mode?: ValidationMode;
}

/**
 * What an entry of a list section was found to have. Findings carry the entry's label: by its key
 * (`[Developer]`), the same wherever the entry moves, or by position (`[#2]`, `index` set).
 */
interface CheckedEntry {
  readonly node: TomlTable;
  readonly index: number | undefined;
  readonly found: ValidationReport;
}

/** What a section was found to have; `wellFormed` false means only its shape was judged. */
interface CheckedSection extends SectionResult {
  readonly found: ValidationReport;
  readonly wellFormed: boolean;
  readonly entries?: readonly CheckedEntry[];
}

/** See section-memo.ts: an edit re-checks only the section, and the entries, it changed. */
const checkedSections = new SectionMemo<CheckedSection>();

function emptyReport(): ValidationReport {
  return { errors: [], warnings: [], notices: [] };
}

function append(report: ValidationReport, found: ValidationReport): void {
  for (const finding of found.errors) report.errors.push(finding);
  for (const finding of found.warnings) report.warnings.push(finding);
  for (const finding of found.notices) report.notices.push(finding);
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

/** A secret scan of its own, positioned at `trail`, reporting into `notices`. */
function scanAt(
  document: AitwsDocument,
  notices: Finding[],
  trail: readonly (string | number)[],
): SecretScan {
  const scan = new SecretScan(document, notices);
  for (const step of trail) scan.enter(step);
  return scan;
}

/** The entries of a list section, each checked on its own (or found unchanged), then their keys. */
function checkEntries(
  document: AitwsDocument,
  spec: SectionSpec,
  entries: TomlTable[],
  previous: CheckedSection | undefined,
): CheckedSection {
  const plan = planOf(spec);
  const keyField = spec.key ?? 'name';
  const found = emptyReport();
  const checked: CheckedEntry[] = [];
  for (let i = 0; i < entries.length; i++) {
    const node = entries[i];
    if (node === undefined) continue;
    let entry = previousEntry(previous?.entries, i, node);
    if (entry === undefined || (entry.index !== undefined && entry.index !== i)) {
      const own = emptyReport();
      const label = entryLabel(node, keyField, i);
      checkTable(plan, node, `${spec.name}${label}`, own, scanAt(document, own.notices, [spec.name, i]));
      entry = { node, index: isKeyed(node, keyField) ? undefined : i, found: own };
    }
    checked.push(entry);
    append(found, entry.found);
  }
  checkDuplicates(entries, keyField, spec.name, found);
  return { node: entries, found, wellFormed: true, entries: checked };
}

/** A section's own checks, its secrets included when it is well formed. */
function checkSection(
  document: AitwsDocument,
  spec: SectionSpec,
  value: TomlValue | undefined,
  previous: CheckedSection | undefined,
): CheckedSection {
  if (spec.kind === 'list' && isTableArray(value)) return checkEntries(document, spec, value, previous);
  if (spec.kind === 'table' && isTable(value)) {
    const found = emptyReport();
    checkTable(planOf(spec), value, spec.name, found, scanAt(document, found.notices, [spec.name]));
    return { node: value, found, wellFormed: true };
  }
  return {
    node: value,
    found: { errors: [wrongShape(spec, value)], warnings: [], notices: [] },
    wellFormed: false,
  };
}

const SECTION_NAMES = new Candidates(sectionNames());

export function validateDocument(document: AitwsDocument, options: ValidationOptions = {}): ValidationReport {
  const report: ValidationReport = { errors: [], warnings: [], notices: [] };
  const scan = new SecretScan(document, report.notices);
  const pass = checkedSections.open(document);
  for (const name of Object.keys(document)) {
    // Read by key rather than through Object.entries: no pair per section, the same values.
    const value = document[name];
    const spec = getSection(name);
    if (spec !== undefined) {
      const checked = pass.find(name, value) ?? checkSection(document, spec, value, pass.previous(name));
      pass.keep(name, checked);
      append(report, checked.found);
      if (checked.wellFormed) continue;
    }
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
  pass.close();
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
