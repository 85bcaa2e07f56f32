/**
 * An OCI distribution client over Node's fetch: blobs and manifests pushed and pulled with every
 * digest checked (what we send before it goes, what we get before it is returned), referrers
 * listed and attached. Transport rules (https unless loopback or plainHttp, auth, redirects) are
 * in registry-http.ts.
 */
import { AitwsError } from '../errors.js';
import { sha256Digest } from './digest.js';
import { formatReference, manifestKey } from './reference.js';
import { type AttachedReferrer, attachReferrer, listReferrers, type ReferrerList } from './referrers.js';
import { expectStatus, readCapped, statusError } from './registry-body.js';
import { RegistryHttp, type RegistryHttpOptions } from './registry-http.js';
import { digestMismatch, parseManifest, storedManifest } from './registry-manifest.js';
import type { Blob, Descriptor, Digest, ImageIndex, Reference, StoredManifest } from './types.js';
import { MEDIA_TYPES } from './types.js';

/** What registries accept for a manifest (distribution's own limit). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_BLOB_BYTES = 256 * 1024 * 1024;

export interface RegistryClientOptions extends RegistryHttpOptions {
  /** Larger blobs are neither downloaded nor uploaded. Default 256 MiB. */
  readonly maxBlobBytes?: number;
}

const MANIFEST_ACCEPT = [MEDIA_TYPES.manifest, MEDIA_TYPES.index].join(', ');

export class RegistryClient {
  readonly #http: RegistryHttp;
  readonly #maxBlobBytes: number;
  /**
   * Repositories whose registry answered 404 to the referrers API: it has none (OCI 1.1 forbids
   * that answer where it has one), so the next listing goes straight to the referrers tag.
   */
  readonly #noReferrersApi = new Set<string>();

