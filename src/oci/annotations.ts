/**
 * The manifest contract (issue #18; docs/manifest-contract.md is its documentation): which
 * annotations a workflow artifact's manifest carries and what each holds. Policies (`aitws verify
 * --policy`, Kyverno, a registry's UI) read these keys, so their names and formats are a public
 * interface: add keys, never rename or reformat one.
 *
 * Every value is a string (OCI annotations are string to string); lists are comma-joined in
 * code-unit order, and the record's keys are sorted, so the same input always gives the same
 * manifest bytes.
 */
import { AitwsError } from '../errors.js';
import type { ComplianceProfile } from './compliance.js';
import { isDigest } from './digest.js';

export { type ComplianceOptions, type ComplianceProfile, complianceProfile } from './compliance.js';

const OCI = 'org.opencontainers.image';
const OURS = 'dev.aitws';

export const ANNOTATIONS = Object.freeze({
  title: `${OCI}.title`,
  version: `${OCI}.version`,
  created: `${OCI}.created`,
  source: `${OCI}.source`,
  revision: `${OCI}.revision`,
  licenses: `${OCI}.licenses`,
  /** The tag of a manifest in an OCI layout's index.json. */
  refName: `${OCI}.ref.name`,
  workflowName: `${OURS}.workflow.name`,
  workflowVersion: `${OURS}.workflow.version`,
  contentHash: `${OURS}.content-hash`,
  approvedBy: `${OURS}.approved-by`,
  approvedByIds: `${OURS}.approved-by-ids`,
  approvedAt: `${OURS}.approved-at`,
  approvedVersion: `${OURS}.approved-version`,
  dataClassifications: `${OURS}.compliance.data-classifications`,
  modelProviders: `${OURS}.compliance.model-providers`,
  models: `${OURS}.compliance.models`,
  regions: `${OURS}.compliance.regions`,
  /** Followed by the `[ai_governance]` key: `dev.aitws.ai-governance.data_privacy`. */
  aiGovernancePrefix: `${OURS}.ai-governance.`,
});

/** Joins list values; a name holding a comma cannot be split back, which is why ids are listed too. */
export const LIST_SEPARATOR = ',';

export interface Approver {
  readonly id: string;
  readonly name: string;
}

export interface Approvals {
  readonly by: readonly Approver[];
  /** RFC 3339, when the version was approved. */
  readonly at: string;
  /** The approved version of the session (`3`). */
  readonly version: number | string;
}

export interface ManifestAnnotationInput {
  readonly workflow: { readonly name: string; readonly version: string };
  /** The document's content hash (src/access/content-hash.ts): `sha256:…`. */
  readonly contentHash: string;
  /** RFC 3339; given by the caller, never read from a clock here, so a rebuild is byte-identical. */
  readonly created: string;
  /** Absent for a workflow packaged without review (`review_required` off). */
  readonly approvals?: Approvals;
  readonly source?: string;
  readonly revision?: string;
  /** An SPDX expression. */
  readonly licenses?: string;
  readonly compliance: ComplianceProfile;
}

/** RFC 3339 date-time (OCI's format for `created`): a full date, a time and an offset or Z. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function isRfc3339(text: string): boolean {
  return RFC3339.test(text) && !Number.isNaN(Date.parse(text.replace(' ', 'T')));
}

/** The manifest's annotations, keys sorted. */
export function manifestAnnotations(input: ManifestAnnotationInput): Record<string, string> {
  checkInput(input);
  const found: Record<string, string> = {
    [ANNOTATIONS.title]: input.workflow.name,
    [ANNOTATIONS.version]: input.workflow.version,
    [ANNOTATIONS.created]: input.created,
    [ANNOTATIONS.workflowName]: input.workflow.name,
    [ANNOTATIONS.workflowVersion]: input.workflow.version,
    [ANNOTATIONS.contentHash]: input.contentHash,
    ...optional(ANNOTATIONS.source, input.source),
    ...optional(ANNOTATIONS.revision, input.revision),
    ...optional(ANNOTATIONS.licenses, input.licenses),
    ...(input.approvals === undefined ? {} : approvalAnnotations(input.approvals)),
    ...complianceAnnotations(input.compliance),
  };
  return sortedRecord(found);
}

/** Approvers ordered by id (names in the same order), so the order they voted in does not matter. */
function approvalAnnotations(approvals: Approvals): Record<string, string> {
  const byId = new Map<string, Approver>();
  for (const approver of approvals.by) if (!byId.has(approver.id)) byId.set(approver.id, approver);
  const ordered = [...byId.keys()].sort().map((id) => byId.get(id) as Approver);
  return {
    [ANNOTATIONS.approvedBy]: ordered.map((approver) => approver.name).join(LIST_SEPARATOR),
    [ANNOTATIONS.approvedByIds]: ordered.map((approver) => approver.id).join(LIST_SEPARATOR),
    [ANNOTATIONS.approvedAt]: approvals.at,
    [ANNOTATIONS.approvedVersion]: String(approvals.version),
  };
}

/** Always present, empty when the workflow declares nothing: absent would mean "not stated". */
function complianceAnnotations(profile: ComplianceProfile): Record<string, string> {
  const found: Record<string, string> = {
    [ANNOTATIONS.dataClassifications]: list(profile.dataClassifications),
    [ANNOTATIONS.modelProviders]: list(profile.modelProviders),
    [ANNOTATIONS.models]: list(profile.models),
    [ANNOTATIONS.regions]: list(profile.regions),
  };
  for (const [key, value] of Object.entries(profile.aiGovernance))
    found[`${ANNOTATIONS.aiGovernancePrefix}${key}`] = value;
  return found;
}

function list(values: readonly string[]): string {
  return [...new Set(values)].sort().join(LIST_SEPARATOR);
}

function optional(key: string, value: string | undefined): Record<string, string> {
  return value === undefined || value === '' ? {} : { [key]: value };
}

export function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  const ordered: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) ordered[key] = record[key] as string;
  return ordered;
}

function checkInput(input: ManifestAnnotationInput): void {
  if (input.workflow.name.trim() === '' || input.workflow.version.trim() === '')
    throw invalid('The workflow has no name or no version.', 'Set [metadata] name and version.');
  if (!isDigest(input.contentHash))
    throw invalid(`The content hash "${input.contentHash}" is not a sha256 digest.`);
  if (!isRfc3339(input.created))
    throw invalid(`created "${input.created}" is not an RFC 3339 time.`, 'Use e.g. 2026-01-31T12:00:00Z.');
  const approvals = input.approvals;
  if (approvals === undefined) return;
  if (approvals.by.length === 0) throw invalid('An approval needs at least one approver.');
  if (approvals.by.some((approver) => approver.id.trim() === '' || approver.name.trim() === ''))
    throw invalid('Every approver needs an id and a name.');
  if (!isRfc3339(approvals.at))
    throw invalid(`approved at "${approvals.at}" is not an RFC 3339 time.`, 'Use e.g. 2026-01-31T12:00:00Z.');
}

function invalid(message: string, hint?: string): AitwsError {
  return new AitwsError('VALIDATION', message, hint === undefined ? {} : { hint });
}
