/**
 * Digests and the manifest bytes they are over (issue #18). A manifest's digest is its identity in
 * a registry and in a signature, so it is taken over one serialisation only: RFC 8785 canonical JSON
 * (the same rule as every other hash that must agree across runs), as UTF-8 bytes. The same
 * manifest therefore always has the same bytes and the same digest, whoever builds it.
 */
import { createHash } from 'node:crypto';
import { AitwsError } from '../errors.js';
import { canonicalJson } from '../runtime/ai/canonical.js';
import type { Descriptor, Digest, ImageIndex, ImageManifest } from './types.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `sha256:` and 64 lowercase hex digits: the only algorithm aitws writes or accepts. */
export function isDigest(text: string): text is Digest {
  return DIGEST.test(text);
}

export function sha256Digest(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The hex part, after checking the digest's form (it names a file in an OCI layout). */
export function digestHex(digest: string): string {
  if (!isDigest(digest))
    throw new AitwsError('VALIDATION', `"${digest}" is not a sha256 digest.`, {
      hint: 'A digest is sha256: followed by 64 lowercase hex digits.',
    });
  return digest.slice('sha256:'.length);
}

/** RFC 8785 canonical JSON of the manifest, UTF-8: the bytes its digest is over. */
export function canonicalManifestBytes(manifest: ImageManifest | ImageIndex): Uint8Array {
  return new TextEncoder().encode(canonicalJson(manifest));
}

/** A descriptor for `content`: its digest and size, with the media type and annotations given. */
export function describeBlob(
  mediaType: string,
  content: Uint8Array,
  extra: { readonly artifactType?: string; readonly annotations?: Readonly<Record<string, string>> } = {},
): Descriptor {
  return {
    mediaType,
    digest: sha256Digest(content),
    size: content.byteLength,
    ...(extra.artifactType === undefined ? {} : { artifactType: extra.artifactType }),
    ...(extra.annotations === undefined ? {} : { annotations: extra.annotations }),
  };
}
