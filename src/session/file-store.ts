/**
 * The embedded-mode session store: plain JSON files under one data directory.
 *
 *   <dataDir>/channels/<label>.<hash>/     one channel: current.json plus one file per retained
 *                                           version (see src/session/file-store-channel.ts)
 *   <dataDir>/library/<label>.<hash>.json   one workspace's named saves
 *
 * Names are a readable label plus a SHA-256 of the exact key (storageName), so no channel or
 * workspace string can leave the data directory. Every change takes a lock file
 * (src/session/file-lock.ts), re-reads what it depends on, checks and replaces files atomically,
 * so several processes can share one data directory. Readers take no lock: a rename is atomic,
 * and retained version files never change.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AitwsError, StorageUnavailableError } from '../errors.js';
import {
  decodeDocument,
  encodeDocument,
  parseStored,
  savedDocumentToJson,
  unreadableDataError,
} from './codec.js';
import { errorCode, readIfExists, writeFileAtomic } from './file-io.js';
import { type LockOptions, withFileLock } from './file-lock.js';
import {
  type ChannelFiles,
  channelFiles,
  commitVersion,
  PLATFORMS,
  readCurrent,
  readVersion,
  storageName,
  trimVersions,
} from './file-store-channel.js';
import { assertSavedName, compareSavedNames } from './names.js';
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

export interface FileSessionStoreOptions {
  readonly dataDir: string;
  /** Versions kept per channel, newest first. At least 1. Default 50. */
  readonly historyLimit?: number;
  /** A lock file older than this is taken over as abandoned. Default 10 s. */
  readonly lockTimeoutMs?: number;
}

export const FILE_STORE_DEFAULTS = {
  historyLimit: 50,
  lockTimeoutMs: 10_000,
} as const satisfies Required<Omit<FileSessionStoreOptions, 'dataDir'>>;

const LIBRARY_FORMAT = 'aitws.library/1';

const EMPTY_RECORD: SessionRecord = { version: 0, document: null, updatedAt: null, updatedBy: null };

const savedRowSchema = z.object({ name: z.string(), at: z.string(), by: z.string(), document: z.unknown() });
type SavedRow = z.infer<typeof savedRowSchema>;

const libraryFileSchema = z.object({
  format: z.literal(LIBRARY_FORMAT),
  workspace: z.object({ platform: z.enum(PLATFORMS), workspace: z.string() }),
  saved: z.array(savedRowSchema),
});
type LibraryFile = z.infer<typeof libraryFileSchema>;

function positiveInteger(value: number, name: string): number {
  if (Number.isInteger(value) && value >= 1) return value;
  throw new AitwsError('CONFIG', `${name} must be a whole number of at least 1 (got ${value}).`);
}

export class FileSessionStore implements SessionStore {
  readonly dataDir: string;
  readonly #historyLimit: number;
  readonly #lock: LockOptions;

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
  }

  /** A channel's directory: current.json and the retained version files (for operators and tests). */
  channelDir(key: ChannelKey): string {
    return this.#channel(key).dir;
  }

  /** A channel's current.json, the file that decides its version. */
  channelFile(key: ChannelKey): string {
    return this.#channel(key).current;
  }

  /** Where a workspace's named saves live. */
  libraryFile(workspace: WorkspaceKey): string {
    const name = `${storageName([workspace.platform, workspace.workspace])}.json`;
    return path.join(this.dataDir, 'library', name);
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
    const file = this.libraryFile(workspace);
    const row = savedDocumentToJson(saved);
    await this.#io('write', file, async () => {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await withFileLock(`${file}.lock`, this.#lock, async () => {
        const stored = await this.#readLibrary(workspace, file);
        const rows: unknown[] = (stored?.saved ?? []).filter((other) => other.name !== saved.name);
        rows.push(row);
        const content = {
          format: LIBRARY_FORMAT,
          workspace: { platform: workspace.platform, workspace: workspace.workspace },
          saved: rows,
        };
        await writeFileAtomic(file, JSON.stringify(content));
      });
    });
  }

  async loadNamed(workspace: WorkspaceKey, name: string): Promise<SavedDocument | null> {
    assertSavedName(name);
    const file = this.libraryFile(workspace);
    const stored = await this.#io('read', file, () => this.#readLibrary(workspace, file));
    const row = stored?.saved.find((candidate) => candidate.name === name);
    if (row === undefined) return null;
    return { name: row.name, at: row.at, by: row.by, document: decodeSaved(row, file) };
  }

  async listNamed(workspace: WorkspaceKey): Promise<readonly SavedDocumentSummary[]> {
    const file = this.libraryFile(workspace);
    const stored = await this.#io('read', file, () => this.#readLibrary(workspace, file));
    return (stored?.saved ?? [])
      .map(({ name, at, by }) => ({ name, at, by }))
      .sort((a, b) => compareSavedNames(a.name, b.name));
  }

  async close(): Promise<void> {}

  #channel(key: ChannelKey): ChannelFiles {
    return channelFiles(path.join(this.dataDir, 'channels'), key);
  }

  async #readLibrary(key: WorkspaceKey, file: string): Promise<LibraryFile | null> {
    const text = await readIfExists(file);
    if (text === null) return null;
    const stored = parseStored(libraryFileSchema, text, file);
    if (stored.workspace.platform !== key.platform || stored.workspace.workspace !== key.workspace) {
      throw unreadableDataError(file, 'it belongs to another workspace');
    }
    return stored;
  }

  /** File-system failures become one retryable domain error naming the file; ours pass through. */
  async #io<T>(action: 'read' | 'write', file: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AitwsError) throw error;
      const code = errorCode(error) ?? 'unknown error';
      throw new StorageUnavailableError(`Could not ${action} session data at ${file} (${code}).`, error);
    }
  }
}

function decodeSaved(row: SavedRow, file: string): SavedDocument['document'] {
  return decodeDocument(row.document, `${file} (saved "${row.name}")`);
}
