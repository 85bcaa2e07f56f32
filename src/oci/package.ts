/**
 * Packaging a workflow file (issue #18, `aitws package`): the artifact, its cosign signature, and
 * an SBOM and a provenance attached as referrers (OCI 1.1 `subject`), each signed in turn. Built
 * in memory first, so nothing is pushed or written unless every part could be made.
 *
 * Reproducible: the caller fixes `created`, and every part is canonical JSON or cosign's fixed
 * format over fixed input (ECDSA signatures are randomised, but they live in the signature
 * manifests, never in the artifact), so the same file always gives the same artifact digest.
 *
 * A file has no review behind it: its provenance names no approvers (`required: 0`), and the
 * referrers say so in the `dev.aitws.approval` annotation. A channel's approved version (`/package`)
 * comes with its `approval`: the approvers go into the artifact's annotations, the provenance (with
 * the audit entries of that review) and the referrers' annotation.
 */
import type { KeyObject } from 'node:crypto';
import { contentHash } from '../access/content-hash.js';
import { isTable, parseDocument, stringifyDocument, validateDocument } from '../document/index.js';
import type { AitwsDocument, Limits } from '../document/types.js';
import { AitwsError, formatFinding } from '../errors.js';
import { ProviderRegistry } from '../runtime/ai/capabilities.js';
import type { Approver } from './annotations.js';
import {
  type ArtifactFile,
  buildWorkflowArtifact,
  storedManifest,
  type WorkflowArtifact,
} from './artifact.js';
import { signatureManifest } from './cosign.js';
import { describeBlob, sha256Digest } from './digest.js';
import { manifestOf, provenanceReferrer, referrer } from './package-referrers.js';
import type { ProvenanceAuditEntry } from './provenance.js';
import { buildSbom, registryProviderOf } from './sbom.js';
import { type Blob, type Digest, MEDIA_TYPES, type StoredManifest } from './types.js';

/** The fixed time used when neither --created nor SOURCE_DATE_EPOCH says otherwise. */
export const DEFAULT_CREATED = '1970-01-01T00:00:00Z';

/** The review that approved the packaged version (a channel's `lastApproved` and its audit entries). */
export interface PackageApproval {
  /** The channel's version number that was approved. */
  readonly version: number;
  /** RFC 3339, when the review reached its quorum. */
  readonly at: string;
  readonly by: readonly Approver[];
  /** The review's quorum (change_management.required_approvals). */
  readonly required: number;
  /** The review's entries in the audit trail (submission, votes, decision), oldest first. */
  readonly audit: readonly ProvenanceAuditEntry[];
}

export interface PackageInput {
  /** The workflow file as read; validated, then written as canonical TOML. */
  readonly text: string;
  /** `host/repo`: names the artifact in its signatures and provenance. */
  readonly name: string;
  readonly privateKey: KeyObject;
  readonly created: string;
  readonly files?: readonly ArtifactFile[];
  readonly source?: string;
  readonly revision?: string;
  readonly licenses?: string;
  readonly limits?: Limits;
  readonly registry?: ProviderRegistry;
  /** Absent: approved by nobody, which the referrers say with `noApproval`. */
  readonly approval?: PackageApproval;
  /** The referrers' `dev.aitws.approval` without an approval; NO_APPROVAL (a file) by default. */
  readonly noApproval?: string;
}

export type PartRole = 'artifact' | 'sbom' | 'provenance' | 'signature';

export interface PackagePart {
  readonly role: PartRole;
  /** `signature of SBOM`, `provenance`: how a command line names it. */
  readonly label: string;
  readonly stored: StoredManifest;
  readonly blobs: readonly Blob[];
  /** Signatures: `sha256-<hex>.sig`. The artifact takes the caller's tag; referrers have none. */
  readonly tag?: string;
}

export interface WorkflowPackage {
  readonly artifact: WorkflowArtifact;
  readonly digest: Digest;
  /** Artifact first, each signed thing followed by its signature. */
  readonly parts: readonly PackagePart[];
}

