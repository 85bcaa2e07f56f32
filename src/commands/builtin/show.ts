import { maskDocument, stringifyDocument } from '../../document/index.js';
import { getSection } from '../../document/sections.js';
import { suggest } from '../../document/suggest.js';
import { AitwsError } from '../../errors.js';
import { documentTitle, readDraft } from '../draft.js';
import { privateAnswer } from '../reply.js';
import type { CommandDefinition } from '../types.js';

export const showCommand: CommandDefinition = {
  name: 'show',
  group: 'draft',
  summary: 'Show the draft, or one section of it, as TOML',
  usage: '/show [SECTION]',
  description: 'Prints the channel draft as canonical TOML. Credentials in URLs are masked.',
  examples: ['/show', '/show roles'],
  async run(context) {
    const [sectionName, ...extra] = context.command.positionals;
    if (extra.length > 0 || context.command.params.length > 0) {
      throw new AitwsError('USAGE', 'Show takes at most one section name.', { hint: `Usage: ${this.usage}` });
    }
    const { record, document } = await readDraft(context);
    const masked = maskDocument(document);
    if (sectionName === undefined) {
      return privateAnswer(`Draft "${documentTitle(document)}" · v${record.version}`, {
        blocks: [{ kind: 'code', language: 'toml', code: stringifyDocument(masked) }],
        data: { version: record.version },
      });
    }
    const value = masked[sectionName];
    if (value === undefined) {
      const known = getSection(sectionName) !== undefined;
      const guess = suggest(sectionName, Object.keys(document));
      throw new AitwsError('UNKNOWN_SECTION', `This draft has no ${sectionName} section.`, {
        hint: known
          ? `Add it with /add ${sectionName} …  (/help ${sectionName} shows its fields)`
          : guess === undefined
            ? 'Type /show to see the whole draft.'
            : `Did you mean "${guess}"?`,
      });
    }
    return privateAnswer(`${sectionName} · v${record.version}`, {
      blocks: [{ kind: 'code', language: 'toml', code: stringifyDocument({ [sectionName]: value }) }],
      data: { version: record.version, section: sectionName },
    });
  },
};
