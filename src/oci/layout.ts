/**
 * OCI image layouts (image-spec image-layout.md; issue #18 point 2, `oci-layout:DIR`): the
 * air-gapped form of an artifact, a directory with `oci-layout`, `index.json` and
 * `blobs/sha256/<hex>`, which skopeo, oras, crane and cosign read and write too.
 *
 * Writing adds to a layout already there (other tags stay; a tag given again moves), blobs first
 * and index.json last, so an interrupted write never leaves a tag naming a missing blob. Reading
 * resolves a tag through `org.opencontainers.image.ref.name`, checks every blob it returns against
 * its digest, and returns the tagged manifest's referrers (manifests whose `subject` is it, and
 * cosign's tag-named `sha256-<hex>.sig|.att|.sbom`).
 */
import path from 'node:path';
import { AitwsError } from '../errors.js';
import { ANNOTATIONS } from './annotations.js';
import { canonicalManifestBytes, sha256Digest } from './digest.js';
import {
  blobFile,
  hasBlob,
  isEmptyDirectory,
  LAYOUT_LIMITS,
  layoutRoot,
  readBlob,
  readConfined,
  writeConfined,
} from './layout-files.js';
import { checkLayoutMarker, parseIndex, parseManifest } from './layout-schema.js';
import {
  type Blob,
  type Descriptor,
  type Digest,
  type ImageIndex,
  type ImageManifest,
  MEDIA_TYPES,
  type StoredManifest,
} from './types.js';

/** A manifest to store, with the tag it goes under in index.json (none for most referrers). */
export type LayoutManifest = StoredManifest & { readonly tag?: string };

export interface LayoutEntries {
  /** The artifact: stored under the `tag` option. */
  readonly manifest: StoredManifest;
  /** SBOM, provenance, signatures: stored beside it. */
  readonly referrers?: readonly LayoutManifest[];
  /** Every config and layer blob the manifests name (those already in the layout may be left out). */
  readonly blobs: readonly Blob[];
}

export interface LayoutContents {
  readonly tag: string | undefined;
  readonly manifest: StoredManifest & { readonly manifest: ImageManifest };
  readonly referrers: readonly (LayoutManifest & { readonly manifest: ImageManifest })[];
  /** Configs and layers of the manifest and its referrers, once each, every one checked. */
  readonly blobs: readonly Blob[];
  readonly index: ImageIndex;
}

