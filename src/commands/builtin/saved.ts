import { AitwsError } from '../../errors.js';
import { auditLibrary } from '../draft.js';
import { privateAnswer, type Reply, success } from '../reply.js';
import type { CommandContext, CommandDefinition } from '../types.js';

const USAGE = '/saved | /saved delete NAME';

async function list(context: CommandContext): Promise<Reply> {
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
}

async function remove(context: CommandContext, name: string | undefined): Promise<Reply> {
  if (name === undefined) {
    throw new AitwsError('USAGE', 'Say which saved workflow to delete.', { hint: `Usage: ${USAGE}` });
  }
  const { platform, workspace } = context.invocation.channel;
  const deleted = await context.drafts.deleteNamed({ platform, workspace }, name);
  if (deleted === null) {
    throw new AitwsError('FILE_NOT_FOUND', `Nothing is saved under the name "${name}" in this workspace.`, {
      hint: 'Type /saved to list the saved workflows.',
    });
  }
  await auditLibrary(context, `deleted "${name}" (saved by ${deleted.by})`);
  return success(
    `Deleted "${name}" from the workspace library (saved by ${deleted.by}, ${deleted.at}). Channels that loaded it keep their drafts.`,
    { data: { deleted } },
  );
}

export const savedCommand: CommandDefinition = {
  name: 'saved',
  group: 'files',
  privilege: 'read',
  escalation: {
    form: '/saved delete NAME',
    privilege: 'write',
    applies: (command) => command.positionals[0] === 'delete',
  },
  summary: 'List the workflows saved in the workspace library, or delete one',
  usage: USAGE,
  description:
    'Lists what /save name=NAME has kept for this workspace; /load name=NAME restores one into a channel, and /saved delete NAME removes it. The library is capped per workspace: when it is full, delete an entry or save under a name listed here to replace it.',
  accepts: { params: [], words: 2 },
  examples: ['/saved', '/saved delete baseline'],
  async run(context) {
    const [verb, name] = context.command.positionals;
    if (verb === undefined) return list(context);
    if (verb !== 'delete') {
      throw new AitwsError('USAGE', `"${verb}" is not something /saved does.`, { hint: `Usage: ${USAGE}` });
    }
    return remove(context, name);
  },
};
