/**
 * The access store port: per channel, who holds which role (grants), the review of a version, and
 * an append-only audit trail. Grants and the review live in one small record changed by
 * compare-and-set on its revision (like a draft's version), so two approvers clicking at once are
 * decided one after the other. The audit trail is only ever appended to.
 *
 * Implementations: MemoryAccessStore (tests, proposals), FileAccessStore (embedded mode; one JSON
 * file per channel and one JSON Lines file per channel) and RedisAccessStore (a string per channel
 * written by a Lua compare-and-set, a Redis Stream per channel capped at a configured length).
 * All pass test/contracts/access-store.contract.ts.
 */
import type { ChannelKey, Platform } from './port.js';

/** Someone as the bot knows them: ids are compared, names are shown. */
export interface Person {
  readonly id: string;
  readonly name: string;
}

export interface Grant {
  readonly user: Person;
  /** A role name of the document's [[roles]]; dormant while the document does not define it. */
  readonly role: string;
  readonly by: Person;
  readonly at: string;
}

export type VoteChoice = 'approve' | 'reject';

export interface Vote {
  readonly voter: Person;
  readonly choice: VoteChoice;
  readonly at: string;
  readonly reason?: string;
}

export type ReviewState = 'pending' | 'approved' | 'rejected' | 'void';

/** A request to review one version of the draft, bound to its content hash. */
export interface Review {
  /** Random; carried by the Approve/Reject buttons. */
  readonly id: string;
  readonly version: number;
  /** `sha256:<hex>` of the canonical document (src/access/content-hash.ts). */
  readonly hash: string;
  readonly submittedBy: Person;
  readonly submittedAt: string;
  readonly note?: string;
  /** The quorum when it was submitted (change_management.required_approvals). */
  readonly required: number;
  readonly state: ReviewState;
  /** Every vote cast, in order; each person at most once. */
  readonly votes: readonly Vote[];
  /** When the state left `pending`. */
  readonly decidedAt?: string;
  /** Who decided it: the approvers counted, the one who rejected, or who made the voiding change. */
  readonly decidedBy?: readonly Person[];
  /** A rejection's reason, or what voided it ("changed to v13 by Carol"). */
  readonly reason?: string;
}

/** The last version a review approved; kept after the review is voided, for "diff since approved". */
export interface ApprovedVersion {
  readonly version: number;
  readonly hash: string;
  readonly approvedBy: readonly Person[];
  readonly at: string;
}

export interface AccessState {
  readonly grants: readonly Grant[];
  readonly review: Review | null;
  readonly lastApproved: ApprovedVersion | null;
}

export interface AccessRecord extends AccessState {
  /** 0 when the channel's access record has never been written. */
  readonly revision: number;
}

export const EMPTY_ACCESS: AccessRecord = { revision: 0, grants: [], review: null, lastApproved: null };

export type AuditKind =
  | 'change'
  | 'library'
  | 'grant'
  | 'revoke'
  | 'submit'
  | 'approve'
  | 'reject'
  | 'approved'
  | 'rejected'
  | 'void'
  | 'refused'
  /** The runnable version committed to the `[version_control]` repository (on approval or /push). */
  | 'push'
  /** The runnable version signed and pushed to an OCI registry (/package). */
  | 'package';

export interface AuditEntryInput {
  readonly at: string;
  readonly channel: ChannelKey;
  readonly actor: Person;
  readonly kind: AuditKind;
  /** The command as the channel may see it: secrets masked. */
  readonly command: string;
  readonly versionBefore?: number;
  readonly versionAfter?: number;
  /** Content hash of the draft after the entry's event (`sha256:…`). */
  readonly hash?: string;
  /** One line more: the role granted, the privilege missing, a rejection's reason. Masked. */
  readonly detail?: string;
}

export interface AuditEntry extends AuditEntryInput {
  /** Assigned by the store; increases with each entry of a channel (a stream id, a line number). */
  readonly id: string;
}

export interface AuditFilter {
  readonly platform?: Platform;
  readonly workspace?: string;
  readonly channel?: string;
  /** Entries at or after this time. */
  readonly since?: Date;
}

export interface AccessStore {
  read(channel: ChannelKey): Promise<AccessRecord>;
  /**
   * Atomically: if the stored revision equals `expectedRevision`, store `state` as revision
   * expectedRevision + 1 and return true; otherwise change nothing and return false.
   */
  write(channel: ChannelKey, expectedRevision: number, state: AccessState): Promise<boolean>;
  /** Appends one entry to the channel's trail; nothing edits or deletes entries. */
  appendAudit(entry: AuditEntryInput): Promise<AuditEntry>;
  /** The channel's newest entries, newest first, at most `limit`. */
  recentAudit(channel: ChannelKey, limit: number): Promise<readonly AuditEntry[]>;
  /** Every retained entry matching the filter, oldest first within a channel. */
  exportAudit(filter: AuditFilter): AsyncIterable<AuditEntry>;
  close(): Promise<void>;
}
