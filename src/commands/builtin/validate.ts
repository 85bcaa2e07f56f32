import { validateDocument } from '../../document/index.js';
import { AitwsError, formatFinding } from '../../errors.js';
import { readDraft } from '../draft.js';
import type { ReplyBlock } from '../reply.js';
import { failure, privateAnswer } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { optionalBoolean } from './params.js';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export const validateCommand: CommandDefinition = {
  name: 'validate',
  group: 'draft',
  privilege: 'read',
  summary: 'Check the draft: errors, warnings and notes',
  usage: '/validate [strict]',
  description:
    'Checks types, ranges, keys and references. In a draft, dangling references are warnings; /validate strict (or strict=true) checks as a run would, where they are errors.',
  accepts: { params: ['strict'], words: 1 },
  examples: ['/validate', '/validate strict'],
  async run(context) {
    const [word] = context.command.positionals;
    if (word !== undefined && word !== 'strict') {
      throw new AitwsError('USAGE', `"${word}" is not a way to validate.`, { hint: `Usage: ${this.usage}` });
    }
    const strict = word === 'strict' || (optionalBoolean(context.command.params, 'strict') ?? false);
    const { record, document } = await readDraft(context);
    const report = validateDocument(document, { mode: strict ? 'run' : 'draft' });
    const blocks: ReplyBlock[] = [];
    if (report.errors.length > 0) blocks.push({ kind: 'list', items: report.errors.map(formatFinding) });
    if (report.notices.length > 0) {
      blocks.push(
        { kind: 'text', text: 'Notes:' },
        { kind: 'list', items: report.notices.map(formatFinding) },
      );
    }
    const summary = `${plural(report.errors.length, 'error')}, ${plural(report.warnings.length, 'warning')}`;
    const data = {
      version: record.version,
      errors: report.errors,
      warnings: report.warnings,
      notices: report.notices,
    };
    const init = { blocks, warnings: report.warnings.map(formatFinding), data };
    return report.errors.length > 0
      ? failure(`v${record.version} is not valid: ${summary}`, init)
      : privateAnswer(`v${record.version} is valid: ${summary}`, init);
  },
};
