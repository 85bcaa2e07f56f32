/**
 * The parts of a package that refer to its artifact (OCI 1.1 referrers, `subject` = the artifact):
 * the SBOM's and the provenance's manifests, and what they say of the approval behind the package.
 * The provenance is an in-toto statement (SLSA v1) in a DSSE envelope signed with the package key.
 */
import { createPublicKey, sign } from 'node:crypto';
import { ANNOTATIONS } from './annotations.js';
import { EMPTY_CONFIG, EMPTY_CONFIG_BYTES, type WorkflowArtifact } from './artifact.js';
import { canonicalManifestBytes, describeBlob, sha256Digest } from './digest.js';
import { dsseSign, envelopeBytes } from './dsse.js';
import { keyId } from './keys.js';
import type { PackageApproval, PackageInput, PackagePart } from './package.js';
import {
  buildProvenance,
  IN_TOTO_MEDIA_TYPE,
  type ProvenanceApprover,
  type ProvenanceInput,
  SLSA_PROVENANCE_TYPE,
} from './provenance.js';
import { type Blob, type ImageManifest, MEDIA_TYPES, type StoredManifest } from './types.js';

/** The referrers' annotation saying which approval the package carries. */
export const APPROVAL_ANNOTATION = 'dev.aitws.approval';
/** What the referrers say about approval when the package was made from a file. */
export const NO_APPROVAL = 'none: packaged from a file; approvals are recorded only from a channel review';
/** cosign's annotation naming an attestation's predicate (what `cosign download attestation` shows). */
export const PREDICATE_TYPE_ANNOTATION = 'in-toto.io/predicate-type';

export function manifestOf(manifest: ImageManifest, bytes: Uint8Array): StoredManifest {
  const artifactType = manifest.artifactType;
  return {
    descriptor: {
      mediaType: MEDIA_TYPES.manifest,
      digest: sha256Digest(bytes),
      size: bytes.byteLength,
      ...(artifactType === undefined ? {} : { artifactType }),
    },
    bytes,
    manifest,
  };
}

/** An OCI 1.1 referrer: the empty config, one layer, the artifact as `subject`. */
export function referrer(
  role: 'sbom' | 'provenance',
  label: string,
  artifact: WorkflowArtifact,
  layer: Blob['descriptor'],
  content: Uint8Array,
  input: PackageInput,
  artifactType: string = layer.mediaType,
): PackagePart {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    artifactType,
    config: EMPTY_CONFIG,
    layers: [layer],
    subject: artifact.descriptor,
    annotations: { [ANNOTATIONS.created]: input.created, [APPROVAL_ANNOTATION]: approvalLine(input) },
  };
  return {
    role,
    label,
    stored: manifestOf(manifest, canonicalManifestBytes(manifest)),
    blobs: [
      { descriptor: EMPTY_CONFIG, content: EMPTY_CONFIG_BYTES },
      { descriptor: layer, content },
    ],
  };
}

export function provenanceReferrer(
  artifact: WorkflowArtifact,
  workflow: { name: string; version: string; contentHash: string },
  input: PackageInput,
): PackagePart {
  const materials = artifact.manifest.layers.map((layer) => ({
    name: layer.annotations?.[ANNOTATIONS.title] ?? layer.digest,
    digest: layer.digest,
    mediaType: layer.mediaType,
  }));
  const provenance = buildProvenance({
    subjects: [{ name: input.name, digest: artifact.digest }],
    ...approvalFacts(input),
    workflow: { ...workflow, approvedVersion: input.approval?.version ?? 1 },
    ...(input.source === undefined
      ? {}
      : {
          source: {
            uri: input.source,
            ...(input.revision === undefined ? {} : { revision: input.revision }),
          },
        }),
    materials,
    // Derived from the artifact, not random: a rebuild must give the same provenance bytes.
    run: {
      invocationId: `${artifact.digest}@${input.created}`,
      startedOn: input.created,
      finishedOn: input.created,
    },
  });
  const publicKey = createPublicKey(input.privateKey);
  const envelope = dsseSign(
    IN_TOTO_MEDIA_TYPE,
    provenance.bytes,
    (bytes) => sign('sha256', bytes, { key: input.privateKey, dsaEncoding: 'der' }),
    keyId(publicKey),
  );
  const bytes = envelopeBytes(envelope);
  const layer = describeBlob(MEDIA_TYPES.inTotoDsse, bytes, {
    annotations: { [PREDICATE_TYPE_ANNOTATION]: SLSA_PROVENANCE_TYPE },
  });
  return referrer('provenance', 'provenance', artifact, layer, bytes, input, IN_TOTO_MEDIA_TYPE);
}

/** `v4 approved by Ann, Abe at 2026-…`: what a referrer says of the approval it carries. */
export function approvalLine(input: Pick<PackageInput, 'approval' | 'noApproval'>): string {
  const { approval } = input;
  if (approval === undefined) return input.noApproval ?? NO_APPROVAL;
  return `v${approval.version} approved by ${approval.by.map((person) => person.name).join(', ')} at ${approval.at}`;
}

/** Each approver with the time of their last vote to approve, when the audit entries show it. */
function approversOf(approval: PackageApproval): ProvenanceApprover[] {
  return approval.by.map((person) => {
    const votes = approval.audit.filter((entry) => entry.kind === 'approve' && entry.actor.id === person.id);
    const at = votes.at(-1)?.at;
    return { id: person.id, name: person.name, ...(at === undefined ? {} : { at }) };
  });
}

function approvalFacts(input: PackageInput): Pick<ProvenanceInput, 'approval' | 'audit'> {
  const { approval } = input;
  // A file has no review: version 1 of itself, approved by nobody (required: 0).
  if (approval === undefined)
    return { approval: { approvers: [], approvedAt: input.created, required: 0 }, audit: [] };
  return {
    approval: { approvers: approversOf(approval), approvedAt: approval.at, required: approval.required },
    audit: approval.audit,
  };
}
