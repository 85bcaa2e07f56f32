import { decideLatestProposal, rejectPositionals } from '../batch.js';
import { success } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { rejectUnknownParams } from './params.js';

export const discardCommand: CommandDefinition = {
  name: 'discard',
  group: 'draft',
  privilege: 'write',
  summary: "Drop the assistant's latest proposal in this channel",
  usage: '/discard',
  description: 'Discards the latest /ask proposal without changing the draft; it can no longer be applied.',
  accepts: { params: [], words: 0 },
  examples: ['/discard'],
  async run(context) {
    rejectUnknownParams(context.command.params, [], this.usage);
    rejectPositionals(context.command.positionals, this.usage);
    const action = await decideLatestProposal(context, 'cancel');
    return success(
      `${context.invocation.actor.name} discarded the proposal: ${action.summary}. Nothing was changed.`,
      {
        data: { discarded: action.id },
      },
    );
  },
};
