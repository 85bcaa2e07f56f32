/**
 * What most commands share: reading the channel's draft, and changing it through the drafts
 * service as the person who typed the command.
 */

import { tomlEquals } from '../document/edit.js';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { AuditEntryInput } from '../session/access-port.js';
import type { ChangeRequest, CommittedChange, DraftEdit } from '../session/drafts.js';
import type { SessionRecord } from '../session/port.js';
import { historyLine } from './history-line.js';
import { privateAnswer, type Reply } from './reply.js';
import type { CommandContext } from './types.js';

export function noDraftError(): AitwsError {
  return new AitwsError('NO_DRAFT', 'This channel has no draft yet.', {
    hint: 'Start one with /create name="My workflow", or /load a file.',
  });
}

export async function readDraft(
  context: CommandContext,
): Promise<{ record: SessionRecord; document: AitwsDocument }> {
  const record = await context.drafts.read(context.invocation.channel);
  if (record.document === null) throw noDraftError();
  return { record, document: record.document };
}

/**
 * The sections that say who may do what. Once someone holds a grant in the channel, only admins
 * may change them: otherwise anyone with write could give their own role everything, turn on
 * self-approval, or leave the admins' grants dormant by removing their role.
 */
const GOVERNANCE_SECTIONS = ['roles', 'authorization', 'change_management'] as const;
const GOVERNANCE_CHANGE = 'Changing roles, authorization or change_management in a channel with grants';

function changesGovernance(before: AitwsDocument | null, after: AitwsDocument | null): boolean {
  return GOVERNANCE_SECTIONS.some((section) => !tomlEquals(before?.[section], after?.[section]));
}

/** Thrown from inside the edit (which may run again after a conflict); refused and audited outside it. */
class GovernanceChange extends Error {}

async function changeGuarded<T>(
  context: CommandContext,
  request: ChangeRequest,
  edit: (record: SessionRecord) => DraftEdit<T> | Promise<DraftEdit<T>>,
  line: string,
): Promise<CommittedChange<T>> {
  const { caller, invocation } = context;
  const guarded = caller.record.grants.length > 0 && !caller.standing.privileges.has('admin');
  if (!guarded) return context.drafts.change(invocation.channel, request, edit);
  try {
    return await context.drafts.change(invocation.channel, request, async (record) => {
      const proposed = await edit(record);
      if (changesGovernance(record.document, proposed.document)) throw new GovernanceChange();
      return proposed;
    });
  } catch (error) {
    if (!(error instanceof GovernanceChange)) throw error;
    await context.access.demand(
      { channel: invocation.channel, person: invocation.actor, command: line },
      'admin',
      caller,
      async () => (await context.drafts.read(invocation.channel)).document,
      GOVERNANCE_CHANGE,
    );
    throw error;
  }
}

/**
 * Changes the channel's draft; the history entry names the person and the command, secrets masked.
 * A change that was made goes to the audit trail, and voids an open review of an older version.
 */
export async function commitChange<T>(
  context: CommandContext,
  edit: (record: SessionRecord) => DraftEdit<T> | Promise<DraftEdit<T>>,
  options: { readonly skipValidation?: boolean; readonly historyLine?: string } = {},
): Promise<CommittedChange<T>> {
  const { channel, actor, text } = context.invocation;
  const change = options.historyLine ?? historyLine(text, context.command);
  const request = {
    by: actor.name,
    change,
    ...(options.skipValidation === true ? { skipValidation: true } : {}),
  };
  const committed = await changeGuarded(context, request, edit, change);
  if (!committed.changed) return committed;
  const notice = await context.access.recordChange(
    { channel, person: actor, command: change },
    { before: committed.version - 1, after: committed.version, document: committed.document },
    context.caller.record,
  );
  if (notice !== undefined) context.notices.push(notice);
  return committed;
}

/** What an audit entry says beyond who, when, where and the command. */
export type AuditFacts = Omit<AuditEntryInput, 'at' | 'channel' | 'actor' | 'command'>;

/**
 * The audit entry of something this command has done (`done` says what, for the reply should the
 * entry fail: the effect is stored, so the command must not fail now).
 */
export async function recordDone(context: CommandContext, facts: AuditFacts, done: string): Promise<void> {
  const notice = await context.access.recordDone(auditEntry(context, facts), done);
  if (notice !== undefined) context.notices.push(notice);
}

/** An audit entry for this command: who, when, where and the command as typed, secrets masked. */
export function auditEntry(context: CommandContext, facts: AuditFacts): AuditEntryInput {
  const { channel, actor, text } = context.invocation;
  return {
    at: context.now().toISOString(),
    channel,
    actor,
    command: historyLine(text, context.command),
    ...facts,
  };
}

/** A change to the workspace library (a save by name, a deletion) goes to the audit trail. */
export function auditLibrary(context: CommandContext, detail: string): Promise<void> {
  return recordDone(context, { kind: 'library', detail }, 'The workspace library is changed');
}

/** The answer to an edit that left the draft as it was: no version was made, and it says so. */
export function unchanged(version: number, what: string): Reply {
  return privateAnswer(`No change: ${what} · still v${version}`, { data: { version, changed: false } });
}

/** The draft's display name, from [metadata] name. */
export function documentTitle(document: AitwsDocument): string {
  const metadata = document.metadata;
  if (
    typeof metadata === 'object' &&
    metadata !== null &&
    !Array.isArray(metadata) &&
    !(metadata instanceof Date)
  ) {
    const name = metadata.name;
    if (typeof name === 'string' && name.length > 0) return name;
  }
  return 'unnamed';
}
