/**
 * Reading manifests a registry (or a caller) hands over: the digest checked against the bytes
 * (and against what the registry claims), the JSON checked to be an OCI image manifest or index
 * with well-formed descriptors. The bytes are kept as they came: a digest is over bytes, so a
 * pulled manifest is never re-serialised.
 */
import { AitwsError } from '../errors.js';
import { isDigest, sha256Digest } from './digest.js';
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  MEDIA_TYPES,
  type StoredManifest,
} from './types.js';

type Json = Record<string, unknown>;

function malformed(what: string, why: string): AitwsError {
  return new AitwsError('VALIDATION', `${what} is not a valid OCI manifest: ${why}.`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseDescriptor(value: unknown, what: string, where: string): Descriptor {
  if (!isObject(value)) throw malformed(what, `${where} is not a descriptor`);
  const { mediaType, digest, size, artifactType, annotations } = value;
  if (typeof mediaType !== 'string' || mediaType === '')
    throw malformed(what, `${where}.mediaType is missing`);
  if (typeof digest !== 'string' || !isDigest(digest))
    throw malformed(what, `${where}.digest is not a sha256 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw malformed(what, `${where}.size is not a byte count`);
  if (artifactType !== undefined && typeof artifactType !== 'string')
    throw malformed(what, `${where}.artifactType is not a string`);
  if (annotations !== undefined && !isStringMap(annotations))
    throw malformed(what, `${where}.annotations is not a map of strings`);
  // The descriptor is returned as the registry wrote it (with urls, data, platform when present).
  return value as unknown as Descriptor;
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((entry) => typeof entry === 'string');
}

function parseJson(bytes: Uint8Array, what: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw malformed(what, 'it is not UTF-8 JSON');
  }
  if (!isObject(parsed)) throw malformed(what, 'it is not a JSON object');
  return parsed;
}

/** The manifest's media type: its own field, else the Content-Type it was served with. */
function mediaTypeOf(json: Json, contentType: string | undefined, what: string): string {
  const declared = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const served = contentType?.split(';', 1)[0]?.trim();
  const mediaType = declared ?? served;
  if (mediaType !== MEDIA_TYPES.manifest && mediaType !== MEDIA_TYPES.index)
    throw malformed(
      what,
      `its media type is ${mediaType ?? 'not given'}; aitws reads OCI image manifests and indexes only`,
    );
  return mediaType;
}

/** Checks the JSON shape; the returned object carries the media type even when the bytes omit it. */
export function parseManifest(
  bytes: Uint8Array,
  contentType: string | undefined,
  what: string,
): ImageManifest | ImageIndex {
  const json = parseJson(bytes, what);
  if (json.schemaVersion !== 2) throw malformed(what, 'schemaVersion is not 2');
  const mediaType = mediaTypeOf(json, contentType, what);
  if (json.annotations !== undefined && !isStringMap(json.annotations))
    throw malformed(what, 'annotations is not a map of strings');
  if (mediaType === MEDIA_TYPES.index) {
    if (!Array.isArray(json.manifests)) throw malformed(what, 'manifests is not a list');
    for (const [index, entry] of json.manifests.entries())
      parseDescriptor(entry, what, `manifests[${index}]`);
    return { ...json, mediaType } as unknown as ImageIndex;
  }
  parseDescriptor(json.config, what, 'config');
  if (!Array.isArray(json.layers)) throw malformed(what, 'layers is not a list');
  for (const [index, entry] of json.layers.entries()) parseDescriptor(entry, what, `layers[${index}]`);
  if (json.subject !== undefined) parseDescriptor(json.subject, what, 'subject');
  if (json.artifactType !== undefined && typeof json.artifactType !== 'string')
    throw malformed(what, 'artifactType is not a string');
  return { ...json, mediaType } as unknown as ImageManifest;
}

export function digestMismatch(what: string, expected: string, actual: string): AitwsError {
  return new AitwsError(
    'VALIDATION',
    `${what} does not match its digest: expected ${expected}, got ${actual}.`,
    {
      hint: 'The content was altered on the way or in the registry; do not use it.',
    },
  );
}

/**
 * The manifest with its descriptor, after checking the bytes hash to every digest that names them
 * (the one asked for, the one the registry claims).
 */
export function storedManifest(
  bytes: Uint8Array,
  contentType: string | undefined,
  what: string,
  expected: readonly (string | undefined)[],
): StoredManifest {
  const digest = sha256Digest(bytes);
  for (const claimed of expected) {
    if (claimed !== undefined && claimed !== digest) throw digestMismatch(what, claimed, digest);
  }
  const manifest = parseManifest(bytes, contentType, what);
  const artifactType =
    manifest.mediaType === MEDIA_TYPES.manifest
      ? (manifest.artifactType ?? manifest.config.mediaType)
      : undefined;
  const descriptor: Descriptor = {
    mediaType: manifest.mediaType,
    digest,
    size: bytes.byteLength,
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(manifest.annotations === undefined ? {} : { annotations: manifest.annotations }),
  };
  return { descriptor, bytes, manifest };
}
