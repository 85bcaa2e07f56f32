/**
 * Discord signs every HTTP interaction with Ed25519 over `timestamp + raw body`; the application's
 * public key is 32 bytes of hex. node:crypto takes it as an SPKI DER key: a fixed 12-byte
 * Ed25519 prefix followed by those 32 bytes.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SIGNATURE = /^[0-9a-f]{128}$/i;
const TIMESTAMP = /^\d{1,15}$/;

/**
 * Signed requests older (or newer) than this are refused: a captured request cannot be replayed
 * once the interaction-id dedupe has forgotten it.
 */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

export function publicKeyFromHex(hex: string): KeyObject {
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error('A Discord public key is 64 hex digits');
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]),
    format: 'der',
    type: 'spki',
  });
}

export function isValidSignature(
  key: KeyObject,
  signature: string | undefined,
  timestamp: string | undefined,
  body: Buffer,
  nowSeconds: number = Date.now() / 1000,
): boolean {
  if (signature === undefined || timestamp === undefined) return false;
  if (!SIGNATURE.test(signature) || !TIMESTAMP.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) return false;
  return verify(
    null,
    Buffer.concat([Buffer.from(timestamp, 'utf8'), body]),
    key,
    Buffer.from(signature, 'hex'),
  );
}
