import { AitwsError } from '../../errors.js';
import { commitChange } from '../draft.js';
import { success } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { parseVersionWord } from './params.js';

export const restoreCommand: CommandDefinition = {
  name: 'restore',
  group: 'history',
  privilege: 'write',
  summary: 'Make an earlier version current again',
  usage: '/restore N',
  description:
    'Makes the draft what it was at version N (see /history), recorded as a new version so the history stays complete; /undo takes it back.',
  accepts: { params: [], words: 1 },
  examples: ['/restore 3'],
  async run(context) {
    const [word] = context.command.positionals;
    if (word === undefined) {
      throw new AitwsError('USAGE', 'Say which version to restore.', {
        hint: `Usage: ${this.usage}; /history lists the versions.`,
      });
    }
    const version = parseVersionWord(word);
    const { drafts, invocation } = context;
    const committed = await commitChange(
      context,
      async (record) => {
        if (version < 1 || version > record.version) {
          throw new AitwsError(
            'VERSION_NOT_FOUND',
            `There is no v${version}: the draft is at v${record.version}.`,
            {
              hint: 'Type /history to list the versions.',
            },
          );
        }
        const entry = await drafts.historyEntry(invocation.channel, version);
        if (entry === null) {
          throw new AitwsError(
            'VERSION_NOT_FOUND',
            `v${version} is older than the history this channel keeps.`,
            {
              hint: 'Type /history to list the versions that can be restored.',
            },
          );
        }
        return { document: entry.document, result: version, note: `back to v${version}` };
      },
      // Every version was accepted when it was made; checking it again could block the way back.
      { skipValidation: true },
    );
    if (!committed.changed) {
      return success(`The draft is already as it was at v${version} · still v${committed.version}`, {
        data: { version: committed.version, restored: version, changed: false },
      });
    }
    return success(`Restored v${version} · now v${committed.version}`, {
      data: { version: committed.version, restored: version },
    });
  },
};
