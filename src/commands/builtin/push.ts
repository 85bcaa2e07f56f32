/**
 * `/push` (issue #18, GitOps handoff): commits the version /run would run (the approved one when
 * review is required) to the `[version_control]` repository on demand; see runs/git-handoff.ts.
 */
import { SECRET_REF } from '../../document/sections-setup.js';
import type { GitOptions } from '../../gitops/git-sync.js';
import { success } from '../reply.js';
import { commitRunnable } from '../runs/git-handoff.js';
import type { CommandDefinition } from '../types.js';
import { rejectUnknownParams } from './params.js';

export interface GitCommandOptions {
  /** Tests: timeouts, the git binary, file:// repositories. */
  readonly git?: GitOptions;
}

export function createPushCommand(options: GitCommandOptions = {}): CommandDefinition {
  return {
    name: 'push',
    group: 'runs',
    privilege: 'execute',
    summary: 'Commit the workflow (the approved version) to its Git repository',
    usage: '/push',
    description: `Commits the canonical TOML of the version /run would run (the last approved one when [change_management] review_required = true) to the repository, branch and path of its [version_control] section, with a message naming the version, its content hash and its approvers. An approval does the same by itself unless commit_on_approval = false. Credentials as ${SECRET_REF} in the repository URL or in token. Nothing is committed when the file already holds that version.`,
    accepts: { params: [], words: 0 },
    examples: ['/push'],
    async run(context) {
      rejectUnknownParams(context.command.params, [], this.usage);
      const { runnable, control, result, message, where } = await commitRunnable(context, options.git);
      const { name, version, hash } = runnable.workflow;
      const { branch, path } = control.target;
      const text = result.changed
        ? `${name} v${version} committed as ${where}: ${result.commit.slice(0, 12)}.`
        : `No change: ${where} already holds ${name} v${version} (${result.commit.slice(0, 12)}).`;
      return success(text, {
        data: { version, hash, commit: result.commit, changed: result.changed, branch, path, message },
      });
    },
  };
}

export const pushCommand: CommandDefinition = createPushCommand();
