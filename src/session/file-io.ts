/** Small file-system helpers for the file store: atomic replace, optional reads, errno codes. */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readFile, rename, rm, unlink } from 'node:fs/promises';

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** The file's text, or null when it does not exist. */
export async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

export async function removeIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

export interface FileContent {
  readonly file: string;
  readonly content: string;
}

/** Writes `content` to a new temporary sibling of `file` and fsyncs it; returns its path. */
async function writeTemporary({ file, content }: FileContent): Promise<string> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, 'wx', 0o600);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    return temporary;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Replaces each file so that readers and a crash see either its old bytes or its new ones, never a
 * mix: every new content goes to a temporary sibling and is fsynced (all at once, so the flushes
 * overlap), and only then are they renamed over their targets one by one, in the order given. A
 * failure or crash part-way leaves the earlier files replaced and the later ones untouched.
 * Owner-only permissions, because drafts can hold credentials.
 */
export async function replaceFilesAtomic(files: readonly FileContent[]): Promise<void> {
  const prepared = await Promise.allSettled(files.map(writeTemporary));
  const temporaries = prepared.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  let renamed = 0;
  try {
    for (const outcome of prepared) if (outcome.status === 'rejected') throw outcome.reason;
    for (const [index, temporary] of temporaries.entries()) {
      const target = files[index];
      if (target === undefined) break;
      await rename(temporary, target.file);
      renamed += 1;
    }
  } catch (error) {
    await Promise.all(temporaries.slice(renamed).map((temporary) => rm(temporary, { force: true })));
    throw error;
  }
}

/** replaceFilesAtomic for one file. */
export function writeFileAtomic(file: string, content: string): Promise<void> {
  return replaceFilesAtomic([{ file, content }]);
}
