import { demandLines } from '../authorize.js';
import { applyBatch, decideLatestProposal, peekLatestProposal, rejectPositionals } from '../batch.js';
import type { CommandDefinition } from '../types.js';
import { rejectUnknownParams } from './params.js';

export function createApplyCommand(commands: () => readonly CommandDefinition[]): CommandDefinition {
  return {
    name: 'apply',
    group: 'draft',
    privilege: 'write',
    summary: "Apply the assistant's latest proposal in this channel, as one change",
    usage: '/apply',
    description:
      'Runs the commands of the latest /ask proposal as you, with your permissions, as one change: /undo reverts all of it. In chat the proposal also has an Apply button. A proposal is applied or discarded once.',
    accepts: { params: [], words: 0 },
    examples: ['/apply'],
    async run(context) {
      rejectUnknownParams(context.command.params, [], this.usage);
      rejectPositionals(context.command.positionals, this.usage);
      // Checked before the proposal is decided: a refused /apply leaves it for someone who may.
      const open = await peekLatestProposal(context);
      await demandLines(context, context.invocation, context.caller, open.commands, commands());
      const action = await decideLatestProposal(context, 'confirm');
      return applyBatch(context, action, commands());
    },
  };
}
