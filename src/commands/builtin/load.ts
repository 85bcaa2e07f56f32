import { parseDocument, validateDocument } from '../../document/index.js';
import type { AitwsDocument } from '../../document/types.js';
import { AitwsError, formatFinding, ValidationError } from '../../errors.js';
import { commitChange, documentTitle, unchanged } from '../draft.js';
import { privateAnswer, success } from '../reply.js';
import type { CommandContext, CommandDefinition } from '../types.js';
import { optionalString, rejectUnknownParams } from './params.js';

async function readSource(
  context: CommandContext,
  usage: string,
): Promise<{ label: string; document: AitwsDocument }> {
  const { positionals, params } = context.command;
  rejectUnknownParams(params, ['name'], usage);
  const name = optionalString(params, 'name');
  const [path, ...extra] = positionals;
  const { content } = context.invocation;
  const sources = [name, path, content].filter((source) => source !== undefined).length;
  if (extra.length > 0 || sources > 1) {
    throw new AitwsError('USAGE', 'Give one source: a file path, name=NAME, or an attached file.', {
      hint: `Usage: ${usage}`,
    });
  }
  if (content !== undefined) {
    return { label: content.filename, document: parseDocument(content.text, context.limits) };
  }
  if (name !== undefined) {
    const { platform, workspace } = context.invocation.channel;
    const saved = await context.drafts.loadNamed({ platform, workspace }, name);
    if (saved === null) {
      throw new AitwsError('FILE_NOT_FOUND', `Nothing is saved under the name "${name}" in this workspace.`, {
        hint: 'Type /saved to list the saved workflows.',
      });
    }
    return { label: `"${name}" from the workspace library`, document: saved.document };
  }
  if (path === undefined) {
    throw new AitwsError('USAGE', 'Say what to load: a file path, or name=NAME from the workspace library.', {
      hint: `Usage: ${usage}`,
    });
  }
  if (context.files === undefined) {
    throw new AitwsError('NOT_AVAILABLE', 'Loading a file by path only works in the local console.', {
      hint: 'In chat, attach the .toml file, paste it with /load, or load a saved one with /load name=NAME.',
    });
  }
  const text = await context.files.read(path);
  return { label: path, document: parseDocument(text, context.limits) };
}

/** No source given, and the adapter can open a form to paste one into: that is the question. */
function wantsForm(context: CommandContext): boolean {
  const { invocation, command } = context;
  return (
    invocation.supportsDocumentForm === true &&
    invocation.content === undefined &&
    command.positionals.length === 0 &&
    command.params.length === 0
  );
}

export const loadCommand: CommandDefinition = {
  name: 'load',
  group: 'files',
  privilege: 'write',
  summary: 'Replace the draft with a TOML file or a saved workflow',
  usage: '/load PATH | /load name=NAME',
  description:
    'Reads an aiTWS TOML document and makes it the channel draft (/undo restores the previous one). In the console PATH is relative to the current directory and may not leave it; name=NAME loads from the workspace library (see /save name=…). A document with errors is refused with the list of what to fix.',
  accepts: { params: ['name'], words: 1 },
  examples: ['/load ai.toml', '/load name="baseline"'],
  async run(context) {
    if (wantsForm(context)) {
      return privateAnswer('Paste the aiTWS TOML document into the form.', { form: 'document' });
    }
    const source = await readSource(context, this.usage);
    const report = validateDocument(source.document, { mode: 'draft' });
    if (report.errors.length > 0) {
      throw new ValidationError(
        report.errors,
        report.warnings,
        `${source.label} has errors; nothing was loaded.`,
      );
    }
    const committed = await commitChange(context, () => ({ document: source.document, result: null }));
    if (!committed.changed) return unchanged(committed.version, `the draft is already ${source.label}`);
    const sections = Object.keys(source.document).length;
    return success(
      `Loaded ${source.label} ("${documentTitle(source.document)}", ${sections} sections) · v${committed.version}`,
      {
        warnings: report.warnings.map(formatFinding),
        data: { version: committed.version, sections },
      },
    );
  },
};
