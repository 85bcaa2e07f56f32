/**
 * The embedded-mode session store: plain JSON files under one data directory.
 *
 *   <dataDir>/channels/<label>.<hash>.json   one channel: its retained history, newest first
 *                                              (the newest entry is the current record)
 *   <dataDir>/library/<label>.<hash>.json    one workspace's named saves
 *
 * File names are a lower-cased, character-filtered label for people plus a SHA-256 of the exact
 * key, so no channel or workspace string can leave the directory, collide with another (also on
 * case-insensitive file systems) or exceed name limits. Every change takes the file's lock
 * (src/session/file-lock.ts), re-reads, checks the version and replaces the file atomically, so
 * several processes can share one data directory. Readers take no lock: a rename is atomic.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AitwsError, StorageUnavailableError } from '../errors.js';
import {
  decodeDocument,
  encodeDocument,
  historyEntryMetaSchema,
  type JsonObject,
  type JsonValue,
  parseStored,
  savedDocumentToJson,
  unreadableDataError,
} from './codec.js';
import { errorCode, readIfExists, writeFileAtomic } from './file-io.js';
import { type LockOptions, withFileLock } from './file-lock.js';
import { assertSavedName, compareSavedNames } from './names.js';
import type {
  ChangeToWrite,
  ChannelKey,
  HistoryEntry,
  Platform,
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

const CHANNEL_FORMAT = 'aitws.channel/1';
const LIBRARY_FORMAT = 'aitws.library/1';
const PLATFORMS = ['console', 'slack', 'discord'] as const satisfies readonly Platform[];

const EMPTY_RECORD: SessionRecord = { version: 0, document: null, updatedAt: null, updatedBy: null };

const rawEntrySchema = historyEntryMetaSchema.extend({ document: z.unknown() });
type RawEntry = z.infer<typeof rawEntrySchema>;

const channelFileSchema = z
  .object({
    format: z.literal(CHANNEL_FORMAT),
    key: z.object({ platform: z.enum(PLATFORMS), workspace: z.string(), channel: z.string() }),
    history: z.array(rawEntrySchema).min(1),
  })
  .refine(
    ({ history }) => history.every((entry, index) => entry.version === (history[0]?.version ?? 0) - index),
    { message: 'history versions must run newest first without gaps', path: ['history'] },
  );
type ChannelFile = z.infer<typeof channelFileSchema>;

const savedRowSchema = z.object({ name: z.string(), at: z.string(), by: z.string(), document: z.unknown() });
type SavedRow = z.infer<typeof savedRowSchema>;

const libraryFileSchema = z.object({
  format: z.literal(LIBRARY_FORMAT),
  workspace: z.object({ platform: z.enum(PLATFORMS), workspace: z.string() }),
  saved: z.array(savedRowSchema),
});
type LibraryFile = z.infer<typeof libraryFileSchema>;

/** `<label>.<hash>.json`: readable, bounded, and unique per exact key. */
function fileNameFor(parts: readonly string[]): string {
  const label = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .slice(0, 48);
  // JSON keeps the parts apart: ("a:b", "c") and ("a", "b:c") must not share a file.
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
  return `${label}.${digest}.json`;
}

function toHistoryEntry(raw: RawEntry, source: string): HistoryEntry {
  const document = raw.document === null ? null : decodeDocument(raw.document, source);
  const entry: HistoryEntry = { version: raw.version, document, at: raw.at, by: raw.by, change: raw.change };
  return raw.reverts === undefined ? entry : { ...entry, reverts: raw.reverts };
}

function entryJson(version: number, change: ChangeToWrite, document: JsonValue): JsonObject {
  const { at, by, reverts } = change;
  const json: JsonObject = { version, at, by, change: change.change, document };
  if (reverts !== undefined) json.reverts = reverts;
  return json;
}

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

  /** Where a channel's file lives (for operators and tests). */
  channelFile(key: ChannelKey): string {
    return path.join(this.dataDir, 'channels', fileNameFor([key.platform, key.workspace, key.channel]));
  }

  /** Where a workspace's named saves live. */
  libraryFile(workspace: WorkspaceKey): string {
    return path.join(this.dataDir, 'library', fileNameFor([workspace.platform, workspace.workspace]));
  }

  async read(key: ChannelKey): Promise<SessionRecord> {
    const file = this.channelFile(key);
    const stored = await this.#io('read', file, () => this.#readChannel(key, file));
    const newest = stored?.history[0];
    if (newest === undefined) return EMPTY_RECORD;
    const { version, document, at, by } = toHistoryEntry(newest, file);
    return { version, document, updatedAt: at, updatedBy: by };
  }

  async write(key: ChannelKey, expectedVersion: number, change: ChangeToWrite): Promise<WriteResult> {
    const file = this.channelFile(key);
    // Encoded before locking: a document that cannot be stored fails without holding anyone up.
    const document = change.document === null ? null : encodeDocument(change.document);
    return this.#io('write', file, async () => {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      return withFileLock(`${file}.lock`, this.#lock, async (): Promise<WriteResult> => {
        const stored = await this.#readChannel(key, file);
        const newest = stored?.history[0];
        // Older entries are decoded only when asked for; the current one must be sound, or a
        // write would bury an unreadable draft under a new version instead of reporting it.
        if (newest !== undefined) toHistoryEntry(newest, file);
        const currentVersion = newest?.version ?? 0;
        if (currentVersion !== expectedVersion) return { ok: false, currentVersion };
        const version = currentVersion + 1;
        const history = [entryJson(version, change, document), ...(stored?.history ?? [])];
        const { platform, workspace, channel } = key;
        const content = {
          format: CHANNEL_FORMAT,
          key: { platform, workspace, channel },
          history: history.slice(0, this.#historyLimit),
        };
        await writeFileAtomic(file, JSON.stringify(content));
        return { ok: true, version };
      });
    });
  }

  async history(key: ChannelKey, limit?: number): Promise<readonly HistoryEntry[]> {
    const file = this.channelFile(key);
    const stored = await this.#io('read', file, () => this.#readChannel(key, file));
    const count = limit === undefined ? undefined : Math.max(0, Math.floor(limit));
    return (stored?.history ?? []).slice(0, count).map((entry) => toHistoryEntry(entry, file));
  }

  async historyEntry(key: ChannelKey, version: number): Promise<HistoryEntry | null> {
    const file = this.channelFile(key);
    const stored = await this.#io('read', file, () => this.#readChannel(key, file));
    const entry = stored?.history.find((candidate) => candidate.version === version);
    return entry === undefined ? null : toHistoryEntry(entry, file);
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

  async #readChannel(key: ChannelKey, file: string): Promise<ChannelFile | null> {
    const text = await readIfExists(file);
    if (text === null) return null;
    const stored = parseStored(channelFileSchema, text, file);
    const { platform, workspace, channel } = stored.key;
    if (platform !== key.platform || workspace !== key.workspace || channel !== key.channel) {
      throw unreadableDataError(file, `it belongs to another channel (${platform}:${workspace}:${channel})`);
    }
    return stored;
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
