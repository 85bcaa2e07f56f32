import { addToDocument, editedSection } from '../../document/edit.js';
import { AitwsError, formatFinding } from '../../errors.js';
import { commitChange, noDraftError, unchanged } from '../draft.js';
import { success } from '../reply.js';
import type { CommandDefinition } from '../types.js';

export const addCommand: CommandDefinition = {
  name: 'add',
  group: 'draft',
  privilege: 'write',
  summary: 'Add or change an entry or fields of a section',
  usage: '/add SECTION key=value ...',
  description:
    'For a table section (metadata, logging, …) sets the given fields. For a list section (roles, stages, …) adds the entry with that key (name=, or role= for authorization) or changes the existing one field by field. Nested stage actions take stage="…". Values are TOML values: "text", 12, true, ["a","b"], {k = "v"}, or a bare word.',
  accepts: { params: 'fields', words: 1 },
  examples: [
    '/add roles name="DataScientist" privileges=["read", "execute"]',
    '/add logging level="debug"',
    '/add stages.actions stage="Execution" name="Train" type="ai.invoke"',
  ],
  async run(context) {
    const [section, ...extra] = context.command.positionals;
    if (section === undefined) {
      throw new AitwsError('USAGE', 'Say which section to add to.', { hint: `Usage: ${this.usage}` });
    }
    if (extra.length > 0) {
      throw new AitwsError('USAGE', `Unexpected word "${extra[0]}": values are given as key=value.`, {
        hint: `Example: ${this.examples[0]}`,
      });
    }
    const committed = await commitChange(context, (record) => {
      if (record.document === null) throw noDraftError();
      const outcome = addToDocument(record.document, section, context.command.params);
      return { document: outcome.document, result: outcome, section: editedSection(section) };
    });
    const { target, action, fields } = committed.result;
    if (!committed.changed) return unchanged(committed.version, `${target} already has those values`);
    const detail = action === 'updated' ? ` (${fields.join(', ')})` : '';
    return success(`${action === 'added' ? 'Added' : 'Updated'} ${target}${detail} · v${committed.version}`, {
      warnings: committed.newWarnings.map(formatFinding),
      data: { version: committed.version, target, action, fields },
    });
  },
};
