import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import type { Drafts } from '../../session/drafts.js';
import type { ChannelKey } from '../../session/port.js';
import { commitChange } from '../draft.js';
import { success } from '../reply.js';
import type { CommandDefinition } from '../types.js';

export function trimmedError(code: 'NOTHING_TO_UNDO' | 'NOTHING_TO_REDO'): AitwsError {
  return new AitwsError(code, 'That change is older than the history this channel keeps.', {
    hint: 'Type /history to see the versions that /restore N can still bring back.',
  });
}

/**
 * Finds the change that /undo should revert. An undo is itself a version, so walking back skips
 * over undone ranges: after "v4 = undo of v3", the next /undo reverts v2, not v4.
 */
async function findChangeToRevert(
  drafts: Drafts,
  key: ChannelKey,
  currentVersion: number,
): Promise<{ reverts: number; document: AitwsDocument | null }> {
  let version = currentVersion;
  while (version > 0) {
    const entry = await drafts.historyEntry(key, version);
    if (entry === null) throw trimmedError('NOTHING_TO_UNDO');
    if (entry.reverts === undefined) {
      if (version === 1) return { reverts: 1, document: null };
      const previous = await drafts.historyEntry(key, version - 1);
      if (previous === null) throw trimmedError('NOTHING_TO_UNDO');
      return { reverts: version, document: previous.document };
    }
    version = entry.reverts - 1;
  }
  throw new AitwsError('NOTHING_TO_UNDO', 'There is nothing to undo in this channel.');
}

export const undoCommand: CommandDefinition = {
  name: 'undo',
  group: 'history',
  privilege: 'write',
  summary: 'Revert the last change (again to go further back)',
  usage: '/undo',
  description:
    'Restores the draft as it was before the last change. The undo is itself recorded as a new version, so /history stays complete; repeat /undo to step further back, and /redo to step forward again.',
  accepts: { params: [], words: 0 },
  examples: ['/undo'],
  async run(context) {
    const { drafts, invocation } = context;
    const committed = await commitChange(
      context,
      async (record) => {
        const target = await findChangeToRevert(drafts, invocation.channel, record.version);
        const back = target.reverts - 1;
        return {
          document: target.document,
          result: target.reverts,
          reverts: target.reverts,
          note: `reverts v${target.reverts}, back to v${back}`,
        };
      },
      { skipValidation: true },
    );
    return success(
      `Undid v${committed.result} (back to v${committed.result - 1}) · now v${committed.version}`,
      {
        data: { version: committed.version, reverted: committed.result },
      },
    );
  },
};
