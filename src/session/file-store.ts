/**
 * The embedded-mode session store: plain JSON files under one data directory.
 *
 *   <dataDir>/channels/<label>.<hash>/     one channel: current.json plus one file per retained
 *                                           version (see src/session/file-store-channel.ts)
 *   <dataDir>/library/<label>.<hash>/      one workspace's named saves, one file each, capped per
 *                                           workspace (see src/session/file-store-library.ts)
 *
 * Names are a readable label plus a SHA-256 of the exact key (storageName), so no channel or
 * workspace string can leave the data directory. Every change takes a lock file
 * (src/session/file-lock.ts), re-reads what it depends on, checks and replaces files atomically,
 * so several processes can share one data directory. Readers take no lock: a rename is atomic,
 * and retained version files never change.
 *
 * A crash between writing a temporary file and renaming it leaves the temporary behind; the first
 * write this store makes in a directory removes those older than a minute (sweepOnce).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AitwsError, StorageUnavailableError } from '../errors.js';
import { decodeDocument, encodeDocument } from './codec.js';
import { errorCode, removeStaleTemporaries } from './file-io.js';
import { type LockOptions, withFileLock } from './file-lock.js';
import {
  type ChannelFiles,
  channelFiles,
  commitVersion,
  readCurrent,
  readVersion,
  trimVersions,
} from './file-store-channel.js';
import {
  deleteEntry,
  entryContent,
  type LibraryFiles,
  libraryFiles,
  listEntries,
  loadEntry,
  migrateLegacy,
  type SavedRow,
  saveEntry,
} from './file-store-library.js';
import { assertSavedName, compareSavedNames, type LibraryLimits, libraryLimits } from './names.js';
import type {
  ChangeToWrite,
  ChannelKey,
  HistoryEntry,
  SavedDocument,
  SavedDocumentSummary,
  SessionRecord,
  SessionStore,
  WorkspaceKey,
  WriteResult,
} from './port.js';

/** How replies name the data directory: the variable that sets it, never its absolute path. */
const DATA_DIR_LABEL = '$AITWS_DATA_DIR';

export interface FileSessionStoreOptions {
  readonly dataDir: string;
  /** Versions kept per channel, newest first. At least 1. Default 50. */
  readonly historyLimit?: number;
  /** A lock file older than this is taken over as abandoned. Default 10 s. */
  readonly lockTimeoutMs?: number;
  /** Caps per workspace library (default 100 entries, 8 MiB of entry files). */
  readonly library?: Partial<LibraryLimits>;
}

export const FILE_STORE_DEFAULTS = {
  historyLimit: 50,
  lockTimeoutMs: 10_000,
} as const satisfies Required<Omit<FileSessionStoreOptions, 'dataDir' | 'library'>>;

/** The store's own folders under the data directory, which nothing else may write into. */
export const FILE_STORE_FOLDERS = ['channels', 'library'] as const;

/** A temporary this old is a crash's leftover: a live one lasts milliseconds, a lock 10 s. */
const TEMPORARY_MAX_AGE_MS = 60_000;
/** Directories remembered as swept; past this the set starts over (a sweep again is harmless). */
const SWEPT_MEMORY = 10_000;

const EMPTY_RECORD: SessionRecord = { version: 0, document: null, updatedAt: null, updatedBy: null };

function positiveInteger(value: number, name: string): number {
  if (Number.isInteger(value) && value >= 1) return value;
  throw new AitwsError('CONFIG', `${name} must be a whole number of at least 1 (got ${value}).`);
}

export class FileSessionStore implements SessionStore {
  readonly dataDir: string;
  readonly #historyLimit: number;
  readonly #lock: LockOptions;
  readonly #library: LibraryLimits;
  readonly #swept = new Set<string>();

