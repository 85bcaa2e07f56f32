import { stringifyDocument } from '../../document/index.js';
import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import type { SessionRecord } from '../../session/port.js';
import { offerChoice } from '../buttons.js';
import { auditLibrary, documentTitle, readDraft } from '../draft.js';
import { type Reply, success } from '../reply.js';
import type { CommandContext, CommandDefinition } from '../types.js';
import { optionalBoolean, optionalString } from './params.js';

const DEFAULT_FILE = 'workflow.toml';
const USAGE = '/save [PATH.toml] [force=true] | /save name=NAME [force=true]';

interface Draft {
  readonly record: SessionRecord;
  readonly document: AitwsDocument;
}

/** Only .toml: a typo like `/save notes.md` or `/save package.json` must not replace another kind of file. */
function checkTomlPath(path: string): void {
  if (/\.toml$/i.test(path)) return;
  const stem = path.replace(/\.[^./\\]*$/, '');
  throw new AitwsError('USAGE', `Only .toml files can be saved, and "${path}" is not one.`, {
    hint: `Try /save ${stem}.toml`,
  });
}

async function saveToLibrary(
  context: CommandContext,
  draft: Draft,
  name: string,
  force: boolean,
): Promise<Reply> {
  const { platform, workspace } = context.invocation.channel;
  const title = documentTitle(draft.document);
  if (!force) {
    const existing = (await context.drafts.listNamed({ platform, workspace })).find((s) => s.name === name);
    if (existing !== undefined) {
      const already = `"${name}" is already in the workspace library (saved by ${existing.by}, ${existing.at}).`;
      const question = `${already} Replace it with v${draft.record.version} of "${title}"?`;
      if (context.invocation.supportsButtons === true) {
        return offerChoice(context, {
          question,
          summary: `Replace "${name}" in the workspace library`,
          confirmLabel: 'Replace',
          danger: true,
          commands: [`/save name=${JSON.stringify(name)} force=true`],
        });
      }
      throw new AitwsError('ALREADY_EXISTS', already, {
        hint: `Replace it with /save name=${JSON.stringify(name)} force=true, or choose another name.`,
      });
    }
  }
  await context.drafts.saveNamed(
    { platform, workspace },
    { name, document: draft.document, at: context.now().toISOString(), by: context.invocation.actor.name },
  );
  await auditLibrary(context, `saved v${draft.record.version} as "${name}"`);
  return success(`Saved v${draft.record.version} of "${title}" as "${name}" in the workspace library.`, {
    data: { version: draft.record.version, name },
  });
}

async function saveToFile(
  context: CommandContext,
  draft: Draft,
  path: string,
  force: boolean,
): Promise<Reply> {
  const { record, document } = draft;
  const toml = stringifyDocument(document);
  const bytes = Buffer.byteLength(toml);
  if (context.files === undefined) {
    return success(`"${documentTitle(document)}" · v${record.version}`, {
      attachments: [{ filename: path, contentType: 'application/toml', content: toml }],
      data: { version: record.version, bytes },
    });
  }
  let written: string;
  try {
    written = await context.files.write(path, toml, { replace: force });
  } catch (error) {
    if (!(error instanceof AitwsError) || error.code !== 'ALREADY_EXISTS') throw error;
    throw new AitwsError('ALREADY_EXISTS', error.message, {
      hint: `Replace it with /save ${path} force=true, or give another file name.`,
    });
  }
  return success(`Saved v${record.version} of "${documentTitle(document)}" to ${written} (${bytes} bytes).`, {
    data: { version: record.version, path: written, bytes },
  });
}

export const saveCommand: CommandDefinition = {
  name: 'save',
  group: 'files',
  privilege: 'write',
  summary: 'Save the draft to a .toml file or to the workspace library',
  usage: USAGE,
  description:
    'In the console, writes canonical TOML to PATH (default workflow.toml) under the current directory, with real values; only .toml files, and an existing file is replaced only with force=true. In chat, attaches workflow.toml with credentials masked. name=NAME keeps a copy in the workspace library that every channel can /load; a name already there is replaced only when you confirm (or with force=true). The library holds a limited number and size of saves per workspace; a PATH inside the data folder of the store (.aitws) is refused.',
  accepts: { params: ['name', 'force'], words: 1 },
  examples: [
    '/save',
    '/save pipelines/retrain.toml',
    '/save retrain.toml force=true',
    '/save name="baseline"',
  ],
  async run(context) {
    const { positionals, params } = context.command;
    const name = optionalString(params, 'name');
    const force = optionalBoolean(params, 'force') ?? false;
    const [path] = positionals;
    if (name !== undefined && path !== undefined) {
      throw new AitwsError('USAGE', 'Give either a file path or name=NAME, not both.', {
        hint: `Usage: ${USAGE}`,
      });
    }
    if (path !== undefined) checkTomlPath(path);
    const draft = await readDraft(context);
    if (name !== undefined) return saveToLibrary(context, draft, name, force);
    return saveToFile(context, draft, path ?? DEFAULT_FILE, force);
  },
};
