import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import type { Drafts } from '../../session/drafts.js';
import type { ChannelKey } from '../../session/port.js';
import { commitChange } from '../draft.js';
import { success } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { trimmedError } from './undo.js';

function nothingToRedo(): AitwsError {
  return new AitwsError('NOTHING_TO_REDO', 'There is nothing to redo: the last change was not an /undo.', {
    hint: '/redo steps forward again after /undo; /restore N brings back any version /history lists.',
  });
}

/**
 * The /undo that /redo cancels: the current version when it is an undo; after a redo, the undo
 * before the one that redo cancelled (so repeated /redo walks forward through repeated /undo).
 * Any other change in between ends the chain, as in an editor.
 */
async function findUndoToCancel(
  drafts: Drafts,
  key: ChannelKey,
  currentVersion: number,
): Promise<{ undo: number; restores: number; document: AitwsDocument | null }> {
  let version = currentVersion;
  while (version > 0) {
    const entry = await drafts.historyEntry(key, version);
    if (entry === null) throw trimmedError('NOTHING_TO_REDO');
    if (entry.redoes !== undefined) {
      version = entry.redoes - 1;
      continue;
    }
    if (entry.reverts === undefined) break;
    const undone = await drafts.historyEntry(key, entry.reverts);
    if (undone === null) throw trimmedError('NOTHING_TO_REDO');
    return { undo: version, restores: entry.reverts, document: undone.document };
  }
  throw nothingToRedo();
}

export const redoCommand: CommandDefinition = {
  name: 'redo',
  group: 'history',
  privilege: 'write',
  summary: 'Step forward again after /undo',
  usage: '/redo',
  description:
    'Brings back the change the last /undo reverted, as a new version. Repeat it after several /undo to step forward through them; any other change in between ends what can be redone.',
  accepts: { params: [], words: 0 },
  examples: ['/redo'],
  async run(context) {
    const { drafts, invocation } = context;
    const committed = await commitChange(
      context,
      async (record) => {
        const target = await findUndoToCancel(drafts, invocation.channel, record.version);
        return {
          document: target.document,
          result: target.restores,
          redoes: target.undo,
          note: `v${target.restores} again`,
        };
      },
      { skipValidation: true },
    );
    return success(`Redid v${committed.result} · now v${committed.version}`, {
      data: { version: committed.version, restored: committed.result },
    });
  },
};
