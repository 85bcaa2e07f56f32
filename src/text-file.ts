/**
 * Reading a document someone named on the command line or in chat: only a regular file, never
 * more than the document limit (`/dev/zero` would otherwise be read until memory runs out), and
 * only valid UTF-8, since a replacement character would change a value without a word.
 */
import { open } from 'node:fs/promises';
import { formatBytes } from './document/index.js';
import { AitwsError, LimitError } from './errors.js';

function notUtf8(error: unknown): AitwsError {
  return new AitwsError('FILE_IO', 'The file is not UTF-8 text, so it cannot be read without changing it.', {
    hint: 'Save it as UTF-8 and try again.',
    cause: error,
  });
}

export async function readTextFile(file: string, maxBytes: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new AitwsError('FILE_IO', 'That is not a regular file.', {
        hint: 'Give the path of a .toml file.',
      });
    }
    // Read one byte past the limit: a file that grew since stat is caught all the same.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > maxBytes) {
      throw new LimitError(
        `The file is over ${formatBytes(maxBytes)}, the document limit.`,
        'Split the workflow or remove sections it does not need.',
      );
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, bytesRead));
    } catch (error) {
      throw notUtf8(error);
    }
  } finally {
    await handle.close();
  }
}
