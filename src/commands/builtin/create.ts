import { emptyDocument } from '../../document/index.js';
import { AitwsError } from '../../errors.js';
import { offerChoice } from '../buttons.js';
import { commitChange, documentTitle, unchanged } from '../draft.js';
import { success } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { optionalBoolean, optionalString, rejectUnknownParams } from './params.js';

export const createCommand: CommandDefinition = {
  name: 'create',
  group: 'draft',
  privilege: 'write',
  escalation: {
    form: '/create force=true',
    privilege: 'admin',
    condition: 'once someone holds a grant in the channel',
    applies: (command, facts) =>
      facts.hasGrants && command.params.some((p) => p.key === 'force' && p.value === true),
  },
  summary: 'Start a new draft workflow in this channel',
  usage: '/create [name="…"] [version="…"] [force=true]',
  description:
    'Starts an empty draft with a [metadata] table. If the channel already has a draft, nothing is replaced unless you add force=true (and /undo brings the old one back).',
  accepts: { params: ['name', 'version', 'force'], words: 0 },
  examples: ['/create', '/create name="Fraud model retraining" version="1.0.0"'],
  async run(context) {
    const { params } = context.command;
    rejectUnknownParams(params, ['name', 'version', 'force'], this.usage);
    const force = optionalBoolean(params, 'force') ?? false;
    const document = emptyDocument(optionalString(params, 'name'), optionalString(params, 'version'));
    if (!force && context.invocation.supportsButtons === true) {
      const current = await context.drafts.read(context.invocation.channel);
      if (current.document !== null) {
        return offerChoice(context, {
          question: `This channel already has a draft ("${documentTitle(current.document)}", v${current.version}). Replace it with "${documentTitle(document)}"? /undo brings it back.`,
          summary: `Replace the draft with "${documentTitle(document)}"`,
          confirmLabel: 'Replace',
          danger: true,
          commands: [`${context.invocation.text} force=true`],
        });
      }
    }
    const committed = await commitChange(context, (record) => {
      if (record.document !== null && !force) {
        throw new AitwsError(
          'DRAFT_EXISTS',
          `This channel already has a draft ("${documentTitle(record.document)}", v${record.version}).`,
          {
            hint: 'Replace it with /create force=true (/undo brings it back), or keep editing it with /add.',
          },
        );
      }
      return { document, result: record.document !== null };
    });
    if (!committed.changed)
      return unchanged(committed.version, `the draft is already an empty "${documentTitle(document)}"`);
    const verb = committed.result ? 'Replaced the draft with' : 'Created';
    return success(`${verb} "${documentTitle(document)}" · v${committed.version}`, {
      data: { version: committed.version, replaced: committed.result },
    });
  },
};
