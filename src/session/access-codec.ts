/**
 * What every access store shares: the stored form of a record's state and of an audit entry
 * (validated on the way back in, as all stored data is), how a filter matches, and the line-number
 * ids of the memory and file trails.
 */
import { z } from 'zod';
import type {
  AccessRecord,
  AccessState,
  AuditEntry,
  AuditEntryInput,
  AuditFilter,
  AuditKind,
  ReviewState,
  VoteChoice,
} from './access-port.js';
import { PLATFORMS } from './file-store-channel.js';
import type { ChannelKey } from './port.js';

// Spelled as maps so that a kind, state or choice added to the port fails to compile here.
const AUDIT_KINDS = {
  change: 'change',
  library: 'library',
  grant: 'grant',
  revoke: 'revoke',
  submit: 'submit',
  approve: 'approve',
  reject: 'reject',
  approved: 'approved',
  rejected: 'rejected',
  void: 'void',
  refused: 'refused',
  push: 'push',
  package: 'package',
} as const satisfies { [K in AuditKind]: K };
const REVIEW_STATES = {
  pending: 'pending',
  approved: 'approved',
  rejected: 'rejected',
  void: 'void',
} as const satisfies { [K in ReviewState]: K };
const VOTE_CHOICES = { approve: 'approve', reject: 'reject' } as const satisfies { [K in VoteChoice]: K };

const personSchema = z.object({ id: z.string(), name: z.string() });
const revisionSchema = z.number().int().nonnegative();

export const channelKeySchema = z.object({
  platform: z.enum(PLATFORMS),
  workspace: z.string(),
  channel: z.string(),
});

export const accessStateSchema = z.object({
  grants: z.array(z.object({ user: personSchema, role: z.string(), by: personSchema, at: z.string() })),
  review: z
    .object({
      id: z.string(),
      version: revisionSchema,
      hash: z.string(),
      submittedBy: personSchema,
      submittedAt: z.string(),
      note: z.string().exactOptional(),
      required: revisionSchema,
      state: z.enum(REVIEW_STATES),
      votes: z.array(
        z.object({
          voter: personSchema,
          choice: z.enum(VOTE_CHOICES),
          at: z.string(),
          reason: z.string().exactOptional(),
        }),
      ),
      decidedAt: z.string().exactOptional(),
      decidedBy: z.array(personSchema).exactOptional(),
      reason: z.string().exactOptional(),
    })
    .nullable(),
  lastApproved: z
    .object({ version: revisionSchema, hash: z.string(), approvedBy: z.array(personSchema), at: z.string() })
    .nullable(),
}) satisfies z.ZodType<AccessState, unknown>;

export const auditEntryInputSchema = z.object({
  at: z.string(),
  channel: channelKeySchema,
  actor: personSchema,
  kind: z.enum(AUDIT_KINDS),
  command: z.string(),
  versionBefore: revisionSchema.exactOptional(),
  versionAfter: revisionSchema.exactOptional(),
  hash: z.string().exactOptional(),
  detail: z.string().exactOptional(),
}) satisfies z.ZodType<AuditEntryInput, unknown>;

/** A stored entry that carries its own id (the memory and file trails). */
export const auditEntrySchema = auditEntryInputSchema.extend({ id: z.string() }) satisfies z.ZodType<
  AuditEntry,
  unknown
>;

/** Only the state: callers often pass a whole AccessRecord, whose revision is not theirs to store. */
export function stateOf(state: AccessState): AccessState {
  const { grants, review, lastApproved } = state;
  return { grants, review, lastApproved };
}

/** Only the port's fields, so an AuditEntry passed back in (or any extra) never leaks its id. */
export function auditInputOf(entry: AuditEntryInput): AuditEntryInput {
  const { at, actor, kind, command, versionBefore, versionAfter, hash, detail } = entry;
  const { platform, workspace, channel } = entry.channel;
  return {
    at,
    channel: { platform, workspace, channel },
    actor: { id: actor.id, name: actor.name },
    kind,
    command,
    ...(versionBefore === undefined ? {} : { versionBefore }),
    ...(versionAfter === undefined ? {} : { versionAfter }),
    ...(hash === undefined ? {} : { hash }),
    ...(detail === undefined ? {} : { detail }),
  };
}

export function emptyAccess(): AccessRecord {
  return { revision: 0, grants: [], review: null, lastApproved: null };
}

export function assertExpectedRevision(expectedRevision: number): void {
  if (!Number.isSafeInteger(expectedRevision) || expectedRevision < 0) {
    throw new RangeError(`expectedRevision must be a non-negative integer, got ${expectedRevision}`);
  }
}

/** Line numbers padded so that ids also sort as strings; wider numbers simply grow. */
export function sequenceId(line: number): string {
  return String(line).padStart(12, '0');
}

export function matchesAuditChannel(channel: ChannelKey, filter: AuditFilter): boolean {
  return (
    (filter.platform === undefined || filter.platform === channel.platform) &&
    (filter.workspace === undefined || filter.workspace === channel.workspace) &&
    (filter.channel === undefined || filter.channel === channel.channel)
  );
}

export function matchesAuditFilter(entry: AuditEntryInput, filter: AuditFilter): boolean {
  if (!matchesAuditChannel(entry.channel, filter)) return false;
  return filter.since === undefined || Date.parse(entry.at) >= filter.since.getTime();
}

/** recentAudit's limit as a count of entries: whole, at least 0; NaN asks for none. */
export function recentCount(limit: number): number {
  if (Number.isNaN(limit)) return 0;
  return Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(limit)));
}
