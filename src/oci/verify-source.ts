/**
 * Where `aitws verify` reads an artifact from: a registry, or an OCI image layout (air-gapped).
 * Both hand over manifests and blobs only after checking them against their digests, so a
 * tampered blob shows up as an error the verifier turns into a failed check.
 *
 * A layout's referrers are the manifests beside the artifact whose `subject` it is (as aitws
 * writes them, and as `skopeo copy docker://REPO@DIGEST oci:DIR` leaves each one), or those of a
 * referrers-tag index (`sha256-<hex>`) when a tool copied that; signatures are found by their
 * cosign tags (`sha256-<hex>.sig`). skopeo 1.9 copies no referrers by itself.
 */
import path from 'node:path';
import { AitwsError } from '../errors.js';
import { ANNOTATIONS } from './annotations.js';
import { signatureTag } from './cosign.js';
import { LAYOUT_LIMITS, layoutRoot, readBlob, readConfined } from './layout-files.js';
import { checkLayoutMarker, parseIndex } from './layout-schema.js';
import { formatReference } from './reference.js';
import { referrersTag } from './referrers.js';
import type { RegistryClient } from './registry-client.js';
import { storedManifest } from './registry-manifest.js';
import type { Blob, Descriptor, Digest, ImageIndex, Reference, StoredManifest } from './types.js';
import { MEDIA_TYPES } from './types.js';

export interface VerifySource {
  /** `host/repo`, or `oci-layout:DIR`: what check lines and signatures name. */
  readonly name: string;
  artifact(): Promise<StoredManifest>;
  blob(descriptor: Descriptor): Promise<Blob>;
  manifest(descriptor: Descriptor): Promise<StoredManifest>;
  referrers(digest: Digest): Promise<readonly Descriptor[]>;
  /** cosign's signature manifest for `digest`, undefined when there is none. */
  signature(digest: Digest): Promise<StoredManifest | undefined>;
}

export const LAYOUT_PREFIX = 'oci-layout:';
/** cosign's tag-based attachments and the referrers tag: never a referrer's own entry. */
const COSIGN_TAG = /^sha256-[0-9a-f]{64}(\.sig|\.att|\.sbom)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** `oci-layout:DIR[:TAG]`; undefined when the text is not a layout reference. */
export function parseLayoutReference(text: string): { dir: string; tag?: string } | undefined {
  if (!text.startsWith(LAYOUT_PREFIX)) return undefined;
  const rest = text.slice(LAYOUT_PREFIX.length);
  const colon = rest.lastIndexOf(':');
  const tag = colon === -1 ? undefined : rest.slice(colon + 1);
  const dir = tag !== undefined && TAG.test(tag) ? rest.slice(0, colon) : rest;
  if (dir === '')
    throw new AitwsError('USAGE', `"${text.slice(0, 120)}" names no directory.`, {
      hint: 'Write oci-layout:DIR or oci-layout:DIR:TAG.',
    });
  return dir === rest ? { dir } : { dir, tag: tag as string };
}

export function registrySource(client: RegistryClient, reference: Reference): VerifySource {
  const repository = { registry: reference.registry, repository: reference.repository };
  return {
    name: `${reference.registry}/${reference.repository}`,
    artifact: () => client.pullManifest(reference),
    blob: (descriptor) => client.pullBlob(reference, descriptor),
    manifest: (descriptor) => client.pullManifest({ ...repository, digest: descriptor.digest }),
    referrers: async (digest) => (await client.referrers(reference, digest)).descriptors,
    signature: (digest) => client.findManifest({ ...repository, tag: signatureTag(digest) }),
  };
}

export async function layoutSource(dir: string, tag?: string): Promise<VerifySource> {
  const root = await layoutRoot(dir, false);
  checkLayoutMarker(
    await readConfined(root, path.join(root, 'oci-layout'), LAYOUT_LIMITS.manifestBytes),
    dir,
  );
  const indexBytes = await readConfined(root, path.join(root, 'index.json'), LAYOUT_LIMITS.manifestBytes);
  const index = parseIndex(indexBytes, `${dir}/index.json`);
  const read = async (descriptor: Descriptor): Promise<StoredManifest> => {
    const bytes = await readBlob(root, descriptor, LAYOUT_LIMITS.manifestBytes);
    return storedManifest(bytes, descriptor.mediaType, `Manifest ${descriptor.digest} in ${dir}`, [
      descriptor.digest,
    ]);
  };
  const tagged = (name: string): Descriptor | undefined =>
    index.manifests.find((entry) => entry.annotations?.[ANNOTATIONS.refName] === name);
  return {
    name: `${LAYOUT_PREFIX}${dir}`,
    artifact: () => read(artifactEntry(index, tag, dir)),
    blob: async (descriptor) => ({
      descriptor,
      content: await readBlob(root, descriptor, LAYOUT_LIMITS.blobBytes),
    }),
    manifest: read,
    referrers: async (digest) => {
      const found = new Map<string, Descriptor>();
      for (const entry of index.manifests) {
        if (entry.mediaType !== MEDIA_TYPES.manifest || COSIGN_TAG.test(refNameOf(entry))) continue;
        const stored = await read(entry);
        if ('subject' in stored.manifest && stored.manifest.subject?.digest === digest)
          found.set(entry.digest, entry);
      }
      const fallback = tagged(referrersTag(digest));
      if (fallback !== undefined && fallback.mediaType === MEDIA_TYPES.index) {
        const nested = (await read(fallback)).manifest as ImageIndex;
        for (const entry of nested.manifests) found.set(entry.digest, entry);
      }
      return [...found.values()];
    },
    signature: async (digest) => {
      const entry = tagged(signatureTag(digest));
      return entry === undefined ? undefined : read(entry);
    },
  };
}

function artifactEntry(index: ImageIndex, tag: string | undefined, dir: string): Descriptor {
  const named = index.manifests.filter((entry) => entry.annotations?.[ANNOTATIONS.refName] !== undefined);
  // Without a tag, the one tagged entry that is neither a signature nor a referrers index.
  const candidates =
    tag === undefined
      ? named.filter((entry) => !COSIGN_TAG.test(refNameOf(entry)))
      : named.filter((entry) => refNameOf(entry) === tag);
  if (candidates.length === 1) return candidates[0] as Descriptor;
  const tags = named.map(refNameOf).sort().join(', ') || 'none';
  if (tag !== undefined)
    throw new AitwsError('FILE_NOT_FOUND', `The OCI layout ${dir} has no tag "${tag}" (its tags: ${tags}).`);
  throw new AitwsError('USAGE', `Name the tag to read from the OCI layout ${dir} (its tags: ${tags}).`, {
    hint: 'Write oci-layout:DIR:TAG.',
  });
}

function refNameOf(entry: Descriptor): string {
  return entry.annotations?.[ANNOTATIONS.refName] ?? '';
}

export function describeSource(reference: Reference | { dir: string; tag?: string }): string {
  return 'dir' in reference
    ? `${LAYOUT_PREFIX}${reference.dir}${reference.tag === undefined ? '' : `:${reference.tag}`}`
    : formatReference(reference);
}
