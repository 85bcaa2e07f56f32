/**
 * Referrers (OCI 1.1): manifests whose `subject` points at an artifact (its SBOM, provenance,
 * signatures). Listed with the referrers API (`GET /v2/<name>/referrers/<digest>`) where the
 * registry has it; otherwise through the referrers tag schema: an image index tagged
 * `sha256-<hex of the subject>` that clients keep up to date themselves. Docker's registry 2.8
 * (Debian's docker-registry) has no referrers API, so there it is always the tag.
 *
 * Updating the fallback index is read-modify-write: two clients attaching to the same subject at
 * the same instant can lose one entry (the spec accepts this; a retry re-adds it). Within one
 * client, referrers of the same subject go into the index in one update (indexReferrers), never
 * in concurrent ones.
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

/** A referrer pushed, not yet in the fallback index (indexReferrers puts it there when needed). */
export interface PushedReferrer {
  /** Its entry in a referrers index. */
  readonly descriptor: Descriptor;
  readonly subject: Digest;
  /** The registry processed the subject itself (OCI-Subject): its referrers API lists it. */
  readonly subjectProcessed: boolean;
}

/**
 * Pushes a manifest that has a `subject` and makes it findable: done when the registry processed
 * the subject itself (OCI-Subject header), else the fallback index gets it.
 */
export async function attachReferrer(
  registry: ReferrerRegistry,
  reference: Reference,
  bytes: Uint8Array,
): Promise<AttachedReferrer> {
  const [attached] = await indexReferrers(registry, reference, [
    await pushReferrer(registry, reference, bytes),
  ]);
  return attached as AttachedReferrer;
}

/** Pushes a manifest that has a `subject` by digest, untagged; the fallback index is not touched. */
export async function pushReferrer(
  registry: ReferrerRegistry,
  reference: Reference,
  bytes: Uint8Array,
): Promise<PushedReferrer> {
  const manifest = parseManifest(bytes, undefined, 'The referrer');
  const subject = 'subject' in manifest ? manifest.subject : undefined;
  if (subject === undefined)
    throw new AitwsError('VALIDATION', 'The referrer has no subject, so it refers to nothing.');
  // By digest only: the reference's tag names the subject, which a referrer must never replace.
  const untagged = { registry: reference.registry, repository: reference.repository };
  const pushed = await registry.putManifest(untagged, bytes, manifest.mediaType);
  const descriptor: Descriptor = {
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
  return { descriptor, subject: subject.digest, subjectProcessed: pushed.subjectProcessed };
}

/**
 * Puts the pushed referrers the registry did not process into their subject's fallback index:
 * one read and one write per subject however many there are (a registry checks that an index's
 * manifests exist, so this comes after they were pushed). In the order given.
 */
export async function indexReferrers(
  registry: ReferrerRegistry,
  reference: Reference,
  pushed: readonly PushedReferrer[],
): Promise<AttachedReferrer[]> {
  const bySubject = new Map<Digest, Descriptor[]>();
  for (const referrer of pushed) {
    if (referrer.subjectProcessed) continue;
    const entries = bySubject.get(referrer.subject) ?? [];
    entries.push(referrer.descriptor);
    bySubject.set(referrer.subject, entries);
  }
  await Promise.all(
    [...bySubject].map(([subject, entries]) => addToFallbackIndex(registry, reference, subject, entries)),
  );
  return pushed.map((referrer) => ({
    descriptor: referrer.descriptor,
    via: referrer.subjectProcessed ? 'api' : 'tag',
  }));
}

async function addToFallbackIndex(
  registry: ReferrerRegistry,
  reference: Reference,
  subject: Digest,
  entries: readonly Descriptor[],
): Promise<void> {
  const current = await fallbackIndex(registry, reference, subject);
  const manifests = [...(current?.manifests ?? [])];
  const before = manifests.length;
  for (const entry of entries)
    if (!manifests.some((existing) => existing.digest === entry.digest)) manifests.push(entry);
  if (manifests.length === before) return;
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests,
    ...(current?.annotations === undefined ? {} : { annotations: current.annotations }),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(index));
  await registry.putManifest(reference, bytes, MEDIA_TYPES.index, referrersTag(subject));
}
