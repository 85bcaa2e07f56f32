/**
 * `/pull` (issue #18, GitOps handoff): reads the workflow file at the head of the
 * `[version_control]` branch and loads it as the channel's next version, the way /load does: a
 * change in history (so /undo takes it back) that voids an open review as any change does. The
 * reply is /diff's rendering of the previous version against the pulled one.
 *
 * The repository is the one the runnable (approved) version names, as for /push: someone who may
 * write to the draft must not point the credentials at a server of their own and fetch.
 */
import { parseDocument, validateDocument } from '../../document/index.js';
import { formatFinding, ValidationError } from '../../errors.js';
import { readFileAtHead } from '../../gitops/git-sync.js';
import { maskUrl } from '../../gitops/git-url.js';
import { commitChange, unchanged } from '../draft.js';
import { success } from '../reply.js';
import { gitTargetOf } from '../runs/git-handoff.js';
import type { CommandDefinition } from '../types.js';
import { compareVersions } from './diff.js';
import { rejectUnknownParams } from './params.js';
import type { GitCommandOptions } from './push.js';

export function createPullCommand(options: GitCommandOptions = {}): CommandDefinition {
  return {
    name: 'pull',
    group: 'files',
    privilege: 'write',
    summary: 'Load the workflow from its Git repository as a new version',
    usage: '/pull',
    description:
      'Reads the file named by [version_control] (repository, branch, path) at the head of the branch and makes it the next version of the draft, showing the diff against the version before. It is a change like any other: /undo takes it back, and a review under way must be submitted again. A document with errors is refused with the list of what to fix.',
    accepts: { params: [], words: 0 },
    examples: ['/pull'],
    async run(context) {
      rejectUnknownParams(context.command.params, [], this.usage);
      const { control } = await gitTargetOf(context);
      const { branch, path } = control.target;
      const head = await readFileAtHead(control.target, options.git);
      const where = `${path}@${head.commit.slice(0, 12)} (${branch} of ${maskUrl(control.shown)})`;
      const document = parseDocument(head.text, context.limits);
      const report = validateDocument(document, { mode: 'draft' });
      if (report.errors.length > 0)
        throw new ValidationError(report.errors, report.warnings, `${where} has errors; nothing was loaded.`);
      const committed = await commitChange(context, () => ({ document, result: null }), {
        historyLine: `/pull ${path}@${head.commit.slice(0, 12)}`,
      });
      if (!committed.changed) return unchanged(committed.version, `the draft is already ${where}`);
      const current = await context.drafts.read(context.invocation.channel);
      const diff = await compareVersions(context, committed.version - 1, committed.version, current);
      return success(`Pulled ${where} · v${committed.version}`, {
        blocks: diff.blocks,
        attachments: diff.attachments,
        warnings: report.warnings.map(formatFinding),
        data: { version: committed.version, commit: head.commit, branch, path },
      });
    },
  };
}

export const pullCommand: CommandDefinition = createPullCommand();
