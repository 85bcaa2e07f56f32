/**
 * Registry response bodies: read up to a cap (the stream is cancelled past it, so a hostile or
 * broken registry cannot make aitws buffer without end), and the sha256 digests they are checked by.
 */
import { createHash } from 'node:crypto';
import { AitwsError } from '../errors.js';
import type { Digest } from './types.js';

export function sha256Digest(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The body's bytes, failing with HTTP_RESPONSE_TOO_LARGE as soon as it passes `maxBytes`. */
export async function readCapped(response: Response, maxBytes: number, what: string): Promise<Uint8Array> {
  const tooLarge = (): AitwsError =>
    new AitwsError('HTTP_RESPONSE_TOO_LARGE', `${what} is larger than ${maxBytes} bytes; not read.`);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    total += next.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks, total);
}
