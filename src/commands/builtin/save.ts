import { stringifyDocument } from '../../document/index.js';
import { AitwsError } from '../../errors.js';
import { documentTitle, readDraft } from '../draft.js';
import { success } from '../reply.js';
import type { CommandDefinition } from '../types.js';
import { optionalString, rejectUnknownParams } from './params.js';

const DEFAULT_FILE = 'workflow.toml';

export const saveCommand: CommandDefinition = {
  name: 'save',
  group: 'files',
  summary: 'Save the draft to a file or to the workspace library',
  usage: '/save [PATH] | /save name=NAME',
  description:
    'In the console, writes canonical TOML to PATH (default workflow.toml) under the current directory, with real values. In chat, attaches workflow.toml with credentials masked. name=NAME keeps a copy in the workspace library that every channel can /load; saving under a name already there replaces it. The library holds a limited number and size of saves per workspace; a PATH inside the data folder of the store (.aitws) is refused.',
  accepts: { params: ['name', 'force'], words: 1 },
  examples: ['/save', '/save pipelines/retrain.toml', '/save name="baseline"'],
  async run(context) {
    const { positionals, params } = context.command;
    rejectUnknownParams(params, ['name'], this.usage);
    const name = optionalString(params, 'name');
    const [path, ...extra] = positionals;
    if (extra.length > 0 || (name !== undefined && path !== undefined)) {
      throw new AitwsError('USAGE', 'Give either a file path or name=NAME, not both.', {
        hint: `Usage: ${this.usage}`,
      });
    }
    const { record, document } = await readDraft(context);
    const title = documentTitle(document);
    if (name !== undefined) {
      const { platform, workspace } = context.invocation.channel;
      await context.drafts.saveNamed(
        { platform, workspace },
        { name, document, at: context.now().toISOString(), by: context.invocation.actor.name },
      );
      return success(`Saved v${record.version} of "${title}" as "${name}" in the workspace library.`, {
        data: { version: record.version, name },
      });
    }
    const toml = stringifyDocument(document);
    if (context.files === undefined) {
      return success(`"${title}" · v${record.version}`, {
        attachments: [{ filename: path ?? DEFAULT_FILE, contentType: 'application/toml', content: toml }],
        data: { version: record.version, bytes: Buffer.byteLength(toml) },
      });
    }
    const written = await context.files.write(path ?? DEFAULT_FILE, toml);
    return success(
      `Saved v${record.version} of "${title}" to ${written} (${Buffer.byteLength(toml)} bytes).`,
      {
        data: { version: record.version, path: written, bytes: Buffer.byteLength(toml) },
      },
    );
  },
};
