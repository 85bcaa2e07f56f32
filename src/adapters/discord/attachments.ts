/**
 * Downloads the file attached to `/load file:`. The URL comes only from the interaction payload
 * (signed by Discord or delivered on our gateway session), never from anything a user typed, and
 * the document size limit is enforced before and while reading, so a large file costs nothing.
 */

import { formatBytes } from '../../document/index.js';
import { AitwsError } from '../../errors.js';
import type { DiscordAttachment } from './interaction.js';

const DOWNLOAD_TIMEOUT_MS = 10_000;

function tooLarge(attachment: DiscordAttachment, maxBytes: number): AitwsError {
  return new AitwsError(
    'LIMIT',
    `${attachment.filename} is larger than the document limit of ${formatBytes(maxBytes)}; nothing was loaded.`,
    { hint: 'Split the workflow, or ask the operator to raise AITWS_MAX_DOCUMENT_BYTES.' },
  );
}

export async function downloadAttachment(
  attachment: DiscordAttachment,
  maxBytes: number,
  fetchImpl: typeof fetch = fetch,
): Promise<{ filename: string; text: string }> {
  if (attachment.size > maxBytes) throw tooLarge(attachment, maxBytes);
  const url = new URL(attachment.url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AitwsError('FILE_IO', `${attachment.filename} has no downloadable address.`);
  }
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch (error) {
    throw new AitwsError('FILE_IO', `Could not download ${attachment.filename} from Discord.`, {
      retryable: true,
      hint: 'Try again in a moment.',
      cause: error,
    });
  }
  if (!response.ok || response.body === null) {
    throw new AitwsError('FILE_IO', `Could not download ${attachment.filename} (HTTP ${response.status}).`, {
      retryable: response.status >= 500,
    });
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    // The size in the payload is Discord's claim; the bytes are what count.
    if (received > maxBytes) {
      await reader.cancel();
      throw tooLarge(attachment, maxBytes);
    }
    chunks.push(value);
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Buffer.concat(chunks));
    return { filename: attachment.filename, text };
  } catch {
    throw new AitwsError('PARSE', `${attachment.filename} is not UTF-8 text; attach the .toml file itself.`);
  }
}
