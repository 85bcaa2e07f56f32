import { AitwsError } from '../errors.js';

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
