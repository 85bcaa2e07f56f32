/**
 * One workspace library in the file store (src/session/file-store.ts):
 *
 *   <dataDir>/library/<label>.<hash>/<label>.<hash>.json   one file per saved name
 *   <dataDir>/library/<label>.<hash>.json.lock             held while saving
 *   <dataDir>/library/<label>.<hash>.json                  the old format: every save in one file
 *
 * A save replaces one file of one document, however large the library is; the old format
 * rewrote the whole library on every save (549 ms per save at 71 MB). File names come from
 * storageName, so a saved name such as ".." or one differing only in case stays its own file.
 *
 * The old file is read alongside the new entries until the next save moves its rows into entry
 * files and removes it (migrateLegacy), so no save made before this layout is lost. Readers take
 * no lock; the order in which they look (see listEntries and loadEntry) keeps every save visible
 * while a migration runs.
 */
import { lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { encodeDocument, parseStored, unreadableDataError } from './codec.js';
import { errorCode, readIfExists, removeIfPresent, replaceFilesAtomic } from './file-io.js';
import { PLATFORMS, storageName } from './file-store-channel.js';
import { type LibraryLimits, libraryFullError, libraryVerdict } from './names.js';
import type { SavedDocument, WorkspaceKey } from './port.js';

const ENTRY_FORMAT = 'aitws.saved-entry/1';
const LEGACY_FORMAT = 'aitws.library/1';
/** The entry files storageName makes; temporaries and anything else in the directory are ignored. */
const ENTRY_FILE = /^[a-z0-9_-]{0,48}\.[0-9a-f]{32}\.json$/;
/** Entry files written at once during a migration: their flushes overlap, file handles stay few. */
const MIGRATION_BATCH = 32;

const workspaceSchema = z.object({ platform: z.enum(PLATFORMS), workspace: z.string() });
const rowSchema = z.object({ name: z.string(), at: z.string(), by: z.string(), document: z.unknown() });
export type SavedRow = z.infer<typeof rowSchema>;

const entrySchema = rowSchema.extend({ format: z.literal(ENTRY_FORMAT), workspace: workspaceSchema });
const legacySchema = z.object({
  format: z.literal(LEGACY_FORMAT),
  workspace: workspaceSchema,
  saved: z.array(rowSchema),
});

export interface LibraryFiles {
  readonly key: WorkspaceKey;
  readonly dir: string;
  readonly legacy: string;
  /** The old format's lock path, so a process still running the old code saves in turn with us. */
  readonly lock: string;
}

export function libraryFiles(libraryRoot: string, key: WorkspaceKey): LibraryFiles {
  const base = path.join(libraryRoot, storageName([key.platform, key.workspace]));
  const legacy = `${base}.json`;
  return { key, dir: base, legacy, lock: `${legacy}.lock` };
}

export function entryFile(library: LibraryFiles, name: string): string {
  return path.join(library.dir, `${storageName([name])}.json`);
}

function belongsTo(stored: z.infer<typeof workspaceSchema>, key: WorkspaceKey): boolean {
  return stored.platform === key.platform && stored.workspace === key.workspace;
}

/** An entry file's row, or null when there is none; anything unexpected names the file. */
async function readEntry(library: LibraryFiles, file: string): Promise<SavedRow | null> {
  const text = await readIfExists(file);
  if (text === null) return null;
  const { name, at, by, document, workspace } = parseStored(entrySchema, text, file);
  if (!belongsTo(workspace, library.key)) throw unreadableDataError(file, 'it belongs to another workspace');
  if (entryFile(library, name) !== file) throw unreadableDataError(file, `it holds "${name}"`);
  return { name, at, by, document };
}

/** The old library file's rows, the last of a repeated name winning; null when there is none. */
async function readLegacy(library: LibraryFiles): Promise<Map<string, SavedRow> | null> {
  const text = await readIfExists(library.legacy);
  if (text === null) return null;
  const stored = parseStored(legacySchema, text, library.legacy);
  if (!belongsTo(stored.workspace, library.key)) {
    throw unreadableDataError(library.legacy, 'it belongs to another workspace');
  }
  return new Map(stored.saved.map((row) => [row.name, row]));
}

async function entryFileNames(library: LibraryFiles): Promise<string[]> {
  try {
    return (await readdir(library.dir)).filter((name) => ENTRY_FILE.test(name));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Every saved row. The old file is read before the directory: a migration writes every entry
 * file before it removes the old one, so whichever state each read sees, no row is missed.
 */
export async function listEntries(library: LibraryFiles): Promise<SavedRow[]> {
  const rows = (await readLegacy(library)) ?? new Map<string, SavedRow>();
  const names = await entryFileNames(library);
  const entries = await Promise.all(names.map((name) => readEntry(library, path.join(library.dir, name))));
  for (const entry of entries) if (entry !== null) rows.set(entry.name, entry);
  return [...rows.values()];
}

/**
 * One saved row or null. An entry file wins over the old file (it is newer). If neither has it,
 * the entry file is looked at once more: a migration may have moved it in between.
 */
export async function loadEntry(library: LibraryFiles, name: string): Promise<SavedRow | null> {
  const file = entryFile(library, name);
  const entry = await readEntry(library, file);
  if (entry !== null) return entry;
  const legacy = await readLegacy(library);
  if (legacy === null) return readEntry(library, file);
  return legacy.get(name) ?? null;
}

function entryText(key: WorkspaceKey, row: SavedRow): string {
  const { name, at, by, document } = row;
  const workspace = { platform: key.platform, workspace: key.workspace };
  return JSON.stringify({ format: ENTRY_FORMAT, workspace, name, at, by, document });
}

/** The entry file's text for a save: encoded before locking, so a bad document holds no one up. */
export function entryContent(key: WorkspaceKey, saved: SavedDocument): string {
  const { name, at, by } = saved;
  return entryText(key, { name, at, by, document: encodeDocument(saved.document) });
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Moves the old file's rows into entry files, then removes it. Call under the lock. Every row
 * moves, caps or not: no save is lost. An entry file that already exists is newer (written by a
 * save after an interrupted migration), so it is kept.
 */
export async function migrateLegacy(library: LibraryFiles): Promise<void> {
  const legacy = await readLegacy(library);
  if (legacy === null) return;
  await mkdir(library.dir, { recursive: true, mode: 0o700 });
  const rows = [...legacy.values()];
  for (let start = 0; start < rows.length; start += MIGRATION_BATCH) {
    const batch = rows.slice(start, start + MIGRATION_BATCH);
    const missing = await Promise.all(
      batch.map(async (row) => ((await exists(entryFile(library, row.name))) ? [] : [row])),
    );
    await replaceFilesAtomic(
      missing
        .flat()
        .map((row) => ({ file: entryFile(library, row.name), content: entryText(library.key, row) })),
    );
  }
  await removeIfPresent(library.legacy);
}

interface DirectoryUsage {
  readonly entries: number;
  readonly bytes: number;
  readonly replacedBytes: number | null;
}

/** How many entries and bytes the directory holds, and the size of `name`'s file if it has one. */
async function usage(library: LibraryFiles, name: string): Promise<DirectoryUsage> {
  const target = path.basename(entryFile(library, name));
  let bytes = 0;
  let replacedBytes: number | null = null;
  const names = await entryFileNames(library);
  const sizes = await Promise.all(
    names.map(async (file) => {
      try {
        return (await lstat(path.join(library.dir, file))).size;
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return 0;
        throw error;
      }
    }),
  );
  for (const [index, size] of sizes.entries()) {
    bytes += size;
    if (names[index] === target) replacedBytes = size;
  }
  return { entries: names.length, bytes, replacedBytes };
}

/**
 * Stores `content` (from entryContent) as `name`'s entry file if the caps allow, else throws the
 * LIMIT error. Call under the lock, after migrateLegacy, so the directory holds the whole
 * library. Bytes are those of the entry files: what the library really takes on disk.
 */
export async function saveEntry(
  library: LibraryFiles,
  name: string,
  content: string,
  limits: LibraryLimits,
): Promise<void> {
  const newBytes = Buffer.byteLength(content);
  const verdict = libraryVerdict(limits, { ...(await usage(library, name)), newBytes });
  if (verdict !== 'ok') throw libraryFullError(verdict, limits, newBytes);
  await mkdir(library.dir, { recursive: true, mode: 0o700 });
  await replaceFilesAtomic([{ file: entryFile(library, name), content }]);
}

/** Removes `name`'s entry file; its row, or null. Call under the lock, after migrateLegacy. */
export async function deleteEntry(library: LibraryFiles, name: string): Promise<SavedRow | null> {
  const file = entryFile(library, name);
  const row = await readEntry(library, file);
  if (row === null) return null;
  await removeIfPresent(file);
  return row;
}
