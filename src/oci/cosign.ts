/**
 * Key-based signatures in the format cosign documents (sigstore/cosign specs/SIGNATURE_SPEC.md),
 * so `cosign verify --key`, Kyverno and Flux check what aitws signs, offline. A signature is
 * ECDSA-P256-SHA256 (ASN.1 DER, base64) over a "simple signing" payload naming the artifact's
 * digest; the payload is a layer blob and the signature an annotation on that layer, in an OCI
 * image manifest tagged `sha256-<hex>.sig` in the artifact's repository (tag-based discovery).
 */
import { type KeyObject, sign, verify } from 'node:crypto';
import { AitwsError } from '../errors.js';
import { isDigest, sha256Digest } from './digest.js';
import { type Blob, type Descriptor, type Digest, type ImageManifest, MEDIA_TYPES } from './types.js';

export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
/** cosign gives its signature manifests an image config, not the OCI 1.1 empty one. */
export const OCI_IMAGE_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** Go's zero time: what go-containerregistry writes for history; fixed so nothing leaks a clock. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function requireDigest(value: string): Digest {
  if (!isDigest(value))
    throw new AitwsError('USAGE', `"${value}" is not a sha256 digest (sha256: and 64 lowercase hex digits).`);
  return value;
}

/** Where cosign looks for an artifact's signatures: `sha256:abc…` → `sha256-abc….sig`. */
export function signatureTag(subjectDigest: Digest): string {
  return `${requireDigest(subjectDigest).replace(':', '-')}.sig`;
}

/**
 * Go's encoding/json escapes <, > and & (and U+2028/9) in strings; doing the same keeps our payload
 * byte-for-byte what cosign writes for the same input.
 */
function goString(value: string): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Go marshals a map with its keys sorted, and a nil map as `null`. */
function goStringMap(map: Readonly<Record<string, string>> | undefined): string {
  if (map === undefined) return 'null';
  const keys = Object.keys(map).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((key) => `${goString(key)}:${goString(map[key] ?? '')}`).join(',')}}`;
}

/**
 * The simple-signing payload, as sigstore's `payload.Cosign` marshals it. `repository` is the
 * registry host and path (`localhost:5000/team/digest`), as cosign writes docker-reference;
 * `optional` are cosign's `-a key=value` annotations, strings only as on its command line.
 */
export function simpleSigningPayload(
  subjectDigest: Digest,
  repository: string,
  optional?: Readonly<Record<string, string>>,
): Uint8Array {
  const critical = `{"identity":{"docker-reference":${goString(repository)}},"image":{"docker-manifest-digest":${goString(requireDigest(subjectDigest))}},"type":${goString(COSIGN_SIGNATURE_TYPE)}}`;
  return Buffer.from(`{"critical":${critical},"optional":${goStringMap(optional)}}`, 'utf8');
}

/** cosign sign-blob's format: base64 of the ASN.1 DER ECDSA-SHA256 signature over the bytes. */
export function signBlob(bytes: Uint8Array, privateKey: KeyObject): string {
  return sign('sha256', bytes, { key: privateKey, dsaEncoding: 'der' }).toString('base64');
}

export type SignatureProblem =
  /** Not base64, or not a DER ECDSA signature. */
  | 'bad-signature'
  /** Well-formed but does not verify: made with another key, or altered after signing. */
  | 'wrong-key';

export type BlobCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: SignatureProblem; readonly message: string };

/**
 * The DER shape of an ECDSA signature, SEQUENCE { INTEGER r, INTEGER s }, checked so a mangled
 * signature is told apart from one made with another key.
 */
function isDerEcdsa(der: Uint8Array): boolean {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return false;
  let at = 2;
  for (let part = 0; part < 2; part += 1) {
    const length = der[at + 1];
    if (der[at] !== 0x02 || length === undefined || length === 0 || length > 33) return false;
    at += 2 + length;
  }
  return at === der.length;
}

function decodeSignature(signature: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature) || signature.length % 4 !== 0) return undefined;
  const der = Buffer.from(signature, 'base64');
  return isDerEcdsa(der) ? der : undefined;
}

export function verifyBlob(bytes: Uint8Array, signature: string, publicKey: KeyObject): BlobCheck {
  const der = decodeSignature(signature.trim());
  if (der === undefined)
    return {
      ok: false,
      reason: 'bad-signature',
      message: 'The signature is not a base64 ASN.1 DER ECDSA signature.',
    };
  if (!verify('sha256', bytes, { key: publicKey, dsaEncoding: 'der' }, der))
    return {
      ok: false,
      reason: 'wrong-key',
      message:
        'The signature does not verify with this public key: it was made with another key, or the signed content or the signature was altered.',
    };
  return { ok: true };
}

export interface SignatureManifest {
  readonly manifest: ImageManifest;
  /** The exact bytes to push; the manifest's digest is over these. */
  readonly manifestBytes: Uint8Array;
  /** The config and the payload, to upload before the manifest. */
  readonly blobs: readonly Blob[];
  /** `sha256-<hex>.sig`, in the artifact's own repository. */
  readonly tag: string;
}

function blobOf(mediaType: string, content: Uint8Array, annotations?: Record<string, string>): Blob {
  // cosign's key order (mediaType, size, digest), so our manifest reads like one cosign pushed.
  const descriptor: Descriptor = {
    mediaType,
    size: content.length,
    digest: sha256Digest(content),
    ...(annotations === undefined ? {} : { annotations }),
  };
  return { descriptor, content };
}

/** The image config cosign writes for a signature manifest (go-containerregistry's, from empty). */
function signatureConfig(payloadDigest: Digest): Uint8Array {
  const config = {
    architecture: '',
    created: ZERO_TIME,
    history: [{ created: ZERO_TIME }],
    os: '',
    rootfs: { type: 'layers', diff_ids: [payloadDigest] },
    config: {},
  };
  return Buffer.from(JSON.stringify(config), 'utf8');
}

/** A signature manifest for `subjectDigest` in `repository`, signed with `privateKey`. */
export function signatureManifest(
  subjectDigest: Digest,
  repository: string,
  privateKey: KeyObject,
  optional?: Readonly<Record<string, string>>,
): SignatureManifest {
  const payloadBytes = simpleSigningPayload(subjectDigest, repository, optional);
  const payload = blobOf(MEDIA_TYPES.cosignSimpleSigning, payloadBytes, {
    [COSIGN_SIGNATURE_ANNOTATION]: signBlob(payloadBytes, privateKey),
  });
  const config = blobOf(OCI_IMAGE_CONFIG, signatureConfig(payload.descriptor.digest));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: config.descriptor,
    layers: [payload.descriptor],
  };
  return {
    manifest,
    manifestBytes: Buffer.from(JSON.stringify(manifest), 'utf8'),
    blobs: [config, payload],
    tag: signatureTag(subjectDigest),
  };
}
