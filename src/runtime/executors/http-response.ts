/**
 * An `http.request` response as output: the body read up to a cap (the stream is cancelled past
 * it), JSON parsed when the content type says JSON, headers lower-case without cookies, and every
 * secret value the request sent masked wherever the service might have echoed it.
 */
import { MASK } from '../../document/redact.js';
import { AitwsError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../run-store.js';

/** Secret values sent with a request, to mask in whatever comes back or is logged. */
export class SecretMask {
  readonly #values = new Set<string>();

  add(value: string): string {
    if (value !== '') this.#values.add(value);
    return value;
  }

  text(text: string): string {
    let masked = text;
    // Longest first, so a secret that contains another is masked whole.
    for (const value of [...this.#values].sort((a, b) => b.length - a.length)) {
      masked = masked.split(value).join(MASK);
    }
    return masked;
  }

  json(value: JsonValue): JsonValue {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.json(item));
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.keys(value).map((key) => [this.text(key), this.json(value[key] ?? null)]),
    );
  }
}

/** The body's bytes; HTTP_RESPONSE_TOO_LARGE as soon as it is longer than `maxBytes`. */
export async function readBody(response: Response, maxBytes: number, service: string): Promise<Uint8Array> {
  const tooLarge = (): AitwsError =>
    new AitwsError('HTTP_RESPONSE_TOO_LARGE', `${service} answered with more than ${maxBytes} bytes.`, {
      hint: 'Ask the service for less (a filter, a page), or raise the response limit.',
    });
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function isJsonType(contentType: string | null): boolean {
  const type = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json');
}

/** Parsed JSON for a JSON content type (null when empty), else the text. */
export function decodeBody(bytes: Uint8Array, contentType: string | null, service: string): JsonValue {
  const text = new TextDecoder().decode(bytes);
  if (!isJsonType(contentType)) return text;
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new AitwsError('HTTP_FAILED', `${service} said its answer is JSON, but it is not.`);
  }
}

/** Cookies are credentials for whoever holds them; they never become step output. */
const DROPPED_HEADERS: ReadonlySet<string> = new Set(['set-cookie', 'set-cookie2']);

export function outputHeaders(headers: Headers, mask: SecretMask): JsonObject {
  const entries: [string, string][] = [];
  headers.forEach((value, name) => {
    const key = name.toLowerCase();
    if (!DROPPED_HEADERS.has(key)) entries.push([key, mask.text(value)]);
  });
  // fromEntries keeps a header named `__proto__` a plain key.
  return Object.fromEntries(entries);
}

/** A short, masked excerpt of a failed response's body for the error's details. */
export function bodyExcerpt(bytes: Uint8Array, mask: SecretMask): string[] {
  // Masked before it is cut, so a secret at the cut cannot show in part.
  const text = mask.text(new TextDecoder().decode(bytes)).trim();
  if (text === '') return [];
  return [text.length > 300 ? `${text.slice(0, 300)}…` : text];
}
