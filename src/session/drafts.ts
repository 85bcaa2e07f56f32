/**
 * The drafts service: how commands read a channel's draft and change it. A change is: read the
 * record, apply the pure edit, check the proposed document, compare-and-set, retry on conflict
 * (applyChange). Changes this process makes to one channel wait for each other (KeyedQueue), so
 * the compare-and-set only ever contends with other processes.
 */
import { tomlEquals } from '../document/edit.js';
import { checkLimits, validateChange, validateReplacement } from '../document/index.js';
import type { AitwsDocument, Limits } from '../document/types.js';
import { type Finding, ValidationError } from '../errors.js';
import { applyChange } from './apply.js';
import { KeyedQueue } from './keyed-queue.js';
import {
  type ChannelKey,
  channelId,
  type HistoryEntry,
  markersOf,
  type SavedDocument,
  type SavedDocumentSummary,
  type SessionRecord,
  type SessionStore,
  type WorkspaceKey,
} from './port.js';

/** What an edit proposes for the channel. */
export interface DraftEdit<T> {
  readonly document: AitwsDocument | null;
  readonly result: T;
  /** Set by /undo: the version this change reverts. */
  readonly reverts?: number;
  /** Set by /redo: the /undo version this change cancels. */
  readonly redoes?: number;
  /** Added to the history line once the edit knows it: which version an /undo went back to. */
  readonly note?: string;
  /**
   * The one top-level section the edit changed (/add, /remove): only it, and the references, are
   * checked again. Absent, the whole proposed document is (/create, /load, a proposal).
   */
  readonly section?: string;
}

/** Who changes the draft, and the command they typed, for history. */
export interface ChangeRequest {
  readonly by: string;
  readonly change: string;
  /** /undo restores a document that was accepted before; re-validating could block the way back. */
  readonly skipValidation?: boolean;
}

export interface CommittedChange<T> {
  /** The version now current: the new one, or the one read when the edit changed nothing. */
  readonly version: number;
  /** False when the proposed document equals the draft: then no version was written. */
  readonly changed: boolean;
  readonly result: T;
  /** Warnings the change introduced (those the draft already had are not repeated). */
  readonly newWarnings: readonly Finding[];
  /** The draft now current when the edit changed it (its content hash goes to the audit trail). */
  readonly document: AitwsDocument | null;
}

export interface DraftsOptions {
  readonly limits: Limits;
  readonly now: () => Date;
}

/** Equal content (table key order aside): storing it again would make a version that changes nothing. */
function sameDocument(current: AitwsDocument | null, proposed: AitwsDocument | null): boolean {
  if (current === null || proposed === null) return current === proposed;
  return tomlEquals(current, proposed);
}

/** History keeps the command as typed, cut to a sensible length. */
const MAX_CHANGE_TEXT = 500;

export class Drafts {
  readonly #store: SessionStore;
  readonly #options: DraftsOptions;
  readonly #queue = new KeyedQueue();

  constructor(store: SessionStore, options: DraftsOptions) {
    this.#store = store;
    this.#options = options;
  }

  read(channel: ChannelKey): Promise<SessionRecord> {
    return this.#store.read(channel);
  }

  /**
   * Runs `edit` on the channel's current record and stores what it proposes as the next version.
   * `edit` may run again after a conflict, so it must have no side effects; when it throws, or the
   * proposed document breaks a limit or has errors, nothing is written.
   */
  async change<T>(
    channel: ChannelKey,
    request: ChangeRequest,
    edit: (record: SessionRecord) => DraftEdit<T> | Promise<DraftEdit<T>>,
  ): Promise<CommittedChange<T>> {
    let newWarnings: readonly Finding[] = [];
    let written: AitwsDocument | null = null;
    const applied = await this.#queue.run(channelId(channel), () =>
      applyChange(
        this.#store,
        channel,
        async (record) => {
          const proposed = await edit(record);
          if (sameDocument(record.document, proposed.document))
            return { noChange: true, result: proposed.result };
          newWarnings =
            proposed.document === null || request.skipValidation === true
              ? []
              : this.#check(record.document, proposed.document, proposed.section);
          written = proposed.document;
          return {
            document: proposed.document,
            change: (proposed.note === undefined
              ? request.change
              : `${request.change} · ${proposed.note}`
            ).slice(0, MAX_CHANGE_TEXT),
            by: request.by,
            result: proposed.result,
            ...markersOf(proposed),
          };
        },
        { now: this.#options.now },
      ),
    );
    return {
      version: applied.version,
      changed: applied.changed,
      result: applied.result,
      newWarnings,
      document: written,
    };
  }

  /** Throws when `proposed` may not be stored; otherwise the warnings `current` did not have. */
  #check(
    current: AitwsDocument | null,
    proposed: AitwsDocument,
    section: string | undefined,
  ): readonly Finding[] {
    checkLimits(proposed, this.#options.limits);
    const found =
      current !== null && section !== undefined
        ? validateChange(current, proposed, section)
        : validateReplacement(current, proposed);
    if (found.errors.length > 0) throw new ValidationError(found.errors, found.warnings);
    return found.newWarnings;
  }

  history(channel: ChannelKey, limit?: number): Promise<readonly HistoryEntry[]> {
    return this.#store.history(channel, limit);
  }

  historyEntry(channel: ChannelKey, version: number): Promise<HistoryEntry | null> {
    return this.#store.historyEntry(channel, version);
  }

  /** The workspace library: named saves every channel of the workspace can load. */
  saveNamed(workspace: WorkspaceKey, saved: SavedDocument): Promise<void> {
    return this.#store.saveNamed(workspace, saved);
  }

  loadNamed(workspace: WorkspaceKey, name: string): Promise<SavedDocument | null> {
    return this.#store.loadNamed(workspace, name);
  }

  deleteNamed(workspace: WorkspaceKey, name: string): Promise<SavedDocumentSummary | null> {
    return this.#store.deleteNamed(workspace, name);
  }

  listNamed(workspace: WorkspaceKey): Promise<readonly SavedDocumentSummary[]> {
    return this.#store.listNamed(workspace);
  }
}
