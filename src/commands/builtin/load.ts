import { parseDocument, validateDocument } from '../../document/index.js';
import type { AitwsDocument } from '../../document/types.js';
import { AitwsError, formatFinding, ValidationError } from '../../errors.js';
import { commitChange, documentTitle, unchanged } from '../draft.js';
import { privateAnswer, success } from '../reply.js';
import { REGISTRY_PARAMS, REGISTRY_USAGE } from '../runs/registry-access.js';
import type { CommandContext, CommandDefinition } from '../types.js';
import { loadVerified, OCI_SCHEME, type VerifiedSource } from './load-oci.js';
import { optionalString, rejectUnknownParams } from './params.js';

interface Source {
  readonly label: string;
  readonly document: AitwsDocument;
  /** A verified artifact's digest and check lines. */
  readonly verified?: VerifiedSource;
}

async function readSource(context: CommandContext, usage: string): Promise<Source> {
  const { positionals, params } = context.command;
  const [path, ...extra] = positionals;
  if (
    path?.startsWith(OCI_SCHEME) === true &&
    extra.length === 0 &&
    context.invocation.content === undefined
  ) {
    rejectUnknownParams(params, [...REGISTRY_PARAMS], usage);
    const verified = await loadVerified(context, path);
    return { label: verified.label, document: verified.document, verified };
  }
  rejectUnknownParams(params, ['name'], usage);
  const name = optionalString(params, 'name');
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
  usage: `/load PATH | /load name=NAME | /load oci://HOST/REPO:TAG ${REGISTRY_USAGE}`,
  description:
    'Reads an aiTWS TOML document and makes it the channel draft (/undo restores the previous one). In the console PATH is relative to the current directory and may not leave it; name=NAME loads from the workspace library (see /save name=…). oci://REF loads a workflow artifact (see /package) only after it verifies against the key AITWS_VERIFY_KEY and the policy AITWS_VERIFY_POLICY, from a registry listed in AITWS_REGISTRIES. A document with errors is refused with the list of what to fix.',
  accepts: { params: ['name', ...REGISTRY_PARAMS], words: 1 },
  examples: ['/load ai.toml', '/load name="baseline"', '/load oci://registry.example.com/team/triage:1.0'],
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
    const { verified } = source;
    return success(
      `Loaded ${source.label} ("${documentTitle(source.document)}", ${sections} sections) · v${committed.version}`,
      {
        warnings: report.warnings.map(formatFinding),
        blocks: verified === undefined ? [] : [{ kind: 'list', items: [...verified.checks] }],
        data: {
          version: committed.version,
          sections,
          ...(verified === undefined ? {} : { digest: verified.digest }),
        },
      },
    );
  },
};