  constructor(options: FileSessionStoreOptions) {
    this.dataDir = path.resolve(options.dataDir);
    this.#historyLimit = positiveInteger(
      options.historyLimit ?? FILE_STORE_DEFAULTS.historyLimit,
      'historyLimit',
    );
    const staleMs = positiveInteger(
      options.lockTimeoutMs ?? FILE_STORE_DEFAULTS.lockTimeoutMs,
      'lockTimeoutMs',
    );
    // Waiting a little longer than the stale age lets a waiter take over an abandoned lock.
    this.#lock = { staleMs, waitMs: Math.ceil(staleMs * 1.5) };
    this.#library = libraryLimits(options.library ?? {}, 'FileSessionStore');
  }

  /** A channel's directory: current.json and the retained version files (for operators and tests). */
  channelDir(key: ChannelKey): string {
    return this.#channel(key).dir;
  }

  /** A channel's current.json, the file that decides its version. */
  channelFile(key: ChannelKey): string {
    return this.#channel(key).current;
  }

  /** Where a workspace's named saves live, one file each. */
  libraryDir(workspace: WorkspaceKey): string {
    return this.#libraryFiles(workspace).dir;
  }

  /** The old format's single library file, read until the next save migrates it. */
  legacyLibraryFile(workspace: WorkspaceKey): string {
    return this.#libraryFiles(workspace).legacy;
  }

  async read(key: ChannelKey): Promise<SessionRecord> {
    const channel = this.#channel(key);
    const current = await this.#io('read', channel.current, () => readCurrent(channel));
    if (current === null) return EMPTY_RECORD;
    const { version, document, at, by } = current;
    return { version, document, updatedAt: at, updatedBy: by };
  }

  async write(key: ChannelKey, expectedVersion: number, change: ChangeToWrite): Promise<WriteResult> {
    const channel = this.#channel(key);
    // Encoded before locking: a document that cannot be stored fails without holding anyone up.
    const document = change.document === null ? null : encodeDocument(change.document);
    return this.#io('write', channel.dir, async () => {
      await mkdir(channel.dir, { recursive: true, mode: 0o700 });
      return withFileLock(channel.lock, this.#lock, async (): Promise<WriteResult> => {
        await this.#sweepOnce(channel.dir);
        // Only current.json: what the write depends on, and (decoded) proof it is readable.
        const currentVersion = (await readCurrent(channel))?.version ?? 0;
        if (currentVersion !== expectedVersion) return { ok: false, currentVersion };
        const version = currentVersion + 1;
        await commitVersion(channel, version, change, document);
        await trimVersions(channel, version - this.#historyLimit + 1);
        return { ok: true, version };
      });
    });
  }

  async history(key: ChannelKey, limit?: number): Promise<readonly HistoryEntry[]> {
    const channel = this.#channel(key);
    return this.#io('read', channel.dir, async () => {
      const current = await readCurrent(channel);
      if (current === null) return [];
      const wanted = limit === undefined ? this.#historyLimit : Math.max(0, Math.floor(limit));
      const count = Math.min(wanted, this.#historyLimit, current.version);
      if (count === 0) return [];
      // The newest entry is current.json itself; older ones are their version files. Versions
      // above the current one are orphans of an interrupted write and are never looked at.
      const older = await Promise.all(
        Array.from({ length: count - 1 }, (_, index) => readVersion(channel, current.version - 1 - index)),
      );
      const gap = older.indexOf(null);
      const kept = gap === -1 ? older : older.slice(0, gap);
      return [current, ...kept.filter((entry) => entry !== null)];
    });
  }

  async historyEntry(key: ChannelKey, version: number): Promise<HistoryEntry | null> {
    const channel = this.#channel(key);
    return this.#io('read', channel.dir, async () => {
      const current = await readCurrent(channel);
      if (current === null || !Number.isInteger(version)) return null;
      if (version === current.version) return current;
      if (version > current.version || version <= current.version - this.#historyLimit || version < 1) {
        return null;
      }
      return readVersion(channel, version);
    });
  }

  async saveNamed(workspace: WorkspaceKey, saved: SavedDocument): Promise<void> {
    assertSavedName(saved.name);
    const library = this.#libraryFiles(workspace);
    // Encoded before locking: a document that cannot be stored fails without holding anyone up.
    const content = entryContent(workspace, saved);
    await this.#io('write', library.dir, async () => {
      await mkdir(path.dirname(library.dir), { recursive: true, mode: 0o700 });
      await withFileLock(library.lock, this.#lock, async () => {
        // The parent holds the old format's temporaries, the largest a crash could leave.
        await this.#sweepOnce(path.dirname(library.dir));
        await this.#sweepOnce(library.dir);
        await migrateLegacy(library);
        await saveEntry(library, saved.name, content, this.#library);
      });
    });
  }

  async loadNamed(workspace: WorkspaceKey, name: string): Promise<SavedDocument | null> {
    assertSavedName(name);
    const library = this.#libraryFiles(workspace);
    const row = await this.#io('read', library.dir, () => loadEntry(library, name));
    if (row === null) return null;
    return { name: row.name, at: row.at, by: row.by, document: decodeSaved(row, this.#shown(library.dir)) };
  }

  async listNamed(workspace: WorkspaceKey): Promise<readonly SavedDocumentSummary[]> {
    const library = this.#libraryFiles(workspace);
    const rows = await this.#io('read', library.dir, () => listEntries(library));
    return rows
      .map(({ name, at, by }) => ({ name, at, by }))
      .sort((a, b) => compareSavedNames(a.name, b.name));
  }

  async deleteNamed(workspace: WorkspaceKey, name: string): Promise<SavedDocumentSummary | null> {
    assertSavedName(name);
    const library = this.#libraryFiles(workspace);
    return this.#io('write', library.dir, async () => {
      let deleted: SavedDocumentSummary | null = null;
      await withFileLock(library.lock, this.#lock, async () => {
        await migrateLegacy(library);
        const row = await deleteEntry(library, name);
        deleted = row === null ? null : { name: row.name, at: row.at, by: row.by };
      });
      return deleted;
    });
  }

  async close(): Promise<void> {}

  #channel(key: ChannelKey): ChannelFiles {
    return channelFiles(path.join(this.dataDir, 'channels'), key);
  }

  #libraryFiles(workspace: WorkspaceKey): LibraryFiles {
    return libraryFiles(path.join(this.dataDir, 'library'), workspace);
  }

  /** Removes a directory's stale temporaries, once per store and directory. Best effort. */
  async #sweepOnce(dir: string): Promise<void> {
    if (this.#swept.has(dir)) return;
    if (this.#swept.size >= SWEPT_MEMORY) this.#swept.clear();
    this.#swept.add(dir);
    await removeStaleTemporaries(dir, TEMPORARY_MAX_AGE_MS).catch(() => undefined);
  }

  /**
   * File-system failures become one retryable domain error naming the file; ours pass through.
   * Either way the file is named relative to the data directory: a reply reaches the channel, and
   * where the server keeps its files is not the channel's business. The log gets the whole error.
   */
  async #io<T>(action: 'read' | 'write', file: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AitwsError) throw this.#relative(error);
      const code = errorCode(error) ?? 'unknown error';
      throw new StorageUnavailableError(
        `Could not ${action} session data at ${this.#shown(file)} (${code}).`,
        error,
      );
    }
  }

  /** `file` as operators configure it: under $AITWS_DATA_DIR. */
  #shown(file: string): string {
    return path.join(DATA_DIR_LABEL, path.relative(this.dataDir, file));
  }

  #relative(error: AitwsError): AitwsError {
    if (!error.message.includes(this.dataDir)) return error;
    return new AitwsError(error.code, error.message.replaceAll(this.dataDir, DATA_DIR_LABEL), {
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      retryable: error.retryable,
      details: error.details,
      cause: error,
    });
  }
}

function decodeSaved(row: SavedRow, file: string): SavedDocument['document'] {
  return decodeDocument(row.document, `${file} (saved "${row.name}")`);
}