/** `SOURCE_DATE_EPOCH` (reproducible-builds.org) as RFC 3339, else the Unix epoch. */
export function defaultCreated(env: Readonly<Record<string, string | undefined>>): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch === undefined || epoch === '') return DEFAULT_CREATED;
  if (!/^\d{1,12}$/.test(epoch))
    throw new AitwsError('USAGE', `SOURCE_DATE_EPOCH "${epoch.slice(0, 40)}" is not a count of seconds.`, {
      hint: 'Set it to a Unix time, e.g. $(git log -1 --format=%ct), or pass --created.',
    });
  return new Date(Number(epoch) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Parses and validates like `aitws validate`; refuses with every error as a detail. */
export function readWorkflow(text: string, limits?: Limits): { document: AitwsDocument; toml: string } {
  const parsed = parseDocument(text, limits);
  const report = validateDocument(parsed);
  if (report.errors.length > 0)
    throw new AitwsError(
      'VALIDATION',
      `The workflow has ${report.errors.length} error(s); nothing was packaged.`,
      {
        details: report.errors.map(formatFinding),
        hint: 'Fix them (aitws validate FILE lists them too), then package again.',
      },
    );
  const toml = stringifyDocument(parsed);
  return { document: parseDocument(toml, limits), toml };
}

function metadataOf(document: AitwsDocument): { name: string; version: string } {
  const metadata = isTable(document.metadata) ? document.metadata : {};
  const field = (key: string): string => {
    const value = metadata[key];
    return typeof value === 'string' ? value : '';
  };
  return { name: field('name'), version: field('version') };
}

export function buildPackage(input: PackageInput): WorkflowPackage {
  const { document, toml } = readWorkflow(input.text, input.limits);
  const workflow = metadataOf(document);
  const hash = contentHash(document);
  const registry = input.registry ?? new ProviderRegistry();
  const files = input.files ?? [];
  const artifact = buildWorkflowArtifact({
    toml,
    workflow,
    contentHash: hash,
    created: input.created,
    compliance: { registry },
    files,
    ...optionalFields(input),
    ...(input.approval === undefined
      ? {}
      : { approvals: { by: input.approval.by, at: input.approval.at, version: input.approval.version } }),
  });
  const sbom = buildSbom({
    document,
    workflow: { ...workflow, contentHash: hash },
    timestamp: input.created,
    files: files.map((file) => ({ path: file.path, sha256: sha256Digest(file.content), kind: kindOf(file) })),
    providerOf: registryProviderOf(registry),
  });
  const sbomPart = referrer(
    'sbom',
    'SBOM',
    artifact,
    describeBlob(sbom.mediaType, sbom.bytes),
    sbom.bytes,
    input,
  );
  const provenancePart = provenanceReferrer(artifact, { ...workflow, contentHash: hash }, input);
  const parts: PackagePart[] = [];
  for (const part of [artifactPart(artifact), sbomPart, provenancePart])
    parts.push(part, signaturePart(part, input));
  return { artifact, digest: artifact.digest, parts };
}

function optionalFields(input: PackageInput): { source?: string; revision?: string; licenses?: string } {
  return {
    ...(input.source === undefined ? {} : { source: input.source }),
    ...(input.revision === undefined ? {} : { revision: input.revision }),
    ...(input.licenses === undefined ? {} : { licenses: input.licenses }),
  };
}

function kindOf(file: ArtifactFile): string {
  if (file.mediaType === MEDIA_TYPES.skill) return 'skill';
  if (file.mediaType === MEDIA_TYPES.plugin) return 'plugin';
  return 'prompt';
}

function artifactPart(artifact: WorkflowArtifact): PackagePart {
  return { role: 'artifact', label: 'artifact', stored: storedManifest(artifact), blobs: artifact.blobs };
}

function signaturePart(part: PackagePart, input: PackageInput): PackagePart {
  const signature = signatureManifest(part.stored.descriptor.digest, input.name, input.privateKey);
  return {
    role: 'signature',
    label: `signature of ${part.label}`,
    stored: manifestOf(signature.manifest, signature.manifestBytes),
    blobs: signature.blobs,
    tag: signature.tag,
  };
}