const LAYOUT_MARKER = new TextEncoder().encode('{"imageLayoutVersion":"1.0.0"}');
/** A Docker tag: what every registry and `skopeo copy` accepts as a ref name. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export async function writeLayout(
  dir: string,
  entries: LayoutEntries,
  options: { readonly tag: string },
): Promise<Digest> {
  const manifests: LayoutManifest[] = [
    { ...entries.manifest, tag: options.tag },
    ...(entries.referrers ?? []),
  ];
  for (const stored of manifests) checkStored(stored);
  const tags = manifests.flatMap((stored) => stored.tag ?? []);
  const repeated = tags.find((tag, at) => tags.indexOf(tag) !== at);
  if (repeated !== undefined)
    throw new AitwsError('USAGE', `The tag "${repeated}" is given to two manifests.`, {
      hint: 'Give each manifest its own tag, or none.',
    });
  const blobs = checkedBlobs(entries.blobs);
  const root = await layoutRoot(dir, true);
  const existing = await existingIndex(root, dir);
  for (const stored of manifests) await checkReferenced(root, stored, blobs, manifests);
  for (const blob of blobs.values())
    if (!(await hasBlob(root, blob.descriptor)))
      await writeConfined(root, blobFile(root, blob.descriptor.digest), blob.content);
  for (const stored of manifests)
    await writeConfined(root, blobFile(root, stored.descriptor.digest), stored.bytes);
  await writeConfined(root, path.join(root, 'oci-layout'), LAYOUT_MARKER);
  const index = mergedIndex(existing, manifests.map(indexEntry));
  await writeConfined(root, path.join(root, 'index.json'), canonicalManifestBytes(index));
  return entries.manifest.descriptor.digest;
}

export async function readLayout(dir: string, tag?: string): Promise<LayoutContents> {
  const root = await layoutRoot(dir, false);
  checkLayoutMarker(
    await readConfined(root, path.join(root, 'oci-layout'), LAYOUT_LIMITS.manifestBytes),
    dir,
  );
  const index = await readIndex(root, dir);
  const entry = pickEntry(index, tag, dir);
  const manifest = await readStored(root, entry);
  const referrers: (LayoutManifest & { manifest: ImageManifest })[] = [];
  for (const other of index.manifests) {
    if (other.digest === entry.digest || other.mediaType !== MEDIA_TYPES.manifest) continue;
    const named = refName(other);
    const candidate = await readStored(root, other);
    if (candidate.manifest.subject?.digest === entry.digest || isCosignTag(named, entry.digest))
      referrers.push(named === undefined ? candidate : { ...candidate, tag: named });
  }
  const blobs = new Map<string, Blob>();
  for (const stored of [manifest, ...referrers])
    for (const descriptor of [stored.manifest.config, ...stored.manifest.layers])
      if (!blobs.has(descriptor.digest))
        blobs.set(descriptor.digest, {
          descriptor,
          content: await readBlob(root, descriptor, LAYOUT_LIMITS.blobBytes),
        });
  return { tag: refName(entry), manifest, referrers, blobs: [...blobs.values()], index };
}

function checkStored(stored: LayoutManifest): void {
  if (stored.tag !== undefined && !TAG.test(stored.tag))
    throw new AitwsError('USAGE', `"${stored.tag}" is not a valid tag.`, {
      hint: 'A tag is up to 128 letters, digits, _, . and -, not starting with . or -.',
    });
  const { digest, size } = stored.descriptor;
  if (sha256Digest(stored.bytes) !== digest || stored.bytes.byteLength !== size)
    throw new AitwsError('VALIDATION', `The manifest given as ${digest} does not have that digest or size.`);
}

function checkedBlobs(blobs: readonly Blob[]): Map<string, Blob> {
  const byDigest = new Map<string, Blob>();
  for (const blob of blobs) {
    const { digest, size } = blob.descriptor;
    if (sha256Digest(blob.content) !== digest || blob.content.byteLength !== size)
      throw new AitwsError('VALIDATION', `The blob given as ${digest} does not have that digest or size.`);
    byDigest.set(digest, blob);
  }
  return byDigest;
}

/** Every blob a manifest names must be given, be another given manifest, or be in the layout. */
async function checkReferenced(
  root: string,
  stored: StoredManifest,
  blobs: ReadonlyMap<string, Blob>,
  manifests: readonly StoredManifest[],
): Promise<void> {
  const named =
    'config' in stored.manifest
      ? [stored.manifest.config, ...stored.manifest.layers]
      : [...stored.manifest.manifests];
  for (const descriptor of named) {
    if (blobs.has(descriptor.digest)) continue;
    if (manifests.some((other) => other.descriptor.digest === descriptor.digest)) continue;
    if (await hasBlob(root, descriptor)) continue;
    throw new AitwsError(
      'VALIDATION',
      `Manifest ${stored.descriptor.digest} names ${descriptor.digest}, which was not given.`,
      {
        hint: 'Give every config and layer blob of the artifact and its referrers.',
      },
    );
  }
}

/** The index already in the directory; none for an empty (or new) one; refused for anything else. */
async function existingIndex(root: string, dir: string): Promise<ImageIndex | undefined> {
  if (await isEmptyDirectory(root)) return undefined;
  try {
    checkLayoutMarker(
      await readConfined(root, path.join(root, 'oci-layout'), LAYOUT_LIMITS.manifestBytes),
      dir,
    );
  } catch (error) {
    throw new AitwsError(
      'ALREADY_EXISTS',
      `${dir} is not empty and not an OCI image layout; nothing was written.`,
      {
        hint: 'Give a new or empty directory, or one that already holds an OCI layout.',
        cause: error,
      },
    );
  }
  return readIndex(root, dir);
}

