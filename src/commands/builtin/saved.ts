import { privateAnswer } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { rejectUnknownParams } from './params.js';

export const savedCommand: CommandDefinition = {
  name: 'saved',
  group: 'files',
  summary: 'List the workflows saved in the workspace library',
  usage: '/saved',
  description:
    'Lists what /save name=NAME has kept for this workspace; /load name=NAME restores one into a channel. The library is capped per workspace: when it is full, save under a name listed here to replace that entry.',
  accepts: { params: [], words: 2 },
  examples: ['/saved'],
  async run(context) {
    rejectUnknownParams(context.command.params, [], this.usage);
    const { platform, workspace } = context.invocation.channel;
    const saved = await context.drafts.listNamed({ platform, workspace });
    if (saved.length === 0) {
      return privateAnswer('Nothing is saved in this workspace yet. Save the draft with /save name="…".', {
        data: { saved: [] },
      });
    }
    return privateAnswer(`${saved.length} saved in this workspace:`, {
      blocks: [{ kind: 'list', items: saved.map((s) => `${s.name} — by ${s.by}, ${s.at}`) }],
      data: { saved },
    });
  },
};
