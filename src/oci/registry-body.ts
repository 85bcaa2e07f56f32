/**
 * Registry response bodies: read up to a cap, and a refusal turned into an AitwsError that carries
 * the registry's own error codes (`MANIFEST_INVALID: …`).
 */
import { AitwsError } from '../errors.js';
import type { Reference } from './types.js';

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

/** Done when the response has `status` (its body discarded), else the registry's refusal. */
export async function expectStatus(
  reference: Reference,
  response: Response,
  status: number,
  doing: string,
): Promise<void> {
  if (response.status === status) {
    await response.body?.cancel();
    return;
  }
  throw await refusedWith(reference, response, doing);
}

/** The refusal with what its body says (at most 64 KiB of it read). */
async function refusedWith(reference: Reference, response: Response, doing: string): Promise<AitwsError> {
  const body = await readCapped(response, 64 * 1024, 'The error').catch(() => new Uint8Array());
  return statusError(reference, response, doing, body);
}

/** The registry's own error codes (`MANIFEST_INVALID: …`) as details; never headers (they may echo tokens). */
export function statusError(
  reference: Reference,
  response: Response,
  doing: string,
  body: Uint8Array,
): AitwsError {
  const details: string[] = [];
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(body));
    const errors =
      typeof parsed === 'object' && parsed !== null && 'errors' in parsed ? parsed.errors : undefined;
    for (const entry of Array.isArray(errors) ? errors.slice(0, 5) : []) {
      const { code, message } = entry as { code?: unknown; message?: unknown };
      if (typeof code === 'string')
        details.push(`${code}${typeof message === 'string' ? `: ${message.slice(0, 200)}` : ''}`);
    }
  } catch {
    // Not the registry's JSON error format: nothing more to say.
  }
  const auth = response.status === 401 || response.status === 403;
  return new AitwsError(
    'HTTP_STATUS',
    `The registry ${reference.registry} answered ${response.status} ${doing} in ${reference.repository}.`,
    {
      retryable: response.status >= 500 || response.status === 429,
      details,
      ...(auth
        ? { hint: 'Check the credentials for this registry and their push/pull rights on the repository.' }
        : {}),
    },
  );
}
