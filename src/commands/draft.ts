/**
 * What most commands share: reading the channel's draft, and changing it through the one
 * compare-and-set loop so concurrent edits in a channel all land.
 */

import type { Finding } from '../errors.js';
import { AitwsError, ValidationError } from '../errors.js';
import { applyChange } from '../session/apply.js';
import { channelId, type SessionRecord } from '../session/port.js';
import { freezeDeep } from '../document/frozen.js';
import { checkLimits, validateDocument } from '../document/index.js';
import { derivedFrom } from '../document/section-memo.js';
import type { AitwsDocument } from '../document/types.js';
import type { CommandContext } from './types.js';
import { KnownWarnings } from './warning-cache.js';

export function noDraftError(): AitwsError {
  return new AitwsError('NO_DRAFT', 'This channel has no draft yet.', {
    hint: 'Start one with /create name="My workflow", or /load a file.',
  });
}

export async function readDraft(
  context: CommandContext,
): Promise<{ record: SessionRecord; document: AitwsDocument }> {
  const record = await context.sessions.read(context.invocation.channel);
  if (record.document === null) throw noDraftError();
  return { record, document: record.document };
}

export interface DraftChange<T> {
  readonly document: AitwsDocument | null;
  readonly result: T;
  /** Set by /undo: the version this change reverts. */
  readonly reverts?: number;
}

export interface CommitOptions {
  /** /undo restores a document that was accepted before; re-validating could block the way back. */
  readonly skipValidation?: boolean;
}

/** History keeps the command as typed, cut to a sensible length. */
const MAX_CHANGE_TEXT = 500;

export interface CommittedChange<T> {
  readonly version: number;
  readonly result: T;
  /** Warnings the change introduced (those the draft already had are not repeated). */
  readonly newWarnings: readonly Finding[];
}

/**
 * Runs `change` against the current record inside the CAS loop. The proposed document is checked
 * against the limits and validated; any error aborts before anything is written.
 */
export async function commitChange<T>(
  context: CommandContext,
  change: (record: SessionRecord) => DraftChange<T> | Promise<DraftChange<T>>,
  options: CommitOptions = {},
): Promise<CommittedChange<T>> {
  let newWarnings: readonly Finding[] = [];
  let allWarnings: readonly Finding[] | undefined;
  const { channel } = context.invocation;
  const id = channelId(channel);
  const outcome = await context.changeQueue.run(id, () =>
    applyChange(
      context.sessions,
      channel,
      async (record) => {
        const proposed = await change(record);
        if (proposed.document !== null) {
          // A proposed version never changes again, and is mostly the version it was made from:
          // frozen and linked, its checks and its encoding redo only what the change touched.
          freezeDeep(proposed.document, record.document);
          if (record.document !== null) derivedFrom(proposed.document, record.document);
        }
        if (proposed.document !== null && options.skipValidation !== true) {
          checkLimits(proposed.document, context.limits);
          const report = validateDocument(proposed.document, { mode: 'draft' });
          if (report.errors.length > 0) throw new ValidationError(report.errors, report.warnings);
          const known = knownWarnings(context, id, record);
          newWarnings = report.warnings.filter((w) => !known.has(w));
          allWarnings = report.warnings;
        } else {
          allWarnings = undefined;
        }
        return {
          document: proposed.document,
          change: context.invocation.text.slice(0, MAX_CHANGE_TEXT),
          by: context.invocation.actor.name,
          result: proposed.result,
          ...(proposed.reverts === undefined ? {} : { reverts: proposed.reverts }),
        };
      },
      context.recordCache === undefined
        ? { now: context.now }
        : { now: context.now, cache: context.recordCache },
    ),
  );
  if (allWarnings !== undefined) context.warningCache.set(id, outcome.version, allWarnings);
  return { version: outcome.version, result: outcome.result, newWarnings };
}

function knownWarnings(context: CommandContext, id: string, record: SessionRecord): KnownWarnings {
  if (record.document === null) return new KnownWarnings([]);
  const cached = context.warningCache.get(id, record.version);
  if (cached !== undefined) return cached;
  return new KnownWarnings(validateDocument(record.document, { mode: 'draft' }).warnings);
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
