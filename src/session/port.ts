/**
 * The session store port. A session is one channel's state: the draft document and a monotonically
 * increasing version, plus bounded history. Every change is a compare-and-set on the version; the
 * retry loop lives in `applyChange` (src/session/apply.ts), not in each store.
 *
 * Implementations: FileSessionStore (embedded mode) and RedisSessionStore. Both pass the contract
 * suite in test/contracts/session-store.contract.ts.
 */
import type { AitwsDocument } from '../document/types.js';

export type Platform = 'console' | 'slack' | 'discord';

export interface ChannelKey {
  readonly platform: Platform;
  readonly workspace: string;
  readonly channel: string;
}

export interface WorkspaceKey {
  readonly platform: Platform;
  readonly workspace: string;
}

export interface SessionRecord {
  /** 0 when the channel has never been written. */
  readonly version: number;
  /** null when the channel has no draft (never created). */
  readonly document: AitwsDocument | null;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

export interface HistoryEntry {
  readonly version: number;
  readonly document: AitwsDocument | null;
  /** ISO-8601 time of the change. */
  readonly at: string;
  /** Display name (or id) of who made the change. */
  readonly by: string;
  /** One-line description of the change, usually the command as typed. */
  readonly change: string;
  /** Set when this version is an /undo: the version whose change it reverted. */
  readonly reverts?: number;
  /** Set when this version is a /redo: the /undo version it cancelled. */
  readonly redoes?: number;
}

export interface ChangeToWrite {
  readonly document: AitwsDocument | null;
  readonly at: string;
  readonly by: string;
  readonly change: string;
  /** Stored with the history entry; see HistoryEntry.reverts. */
  readonly reverts?: number;
  /** Stored with the history entry; see HistoryEntry.redoes. */
  readonly redoes?: number;
}

/** The undo/redo markers of an entry or change, only those that are set (stores keep no undefined). */
export function markersOf(entry: {
  readonly reverts?: number | undefined;
  readonly redoes?: number | undefined;
}): {
  reverts?: number;
  redoes?: number;
} {
  return {
    ...(entry.reverts === undefined ? {} : { reverts: entry.reverts }),
    ...(entry.redoes === undefined ? {} : { redoes: entry.redoes }),
  };
}

export type WriteResult =
  | { readonly ok: true; readonly version: number }
  | { readonly ok: false; readonly currentVersion: number };

export interface SavedDocument {
  readonly name: string;
  readonly document: AitwsDocument;
  readonly at: string;
  readonly by: string;
}

export interface SavedDocumentSummary {
  readonly name: string;
  readonly at: string;
  readonly by: string;
}

export interface SessionStore {
  read(key: ChannelKey): Promise<SessionRecord>;
  /**
   * Atomically: if the stored version equals `expectedVersion`, store `change` as version
   * expectedVersion + 1, append it to history (trimmed to the configured length) and return ok;
   * otherwise change nothing and return the current version.
   */
  write(key: ChannelKey, expectedVersion: number, change: ChangeToWrite): Promise<WriteResult>;
  /** Newest first, at most `limit` (default: all retained). */
  history(key: ChannelKey, limit?: number): Promise<readonly HistoryEntry[]>;
  /** One retained version, or null when it is unknown or trimmed. */
  historyEntry(key: ChannelKey, version: number): Promise<HistoryEntry | null>;

  /** Named saves visible to every channel of a workspace. Saving a name again replaces it. */
  saveNamed(workspace: WorkspaceKey, saved: SavedDocument): Promise<void>;
  loadNamed(workspace: WorkspaceKey, name: string): Promise<SavedDocument | null>;
  listNamed(workspace: WorkspaceKey): Promise<readonly SavedDocumentSummary[]>;
  /** Removes a named save; what it was (who saved it, when), or null when there was none. */
  deleteNamed(workspace: WorkspaceKey, name: string): Promise<SavedDocumentSummary | null>;

  close(): Promise<void>;
}

/** An unambiguous string for a channel (components may themselves contain ':'), for in-memory maps. */
export function channelId(key: ChannelKey): string {
  return JSON.stringify([key.platform, key.workspace, key.channel]);
}
