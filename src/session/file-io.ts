/**
 * Small file-system helpers for the file store: atomic replace, optional reads, errno codes, and
 * the sweep of temporaries a crash left behind.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, lstat, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';

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

/** `<target>.<12 hex digits>.tmp`, as writeTemporary names them; nothing else is ever swept. */
const TEMPORARY = /\.[0-9a-f]{12}\.tmp$/;

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

/**
 * Removes the temporaries in `dir` (not below it) last modified more than `olderThanMs` ago: a
 * crash between writing one and renaming it leaves it behind for good, and it can be as large as
 * a document. A live one exists for milliseconds, under a lock whose holder is taken over long
 * before `olderThanMs`. One dated as far in the future is no live write either (clock skew between
 * hosts), so it goes too. Returns how many were removed; a missing `dir` has none.
 */
export async function removeStaleTemporaries(dir: string, olderThanMs: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const name of names.filter((candidate) => TEMPORARY.test(candidate))) {
    const file = path.join(dir, name);
    try {
      const info = await lstat(file);
      if (!info.isFile() || Math.abs(Date.now() - info.mtimeMs) <= olderThanMs) continue;
      await unlink(file);
      removed += 1;
    } catch (error) {
      // Renamed into place or removed by someone else since the listing: nothing to do.
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }
  return removed;
}
