/**
 * The workflow artifact (issue #18 point 1): an OCI image manifest v1.1 with our artifactType, the
 * empty config, the canonical TOML as its first layer and every file the workflow refers to
 * (prompt files, skills, plugins) as a layer of its own, annotated per the manifest contract.
 *
 * Reproducible: nothing here reads a clock or the file system; layers are ordered by path, blobs
 * by digest, and the manifest is canonical JSON, so the same input gives the same bytes and digest.
 */
import { contentHash } from '../access/content-hash.js';
import { parseDocument } from '../document/index.js';
import { AitwsError } from '../errors.js';
import { ANNOTATIONS, type Approvals, manifestAnnotations } from './annotations.js';
import { type ComplianceOptions, complianceProfile } from './compliance.js';
import { canonicalManifestBytes, describeBlob, sha256Digest } from './digest.js';
import {
  type Blob,
  type Descriptor,
  type Digest,
  type ImageManifest,
  MEDIA_TYPES,
  type StoredManifest,
} from './types.js';

/** `{}`: the OCI 1.1 empty config (image-spec manifest.md, "Guidance for an Empty Descriptor"). */
export const EMPTY_CONFIG_BYTES: Uint8Array = new TextEncoder().encode('{}');
export const EMPTY_CONFIG_DIGEST: Digest =
  'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
export const EMPTY_CONFIG: Descriptor = Object.freeze({
  mediaType: MEDIA_TYPES.emptyConfig,
  digest: EMPTY_CONFIG_DIGEST,
  size: 2,
});

/** The title of the TOML layer: what `oras pull` names the file. */
export const WORKFLOW_TOML_TITLE = 'workflow.toml';

export interface ArtifactFile {
  /** Relative, `/`-separated: `prompts/summary.md`, `skills/triage.tar`. */
  readonly path: string;
  readonly mediaType: string;
  readonly content: Uint8Array;
}

export interface WorkflowArtifactInput {
  /** The document as canonical TOML (stringifyDocument / formatToml: what /save writes). */
  readonly toml: string;
  readonly workflow: { readonly name: string; readonly version: string };
  /** The approved version's content hash; checked against the TOML, so the two cannot disagree. */
  readonly contentHash: string;
  /** RFC 3339, given by the caller (a fixed or approval time), so a rebuild is byte-identical. */
  readonly created: string;
  /** Who serves which model, for the compliance profile (the built-in registry when absent). */
  readonly compliance?: ComplianceOptions;
  readonly approvals?: Approvals;
  readonly files?: readonly ArtifactFile[];
  readonly source?: string;
  readonly revision?: string;
  readonly licenses?: string;
}

export interface WorkflowArtifact {
  readonly manifest: ImageManifest;
  readonly manifestBytes: Uint8Array;
  readonly digest: Digest;
  /** The manifest's own descriptor, as an index or a referrer's `subject` names it. */
  readonly descriptor: Descriptor;
  /** Config and layers, once each, ordered by digest. */
  readonly blobs: readonly Blob[];
}

export function buildWorkflowArtifact(input: WorkflowArtifactInput): WorkflowArtifact {
  const document = parseDocument(input.toml);
  const hash = contentHash(document);
  if (hash !== input.contentHash)
    throw new AitwsError('VALIDATION', `The TOML's content hash is ${hash}, not ${input.contentHash}.`, {
      hint: 'Package the canonical TOML of the version whose hash you give (the approved version).',
    });
  const toml = new TextEncoder().encode(input.toml);
  const layers: Blob[] = [
    layer(MEDIA_TYPES.workflowToml, toml, WORKFLOW_TOML_TITLE),
    ...sortedFiles(input.files ?? []).map((file) => layer(file.mediaType, file.content, file.path)),
  ];
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    artifactType: MEDIA_TYPES.workflowArtifact,
    config: EMPTY_CONFIG,
    layers: layers.map((blob) => blob.descriptor),
    annotations: manifestAnnotations({ ...input, compliance: complianceProfile(document, input.compliance) }),
  };
  const manifestBytes = canonicalManifestBytes(manifest);
  const digest = sha256Digest(manifestBytes);
  const descriptor: Descriptor = {
    mediaType: MEDIA_TYPES.manifest,
    digest,
    size: manifestBytes.byteLength,
    artifactType: MEDIA_TYPES.workflowArtifact,
  };
  const blobs = uniqueBlobs([{ descriptor: EMPTY_CONFIG, content: EMPTY_CONFIG_BYTES }, ...layers]);
  return { manifest, manifestBytes, digest, descriptor, blobs };
}

/** The artifact as a manifest with its exact bytes (what a layout or a push stores). */
export function storedManifest(artifact: WorkflowArtifact): StoredManifest {
  return { descriptor: artifact.descriptor, bytes: artifact.manifestBytes, manifest: artifact.manifest };
}

function layer(mediaType: string, content: Uint8Array, title: string): Blob {
  return {
    descriptor: describeBlob(mediaType, content, { annotations: { [ANNOTATIONS.title]: title } }),
    content,
  };
}

/** By path (code units); refuses paths that could leave the folder they are unpacked into. */
function sortedFiles(files: readonly ArtifactFile[]): ArtifactFile[] {
  const seen = new Set<string>([WORKFLOW_TOML_TITLE]);
  for (const file of files) {
    checkPath(file.path);
    if (file.mediaType.trim() === '') throw invalidFile(file.path, 'has no media type');
    if (seen.has(file.path)) throw invalidFile(file.path, 'is given twice (or is the workflow TOML itself)');
    seen.add(file.path);
  }
  return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function checkPath(path: string): void {
  const parts = path.split('/');
  if (
    path === '' ||
    path.startsWith('/') ||
    path.includes('\\') ||
    [...path].some((char) => char.charCodeAt(0) < 0x20) ||
    /^[A-Za-z]:/.test(path) ||
    parts.some((part) => part === '' || part === '.' || part === '..')
  )
    throw invalidFile(path, 'is not a relative path inside the workflow (no .., no leading /, / separators)');
}

function invalidFile(path: string, why: string): AitwsError {
  return new AitwsError('VALIDATION', `The referenced file "${path}" ${why}.`, {
    hint: 'Name each file by its relative path, once, e.g. prompts/summary.md.',
  });
}

/** Two files with the same content are one blob (a registry stores it once). */
function uniqueBlobs(blobs: readonly Blob[]): Blob[] {
  const byDigest = new Map<string, Blob>();
  for (const blob of blobs)
    if (!byDigest.has(blob.descriptor.digest)) byDigest.set(blob.descriptor.digest, blob);
  return [...byDigest.keys()].sort().map((digest) => byDigest.get(digest) as Blob);
}