  constructor(options: RegistryClientOptions = {}) {
    this.#http = new RegistryHttp(options);
    this.#maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  }

  /**
   * Uploads unless the registry has it already (`exists`); the content is checked first. One
   * request finds out: a mount of the blob from this same repository answers 201 when it is there
   * and otherwise starts the upload (202), where HEAD then POST take two. Distribution 2.8 takes no
   * monolithic POST (it answers 202 to `?digest=` with a body), so the upload is POST then PUT.
   */
  async pushBlob(reference: Reference, blob: Blob): Promise<'exists' | 'uploaded'> {
    const { digest, size } = blob.descriptor;
    const actual = sha256Digest(blob.content);
    if (actual !== digest) throw digestMismatch(`The blob to push`, digest, actual);
    if (blob.content.byteLength !== size)
      throw new AitwsError(
        'VALIDATION',
        `The blob ${digest} has ${blob.content.byteLength} bytes, not ${size}.`,
      );
    if (size > this.#maxBlobBytes) throw blobTooLarge(digest, size, this.#maxBlobBytes);
    const mount = new URLSearchParams({ mount: digest, from: reference.repository });
    let started = await this.#http.send(reference, {
      method: 'POST',
      path: `blobs/uploads/?${mount}`,
      push: true,
    });
    if (started.status === 201) {
      await started.body?.cancel();
      const stored = started.headers.get('docker-content-digest');
      if (stored !== null && stored !== digest)
        throw digestMismatch(`The blob the registry has`, digest, stored);
      return 'exists';
    }
    if (started.status !== 202) {
      // A registry that will not hear of mounting: a plain upload.
      await started.body?.cancel();
      started = await this.#http.send(reference, { method: 'POST', path: 'blobs/uploads/', push: true });
    }
    await expectStatus(reference, started, 202, `starting the upload of ${digest}`);
    const location = this.#http.resolveLocation(reference, started.headers.get('location'));
    location.searchParams.set('digest', digest);
    const put = await this.#http.send(reference, {
      method: 'PUT',
      path: location,
      push: true,
      headers: { 'content-type': 'application/octet-stream' },
      body: blob.content,
    });
    await expectStatus(reference, put, 201, `uploading ${digest}`);
    const stored = put.headers.get('docker-content-digest');
    if (stored !== null && stored !== digest)
      throw digestMismatch(`The blob the registry stored`, digest, stored);
    return 'uploaded';
  }

  /** Pushes exactly these bytes under `tag` (else the reference's tag, else by digest). */
  async pushManifest(
    reference: Reference,
    bytes: Uint8Array,
    mediaType: string,
    tag?: string,
  ): Promise<Descriptor> {
    return (await this.putManifest(reference, bytes, mediaType, tag)).descriptor;
  }

  async putManifest(
    reference: Reference,
    bytes: Uint8Array,
    mediaType: string,
    tag?: string,
  ): Promise<{ descriptor: Descriptor; subjectProcessed: boolean }> {
    if (bytes.byteLength > MAX_MANIFEST_BYTES)
      throw new AitwsError(
        'LIMIT',
        `The manifest has ${bytes.byteLength} bytes; registries take at most ${MAX_MANIFEST_BYTES}.`,
      );
    const digest = sha256Digest(bytes);
    if (reference.digest !== undefined && reference.digest !== digest)
      throw digestMismatch(`The manifest to push to ${formatReference(reference)}`, reference.digest, digest);
    parseManifest(bytes, mediaType, 'The manifest to push');
    const key = tag ?? reference.tag ?? digest;
    const response = await this.#http.send(reference, {
      method: 'PUT',
      path: `manifests/${key}`,
      push: true,
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    await expectStatus(reference, response, 201, `pushing the manifest ${key}`);
    const stored = response.headers.get('docker-content-digest');
    if (stored !== null && stored !== digest)
      throw digestMismatch(`The manifest the registry stored`, digest, stored);
    return {
      descriptor: { mediaType, digest, size: bytes.byteLength },
      subjectProcessed: response.headers.get('oci-subject') !== null,
    };
  }

  async pullManifest(reference: Reference): Promise<StoredManifest> {
    const found = await this.findManifest(reference);
    if (found === undefined)
      throw new AitwsError('HTTP_STATUS', `${formatReference(reference)} is not in the registry.`, {
        hint: 'Check the repository and the tag (or digest).',
      });
    return found;
  }

  async findManifest(reference: Reference): Promise<StoredManifest | undefined> {
    const key = manifestKey(reference);
    const response = await this.#http.send(reference, {
      method: 'GET',
      path: `manifests/${key}`,
      headers: { accept: MANIFEST_ACCEPT },
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    const bytes = await readCapped(
      response,
      MAX_MANIFEST_BYTES,
      `The manifest ${formatReference(reference)}`,
    );
    if (response.status !== 200) throw statusError(reference, response, `pulling the manifest ${key}`, bytes);
    const claimed = response.headers.get('docker-content-digest') ?? undefined;
    return storedManifest(
      bytes,
      response.headers.get('content-type') ?? undefined,
      `The manifest ${formatReference(reference)}`,
      [reference.digest, claimed],
    );
  }

  /** The blob's bytes, at most its descriptor's size, checked against its digest. */
  async pullBlob(reference: Reference, descriptor: Descriptor): Promise<Blob> {
    const { digest, size } = descriptor;
    if (size > this.#maxBlobBytes) throw blobTooLarge(digest, size, this.#maxBlobBytes);
    const response = await this.#http.send(reference, { method: 'GET', path: `blobs/${digest}`, blob: true });
    const what = `The blob ${digest}`;
    if (response.status !== 200) {
      const body = await readCapped(response, 64 * 1024, what).catch(() => new Uint8Array());
      throw statusError(reference, response, `pulling the blob ${digest}`, body);
    }
    const content = await readCapped(response, size, what);
    if (content.byteLength !== size)
      throw new AitwsError(
        'VALIDATION',
        `${what} has ${content.byteLength} bytes, not the ${size} its descriptor says.`,
      );
    const actual = sha256Digest(content);
    if (actual !== digest) throw digestMismatch(what, digest, actual);
    return { descriptor, content };
  }

  referrers(reference: Reference, digest: Digest, artifactType?: string): Promise<ReferrerList> {
    return listReferrers(this, reference, digest, artifactType);
  }

  /** Pushes a manifest with a `subject` and keeps the fallback referrers index when needed. */
  attachReferrer(reference: Reference, bytes: Uint8Array): Promise<AttachedReferrer> {
    return attachReferrer(this, reference, bytes);
  }

  async referrersApi(
    reference: Reference,
    digest: Digest,
    artifactType?: string,
  ): Promise<ImageIndex | undefined> {
    // A registry with the API never answers it 404, so one 404 says for the repository.
    const repository = `${reference.registry}/${reference.repository}`;
    if (this.#noReferrersApi.has(repository)) return undefined;
    const query = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`;
    const response = await this.#http.send(reference, {
      method: 'GET',
      path: `referrers/${digest}${query}`,
      headers: { accept: MEDIA_TYPES.index },
    });
    if (response.status === 404) {
      await response.body?.cancel();
      this.#noReferrersApi.add(repository);
      return undefined;
    }
    const what = `The referrers of ${digest}`;
    const bytes = await readCapped(response, MAX_MANIFEST_BYTES, what);
    if (response.status !== 200)
      throw statusError(reference, response, `listing the referrers of ${digest}`, bytes);
    const index = parseManifest(bytes, MEDIA_TYPES.index, what);
    if (index.mediaType !== MEDIA_TYPES.index)
      throw new AitwsError('VALIDATION', `${what} are not an image index.`);
    return index;
  }
}

function blobTooLarge(digest: string, size: number, max: number): AitwsError {
  return new AitwsError('LIMIT', `The blob ${digest} has ${size} bytes; the limit is ${max}.`, {
    hint: 'Raise maxBlobBytes if this artifact is expected to be that large.',
  });
}
