/**
 * Referrers (OCI 1.1): manifests whose `subject` points at an artifact (its SBOM, provenance,
 * signatures). Listed with the referrers API (`GET /v2/<name>/referrers/<digest>`) where the
 * registry has it; otherwise through the referrers tag schema: an image index tagged
 * `sha256-<hex of the subject>` that clients keep up to date themselves. Docker's registry 2.8
 * (Debian's docker-registry) has no referrers API, so there it is always the tag.
 *
 * Updating the fallback index is read-modify-write: two clients attaching to the same subject at
 * the same instant can lose one entry (the spec accepts this; a retry re-adds it).
 */
import { AitwsError } from '../errors.js';
import { formatReference } from './reference.js';
import { parseManifest } from './registry-manifest.js';
import {
  type Descriptor,
  type Digest,
  type ImageIndex,
  MEDIA_TYPES,
  type Reference,
  type StoredManifest,
} from './types.js';

export interface ReferrerList {
  readonly descriptors: readonly Descriptor[];
  /** Where they were found: the registry's referrers API or the fallback tag. */
  readonly via: 'api' | 'tag';
}

export interface AttachedReferrer {
  readonly descriptor: Descriptor;
  readonly via: 'api' | 'tag';
}

/** What the referrer logic needs of a registry client. */
export interface ReferrerRegistry {
  /** The API's index, or undefined when the registry has no referrers API (404). */
  referrersApi(reference: Reference, digest: Digest, artifactType?: string): Promise<ImageIndex | undefined>;
  /** The manifest, or undefined when the registry does not know it (404). */
  findManifest(reference: Reference): Promise<StoredManifest | undefined>;
  putManifest(
    reference: Reference,
    bytes: Uint8Array,
    mediaType: string,
    tag?: string,
  ): Promise<{ readonly descriptor: Descriptor; readonly subjectProcessed: boolean }>;
}

/** The referrers tag schema: `sha256:<hex>` → `sha256-<hex>`. */
export function referrersTag(digest: Digest): string {
  return digest.replace(':', '-');
}

export function withArtifactType(descriptors: readonly Descriptor[], artifactType?: string): Descriptor[] {
  return descriptors.filter((entry) => artifactType === undefined || entry.artifactType === artifactType);
}

export async function listReferrers(
  registry: ReferrerRegistry,
  reference: Reference,
  digest: Digest,
  artifactType?: string,
): Promise<ReferrerList> {
  const fromApi = await registry.referrersApi(reference, digest, artifactType);
  if (fromApi !== undefined)
    // Filtering again: a registry may ignore the artifactType query (it says so in OCI-Filters-Applied).
    return { descriptors: withArtifactType(fromApi.manifests, artifactType), via: 'api' };
  const index = await fallbackIndex(registry, reference, digest);
  return { descriptors: withArtifactType(index?.manifests ?? [], artifactType), via: 'tag' };
}

async function fallbackIndex(
  registry: ReferrerRegistry,
  reference: Reference,
  digest: Digest,
): Promise<ImageIndex | undefined> {
  const tagged = {
    registry: reference.registry,
    repository: reference.repository,
    tag: referrersTag(digest),
  };
  const stored = await registry.findManifest(tagged);
  if (stored === undefined) return undefined;
  if (stored.manifest.mediaType !== MEDIA_TYPES.index)
    throw new AitwsError(
      'VALIDATION',
      `${formatReference(tagged)} is the referrers tag of ${digest} but holds no image index; left as it is.`,
    );
  return stored.manifest;
}

/**
 * Pushes a manifest that has a `subject` (by digest, untagged) and makes it findable: done when
 * the registry processed the subject itself (OCI-Subject header), else the fallback index gets it.
 */
export async function attachReferrer(
  registry: ReferrerRegistry,
  reference: Reference,
  bytes: Uint8Array,
): Promise<AttachedReferrer> {
  const manifest = parseManifest(bytes, undefined, 'The referrer');
  const subject = 'subject' in manifest ? manifest.subject : undefined;
  if (subject === undefined)
    throw new AitwsError('VALIDATION', 'The referrer has no subject, so it refers to nothing.');
  // By digest only: the reference's tag names the subject, which a referrer must never replace.
  const untagged = { registry: reference.registry, repository: reference.repository };
  const pushed = await registry.putManifest(untagged, bytes, manifest.mediaType);
  const entry: Descriptor = {
    mediaType: manifest.mediaType,
    digest: pushed.descriptor.digest,
    size: bytes.byteLength,
    ...('artifactType' in manifest && manifest.artifactType !== undefined
      ? { artifactType: manifest.artifactType }
      : 'config' in manifest
        ? { artifactType: manifest.config.mediaType }
        : {}),
    ...(manifest.annotations === undefined ? {} : { annotations: manifest.annotations }),
  };
  if (pushed.subjectProcessed) return { descriptor: entry, via: 'api' };
  await addToFallbackIndex(registry, reference, subject.digest, entry);
  return { descriptor: entry, via: 'tag' };
}

async function addToFallbackIndex(
  registry: ReferrerRegistry,
  reference: Reference,
  subject: Digest,
  entry: Descriptor,
): Promise<void> {
  const current = await fallbackIndex(registry, reference, subject);
  const manifests = current?.manifests ?? [];
  if (manifests.some((existing) => existing.digest === entry.digest)) return;
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [...manifests, entry],
    ...(current?.annotations === undefined ? {} : { annotations: current.annotations }),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(index));
  await registry.putManifest(reference, bytes, MEDIA_TYPES.index, referrersTag(subject));
}
