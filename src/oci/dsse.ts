/**
 * DSSE, the Dead Simple Signing Envelope (github.com/secure-systems-lab/dsse, protocol v1) that
 * in-toto attestations travel in (issue #18 point 4). What is signed is the PAE (pre-authentication
 * encoding) of the payload type and the payload bytes, never the JSON envelope, so the type cannot
 * be swapped without breaking the signature and nobody has to canonicalise JSON to check it.
 *
 * The signature scheme is injected: the signer and verifier here only frame bytes (ECDSA P-256
 * lives with the keys), which keeps this testable against the spec's own vector.
 */
import { AitwsError } from '../errors.js';
import { canonicalJson } from '../runtime/ai/canonical.js';

export interface DsseSignature {
  /** Unauthenticated hint; the spec forbids basing a decision on it. */
  readonly keyid?: string;
  /** Base64 of the signature bytes. */
  readonly sig: string;
}

export interface DsseEnvelope {
  readonly payloadType: string;
  /** Base64 of the payload bytes. */
  readonly payload: string;
  readonly signatures: readonly DsseSignature[];
}

export type DsseSigner = (bytes: Uint8Array) => Uint8Array;
export type DsseVerifier = (bytes: Uint8Array, signature: Uint8Array, keyid: string | undefined) => boolean;

export type DsseVerification =
  | {
      readonly ok: true;
      readonly payloadType: string;
      readonly payload: Uint8Array;
      /** The keyid of the signature that verified, if it carried one. */
      readonly keyid?: string;
    }
  | { readonly ok: false; readonly reason: string };

/** Standard or URL-safe alphabet, padded or not: the spec says verifiers must accept either. */
const BASE64 = /^(?:[A-Za-z0-9+/]|[A-Za-z0-9\-_])*={0,2}$/;

const utf8 = new TextEncoder();

/** `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`, lengths in bytes as ASCII decimal. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8.encode(payloadType);
  const head = utf8.encode(`DSSEv1 ${type.length} `);
  const middle = utf8.encode(` ${payload.length} `);
  const out = new Uint8Array(head.length + type.length + middle.length + payload.length);
  out.set(head, 0);
  out.set(type, head.length);
  out.set(middle, head.length + type.length);
  out.set(payload, head.length + type.length + middle.length);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Undefined for text that is not base64 (Buffer.from alone would skip the bad characters). */
function fromBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function dsseSign(
  payloadType: string,
  payload: Uint8Array,
  sign: DsseSigner,
  keyid?: string,
): DsseEnvelope {
  if (payloadType === '')
    throw new AitwsError('VALIDATION', 'A DSSE envelope needs a payload type.', {
      hint: 'Use the media type of the payload, e.g. application/vnd.in-toto+json.',
    });
  const sig = toBase64(sign(pae(payloadType, payload)));
  return {
    payloadType,
    payload: toBase64(payload),
    signatures: [keyid === undefined ? { sig } : { keyid, sig }],
  };
}

/**
 * Accepts the envelope when at least one signature verifies over the PAE of its type and payload
 * (a threshold of 1). `expectedType`, when given, must match too: the spec rejects an unsupported
 * type, and checking it here keeps a valid SBOM envelope from passing as provenance.
 */
export function dsseVerify(
  envelope: DsseEnvelope,
  verify: DsseVerifier,
  expectedType?: string,
): DsseVerification {
  if (expectedType !== undefined && envelope.payloadType !== expectedType)
    return { ok: false, reason: `the payload type is ${envelope.payloadType}, not ${expectedType}` };
  const payload = fromBase64(envelope.payload);
  if (payload === undefined) return { ok: false, reason: 'the payload is not base64' };
  if (envelope.signatures.length === 0) return { ok: false, reason: 'the envelope has no signature' };
  const signed = pae(envelope.payloadType, payload);
  for (const signature of envelope.signatures) {
    const bytes = fromBase64(signature.sig);
    if (bytes === undefined || bytes.length === 0) continue;
    let valid = false;
    try {
      valid = verify(signed, bytes, signature.keyid);
    } catch {
      // A malformed signature (bad DER, wrong length) is simply not a valid one.
    }
    if (valid)
      return {
        ok: true,
        payloadType: envelope.payloadType,
        payload,
        ...(signature.keyid === undefined ? {} : { keyid: signature.keyid }),
      };
  }
  const count = envelope.signatures.length;
  return {
    ok: false,
    reason: `none of its ${count} signature${count === 1 ? '' : 's'} verifies with the key`,
  };
}

/** The envelope as stored: canonical JSON, so the same envelope always has the same digest. */
export function envelopeBytes(envelope: DsseEnvelope): Uint8Array {
  return utf8.encode(canonicalJson(envelope));
}

function isSignature(value: unknown): value is DsseSignature {
  if (typeof value !== 'object' || value === null) return false;
  const { keyid, sig } = value as { keyid?: unknown; sig?: unknown };
  return typeof sig === 'string' && (keyid === undefined || typeof keyid === 'string');
}

/** An envelope read back from a registry or file; anything not shaped like one is refused. */
export function parseEnvelope(bytes: Uint8Array, source: string): DsseEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw notEnvelope(source, 'it is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw notEnvelope(source, 'not an object');
  const { payloadType, payload, signatures } = value as Record<string, unknown>;
  if (typeof payloadType !== 'string' || typeof payload !== 'string')
    throw notEnvelope(source, 'payloadType and payload must be strings');
  if (!Array.isArray(signatures) || !signatures.every(isSignature))
    throw notEnvelope(source, 'signatures must be a list of { keyid?, sig }');
  return {
    payloadType,
    payload,
    signatures: signatures.map(({ keyid, sig }) => (keyid === undefined ? { sig } : { keyid, sig })),
  };
}

function notEnvelope(source: string, why: string): AitwsError {
  return new AitwsError('VALIDATION', `${source} is not a DSSE envelope: ${why}.`, {
    hint: 'Expected {"payloadType": ..., "payload": base64, "signatures": [{"keyid": ..., "sig": base64}]}.',
  });
}
