import { editedSection } from '../../document/edit.js';
import { removeFromDocument } from '../../document/edit-remove.js';
import { getSection } from '../../document/sections.js';
import { AitwsError, formatFinding } from '../../errors.js';
import { commitChange, noDraftError } from '../draft.js';
import { success } from '../reply.js';
import type { CommandDefinition } from '../types.js';

export const removeCommand: CommandDefinition = {
  name: 'remove',
  group: 'draft',
  privilege: 'write',
  summary: 'Remove a section, a field, or one entry of a list',
  usage: '/remove SECTION [FIELD | key=value]',
  description:
    '/remove logging drops the table; /remove logging level drops one field; /remove roles drops the whole list; /remove roles name="X" (or /remove roles X) drops one entry. /undo brings it back.',
  accepts: { params: 'fields', words: 2 },
  examples: [
    '/remove roles name="DataScientist"',
    '/remove logging level',
    '/remove stages.actions stage="Execution" name="Train"',
  ],
  async run(context) {
    const [sectionPath, second, ...extra] = context.command.positionals;
    if (sectionPath === undefined) {
      throw new AitwsError('USAGE', 'Say what to remove.', { hint: `Usage: ${this.usage}` });
    }
    if (extra.length > 0) {
      throw new AitwsError('USAGE', `Unexpected word "${extra[0]}".`, { hint: `Usage: ${this.usage}` });
    }
    const section = getSection(sectionPath);
    // `/remove roles Developer` is shorthand for `/remove roles name="Developer"`.
    const positionalIsKey = second !== undefined && section?.kind === 'list';
    const assignments = positionalIsKey
      ? [...context.command.params, { key: section.key ?? 'name', value: second }]
      : context.command.params;
    const committed = await commitChange(context, (record) => {
      if (record.document === null) throw noDraftError();
      const outcome = removeFromDocument(record.document, sectionPath, {
        assignments,
        ...(positionalIsKey || second === undefined ? {} : { field: second }),
      });
      return { document: outcome.document, result: outcome, section: editedSection(sectionPath) };
    });
    return success(`Removed ${committed.result.target} · v${committed.version}`, {
      warnings: committed.newWarnings.map(formatFinding),
      data: { version: committed.version, target: committed.result.target, action: 'removed' },
    });
  },
};