async function readIndex(root: string, dir: string): Promise<ImageIndex> {
  const bytes = await readConfined(root, path.join(root, 'index.json'), LAYOUT_LIMITS.manifestBytes);
  return parseIndex(bytes, `${dir}/index.json`);
}

function indexEntry(stored: LayoutManifest): Descriptor {
  const artifactType = 'artifactType' in stored.manifest ? stored.manifest.artifactType : undefined;
  return {
    mediaType: stored.descriptor.mediaType,
    digest: stored.descriptor.digest,
    size: stored.descriptor.size,
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(stored.tag === undefined ? {} : { annotations: { [ANNOTATIONS.refName]: stored.tag } }),
  };
}

/** Entries already there stay, except those under a tag given again or given again as they are. */
function mergedIndex(existing: ImageIndex | undefined, added: readonly Descriptor[]): ImageIndex {
  const tags = new Set(added.flatMap((entry) => refName(entry) ?? []));
  const kept = (existing?.manifests ?? []).filter((entry) => {
    const name = refName(entry);
    if (name !== undefined && tags.has(name)) return false;
    return !added.some((other) => other.digest === entry.digest && refName(other) === name);
  });
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [...kept, ...added],
    ...(existing?.annotations === undefined ? {} : { annotations: existing.annotations }),
  };
}

function refName(descriptor: Descriptor): string | undefined {
  return descriptor.annotations?.[ANNOTATIONS.refName];
}

/** The entry under `tag`; without one, the only tagged entry (or the only entry). */
function pickEntry(index: ImageIndex, tag: string | undefined, dir: string): Descriptor {
  const tagged = index.manifests.filter((entry) => refName(entry) !== undefined);
  const found =
    tag !== undefined
      ? tagged.filter((entry) => refName(entry) === tag)
      : tagged.length > 0
        ? tagged
        : index.manifests;
  if (found.length === 1) return found[0] as Descriptor;
  const names = [...new Set(tagged.map((entry) => refName(entry) as string))].sort();
  const known = names.length === 0 ? 'it has no tags' : `its tags: ${names.join(', ')}`;
  if (tag !== undefined && found.length === 0)
    throw new AitwsError('FILE_NOT_FOUND', `The OCI layout ${dir} has no tag "${tag}" (${known}).`);
  throw new AitwsError('USAGE', `Name the tag to read from the OCI layout ${dir} (${known}).`, {
    hint: 'Write oci-layout:DIR:TAG.',
  });
}

async function readStored(
  root: string,
  entry: Descriptor,
): Promise<StoredManifest & { readonly manifest: ImageManifest }> {
  if (entry.mediaType !== MEDIA_TYPES.manifest)
    throw new AitwsError('PARSE', `${entry.digest} is a ${entry.mediaType}, not an OCI image manifest.`);
  const bytes = await readBlob(root, entry, LAYOUT_LIMITS.manifestBytes);
  const manifest = parseManifest(bytes, `Manifest ${entry.digest}`);
  // The index entry's annotations (its tag) are about the index, not the manifest.
  const descriptor: Descriptor = {
    mediaType: entry.mediaType,
    digest: entry.digest,
    size: entry.size,
    ...(manifest.artifactType === undefined ? {} : { artifactType: manifest.artifactType }),
  };
  return { descriptor, bytes, manifest };
}

/** cosign's tag-based discovery: `sha256-<hex>.sig` (and .att, .sbom) names what it is about. */
function isCosignTag(name: string | undefined, subject: Digest): boolean {
  const base = subject.replace(':', '-');
  return name !== undefined && [`${base}.sig`, `${base}.att`, `${base}.sbom`].includes(name);
}
