/**
 * Checking cosign signature manifests (see cosign.ts for the format): each layer's payload must
 * hash to its descriptor, carry a valid ECDSA signature by the given key, and name the artifact
 * as its subject. Failures are values, so a verifier can print one line per layer.
 */
import type { KeyObject } from 'node:crypto';
import {
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIGNATURE_TYPE,
  requireDigest,
  type SignatureProblem,
  verifyBlob,
} from './cosign.js';
import { sha256Digest } from './digest.js';
import { type Blob, type Descriptor, type Digest, type ImageManifest, MEDIA_TYPES } from './types.js';

export type SignatureFailure =
  | SignatureProblem
  /** The layer is not a simple-signing payload, or carries no signature annotation. */
  | 'not-a-signature'
  /** The payload blob was not given. */
  | 'payload-missing'
  /** The payload's bytes do not hash to the layer's digest (or size): altered in storage. */
  | 'payload-digest-mismatch'
  /** Signed, but not a cosign simple-signing payload. */
  | 'payload-invalid'
  /** A valid signature over another artifact (e.g. a .sig manifest copied across). */
  | 'wrong-subject';

export type SignatureCheck =
  | {
      readonly ok: true;
      readonly layer: number;
      readonly payloadDigest: Digest;
      /** docker-reference in the payload. cosign ignores it (artifacts move between registries). */
      readonly dockerReference: string;
      /** Whether docker-reference names the repository given: informative, never a failure. */
      readonly sameRepository: boolean;
      readonly optional: Readonly<Record<string, unknown>> | null;
    }
  | {
      readonly ok: false;
      readonly layer: number;
      readonly reason: SignatureFailure;
      readonly message: string;
    };

function asRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The fields of a payload that verification reads; undefined when it is not JSON. */
function parsePayload(bytes: Uint8Array) {
  let json: Readonly<Record<string, unknown>> | undefined;
  try {
    json = asRecord(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch {
    return undefined;
  }
  const critical = asRecord(json?.critical);
  return {
    type: critical?.type,
    digest: asRecord(critical?.image)?.['docker-manifest-digest'],
    reference: asRecord(critical?.identity)?.['docker-reference'],
    optional: asRecord(json?.optional) ?? null,
  };
}

type Failure = Extract<SignatureCheck, { ok: false }>;

function fail(layer: number, reason: SignatureFailure, message: string): Failure {
  return { ok: false, layer, reason, message };
}

/** The signed payload of one layer, or why there is none worth checking. */
function signedPayload(
  layer: number,
  descriptor: Descriptor,
  blobs: readonly Blob[],
): { payload: Uint8Array; signature: string } | Failure {
  const signature = descriptor.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
  if (descriptor.mediaType !== MEDIA_TYPES.cosignSimpleSigning || signature === undefined)
    return fail(
      layer,
      'not-a-signature',
      `Layer ${layer} is not a cosign simple-signing layer with a signature.`,
    );
  const payload = blobs.find((blob) => blob.descriptor.digest === descriptor.digest)?.content;
  if (payload === undefined)
    return fail(layer, 'payload-missing', `The payload ${descriptor.digest} of layer ${layer} is missing.`);
  if (sha256Digest(payload) !== descriptor.digest || payload.length !== descriptor.size)
    return fail(
      layer,
      'payload-digest-mismatch',
      `The payload of layer ${layer} does not match its digest ${descriptor.digest}: it was altered.`,
    );
  return { payload, signature };
}

function checkLayer(
  layer: number,
  descriptor: Descriptor,
  subject: { digest: Digest; repository: string; blobs: readonly Blob[]; key: KeyObject },
): SignatureCheck {
  const signed = signedPayload(layer, descriptor, subject.blobs);
  if ('ok' in signed) return signed;
  const check = verifyBlob(signed.payload, signed.signature, subject.key);
  if (!check.ok) return fail(layer, check.reason, check.message);
  const parsed = parsePayload(signed.payload);
  if (parsed === undefined || parsed.type !== COSIGN_SIGNATURE_TYPE || typeof parsed.reference !== 'string')
    return fail(
      layer,
      'payload-invalid',
      `The payload of layer ${layer} is not a cosign simple-signing payload.`,
    );
  if (parsed.digest !== subject.digest)
    return fail(
      layer,
      'wrong-subject',
      `The signature is for ${String(parsed.digest)}, not for ${subject.digest}.`,
    );
  return {
    ok: true,
    layer,
    payloadDigest: descriptor.digest,
    dockerReference: parsed.reference,
    sameRepository: parsed.reference === subject.repository,
    optional: parsed.optional,
  };
}

/**
 * Checks every signature in a signature manifest against `publicKey`, one result per layer, as
 * cosign does: the payload hashes to its layer digest, the signature verifies over the payload,
 * and the payload names `subjectDigest`. Any one good result means the artifact is signed by the key.
 */
export function verifySignatures(
  subjectDigest: Digest,
  repository: string,
  stored: { readonly manifest: ImageManifest; readonly blobs: readonly Blob[] },
  publicKey: KeyObject,
): readonly SignatureCheck[] {
  const subject = { digest: requireDigest(subjectDigest), repository, blobs: stored.blobs, key: publicKey };
  return stored.manifest.layers.map((descriptor, layer) => checkLayer(layer, descriptor, subject));
}
