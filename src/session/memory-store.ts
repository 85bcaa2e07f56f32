/**
 * An in-memory SessionStore for tests and throwaway runs. It passes the same contract suite as
 * the real stores and copies every document through the codec on the way in and out, so callers
 * get exactly the values (and the isolation from later mutation) that a real store gives.
 */
import { cloneDocument, encodeSavedDocument } from './codec.js';
import {
  assertSavedName,
  compareSavedNames,
  type LibraryLimits,
  libraryFullError,
  libraryLimits,
  libraryVerdict,
} from './names.js';
import {
  type ChangeToWrite,
  type ChannelKey,
  type HistoryEntry,
  markersOf,
  type SavedDocument,
  type SavedDocumentSummary,
  type SessionRecord,
  type SessionStore,
  type WorkspaceKey,
  type WriteResult,
} from './port.js';

function copyEntry(entry: HistoryEntry): HistoryEntry {
  return { ...entry, document: entry.document === null ? null : cloneDocument(entry.document) };
}

/** One workspace's saves, each with its size as the Redis store counts it (the encoded entry). */
type Library = Map<string, { readonly saved: SavedDocument; readonly bytes: number }>;

function workspaceId(key: WorkspaceKey): string {
  return JSON.stringify([key.platform, key.workspace]);
}

function channelKeyId(key: ChannelKey): string {
  return JSON.stringify([key.platform, key.workspace, key.channel]);
}

export class MemorySessionStore implements SessionStore {
  readonly #historyLimit: number;
  /** Per channel, newest first. */
  readonly #channels = new Map<string, HistoryEntry[]>();
  readonly #libraries = new Map<string, Library>();
  readonly #library: LibraryLimits;

  constructor(options: { readonly historyLimit?: number; readonly library?: Partial<LibraryLimits> } = {}) {
    this.#historyLimit = Math.max(1, options.historyLimit ?? 50);
    this.#library = libraryLimits(options.library ?? {}, 'MemorySessionStore');
  }

  async read(key: ChannelKey): Promise<SessionRecord> {
    const newest = this.#channels.get(channelKeyId(key))?.[0];
    if (newest === undefined) return { version: 0, document: null, updatedAt: null, updatedBy: null };
    const { version, document, at, by } = copyEntry(newest);
    return { version, document, updatedAt: at, updatedBy: by };
  }

  async write(key: ChannelKey, expectedVersion: number, change: ChangeToWrite): Promise<WriteResult> {
    const history = this.#channels.get(channelKeyId(key)) ?? [];
    const currentVersion = history[0]?.version ?? 0;
    if (currentVersion !== expectedVersion) return { ok: false, currentVersion };
    const version = currentVersion + 1;
    const { at, by } = change;
    const entry: HistoryEntry = { version, at, by, change: change.change, document: change.document };
    const stored = copyEntry({ ...entry, ...markersOf(change) });
    this.#channels.set(channelKeyId(key), [stored, ...history].slice(0, this.#historyLimit));
    return { ok: true, version };
  }

  async history(key: ChannelKey, limit?: number): Promise<readonly HistoryEntry[]> {
    const count = limit === undefined ? undefined : Math.max(0, Math.floor(limit));
    return (this.#channels.get(channelKeyId(key)) ?? []).slice(0, count).map(copyEntry);
  }

  async historyEntry(key: ChannelKey, version: number): Promise<HistoryEntry | null> {
    const entry = this.#channels.get(channelKeyId(key))?.find((candidate) => candidate.version === version);
    return entry === undefined ? null : copyEntry(entry);
  }

  async saveNamed(workspace: WorkspaceKey, saved: SavedDocument): Promise<void> {
    assertSavedName(saved.name);
    const library: Library = this.#libraries.get(workspaceId(workspace)) ?? new Map();
    const newBytes = Buffer.byteLength(encodeSavedDocument(saved));
    let bytes = 0;
    for (const entry of library.values()) bytes += entry.bytes;
    const replacedBytes = library.get(saved.name)?.bytes ?? null;
    const verdict = libraryVerdict(this.#library, { entries: library.size, bytes, replacedBytes, newBytes });
    if (verdict !== 'ok') throw libraryFullError(verdict, this.#library, newBytes);
    library.set(saved.name, {
      saved: { ...saved, document: cloneDocument(saved.document) },
      bytes: newBytes,
    });
    this.#libraries.set(workspaceId(workspace), library);
  }

  async loadNamed(workspace: WorkspaceKey, name: string): Promise<SavedDocument | null> {
    assertSavedName(name);
    const saved = this.#libraries.get(workspaceId(workspace))?.get(name)?.saved;
    return saved === undefined ? null : { ...saved, document: cloneDocument(saved.document) };
  }

  async listNamed(workspace: WorkspaceKey): Promise<readonly SavedDocumentSummary[]> {
    const library: Library = this.#libraries.get(workspaceId(workspace)) ?? new Map();
    return [...library.values()]
      .map(({ saved: { name, at, by } }) => ({ name, at, by }))
      .sort((a, b) => compareSavedNames(a.name, b.name));
  }

  async deleteNamed(workspace: WorkspaceKey, name: string): Promise<SavedDocumentSummary | null> {
    assertSavedName(name);
    const library = this.#libraries.get(workspaceId(workspace));
    const saved = library?.get(name)?.saved;
    if (library === undefined || saved === undefined) return null;
    library.delete(name);
    return { name: saved.name, at: saved.at, by: saved.by };
  }

  async close(): Promise<void> {}
}
