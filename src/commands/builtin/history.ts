import { maskSecrets } from '../../document/index.js';
import { privateAnswer } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { optionalPositiveInteger, rejectUnknownParams } from './params.js';

const DEFAULT_ENTRIES = 10;
const MAX_ENTRIES = 100;
const MAX_CHANGE_TEXT = 120;

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > MAX_CHANGE_TEXT ? `${oneLine.slice(0, MAX_CHANGE_TEXT - 1)}…` : oneLine;
}

export const historyCommand: CommandDefinition = {
  name: 'history',
  group: 'history',
  summary: 'List recent versions of the draft: who changed what, when',
  usage: '/history [limit=N]',
  description: `Lists the latest versions, newest first (default ${DEFAULT_ENTRIES}). Use /diff to compare two of them and /undo to step back.`,
  examples: ['/history', '/history limit=25'],
  async run(context) {
    rejectUnknownParams(context.command.params, ['limit'], this.usage);
    const limit = optionalPositiveInteger(context.command.params, 'limit', MAX_ENTRIES) ?? DEFAULT_ENTRIES;
    const entries = await context.drafts.history(context.invocation.channel, limit);
    if (entries.length === 0) return privateAnswer('No changes in this channel yet. Start with /create.');
    const items = entries.map((e) => `v${e.version} · ${e.at} · ${e.by} · ${shorten(maskSecrets(e.change))}`);
    return privateAnswer(`Last ${entries.length} version${entries.length === 1 ? '' : 's'}:`, {
      blocks: [{ kind: 'list', items }],
      data: {
        versions: entries.map(({ version, at, by, change }) => ({
          version,
          at,
          by,
          change: maskSecrets(change),
        })),
      },
    });
  },
};
