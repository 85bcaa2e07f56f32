/**
 * `/push` (issue #18, GitOps handoff): commits the version /run would run (the approved one when
 * review is required) as canonical TOML to the `[version_control]` repository, with a message
 * naming the version, its content hash and its approvers, for Flux or Argo CD to pick up.
 *
 * The repository and its credentials come from that same version, never from a newer draft: the
 * URL decides where `${secret:…}` values are sent, so it must be as reviewed as the workflow.
 */
import { stringifyDocument } from '../../document/index.js';
import { SECRET_REF } from '../../document/sections-setup.js';
import { type CommitResult, commitFile, type GitOptions } from '../../gitops/git-sync.js';
import { maskUrl } from '../../gitops/git-url.js';
import { type VersionControl, versionControlOf } from '../../gitops/version-control.js';
import { environmentSecrets, type SecretSource } from '../../runtime/secrets.js';
import { success } from '../reply.js';
import { type RunnableVersion, runnableVersion } from '../runs/runnable.js';
import type { CommandContext, CommandDefinition } from '../types.js';
import { rejectUnknownParams } from './params.js';

export interface GitCommandOptions {
  /** Where `${secret:…}` values come from; default the process's AITWS_SECRET_* and AITWS_SECRETS_DIR. */
  readonly secrets?: () => SecretSource;
  readonly git?: GitOptions;
}

/** Read when a command runs, so a secret set after start is seen. */
export function processSecrets(): SecretSource {
  return environmentSecrets(process.env, process.env.AITWS_SECRETS_DIR);
}

/** The runnable version and the Git target its `[version_control]` names. */
export async function gitTargetOf(
  context: CommandContext,
  options: GitCommandOptions,
): Promise<{ runnable: RunnableVersion; control: VersionControl }> {
  const runnable = await runnableVersion(context);
  const control = versionControlOf(runnable.document, (options.secrets ?? processSecrets)());
  return { runnable, control };
}

/** The approvers of the runnable version, when the channel's last approval is of it. */
async function approversOf(
  context: CommandContext,
  runnable: RunnableVersion,
): Promise<string[] | undefined> {
  const approved = (await context.access.read(context.invocation.channel)).lastApproved;
  const { hash, version } = runnable.workflow;
  if (approved === null || approved.hash !== hash || approved.version !== version) return undefined;
  return approved.approvedBy.map((person) => person.name);
}

/** `aitws: Triage v4 sha256:… approved by Ann, Abe` (or `not reviewed`). */
export function commitMessage(runnable: RunnableVersion, approvers: readonly string[] | undefined): string {
  const { name, version, hash } = runnable.workflow;
  const approval =
    approvers === undefined || approvers.length === 0
      ? 'not reviewed'
      : `approved by ${approvers.join(', ')}`;
  return `aitws: ${name} v${version} ${hash} ${approval}`;
}

function replyOf(
  runnable: RunnableVersion,
  control: VersionControl,
  result: CommitResult,
  message: string,
): ReturnType<typeof success> {
  const { name, version, hash } = runnable.workflow;
  const { branch, path } = control.target;
  const where = `${path} on ${branch} of ${maskUrl(control.shown)}`;
  const text = result.changed
    ? `${name} v${version} committed as ${where}: ${result.commit.slice(0, 12)}.`
    : `No change: ${where} already holds ${name} v${version} (${result.commit.slice(0, 12)}).`;
  return success(text, {
    data: { version, hash, commit: result.commit, changed: result.changed, branch, path, message },
  });
}

export function createPushCommand(options: GitCommandOptions = {}): CommandDefinition {
  return {
    name: 'push',
    group: 'runs',
    privilege: 'execute',
    summary: 'Commit the workflow (the approved version) to its Git repository',
    usage: '/push',
    description: `Commits the canonical TOML of the version /run would run (the last approved one when [change_management] review_required = true) to the repository, branch and path of its [version_control] section, with a message naming the version, its content hash and its approvers. Credentials as ${SECRET_REF} in the repository URL or in token. Nothing is committed when the file already holds that version.`,
    accepts: { params: [], words: 0 },
    examples: ['/push'],
    async run(context) {
      rejectUnknownParams(context.command.params, [], this.usage);
      const { runnable, control } = await gitTargetOf(context, options);
      const message = commitMessage(runnable, await approversOf(context, runnable));
      const result = await commitFile(
        control.target,
        stringifyDocument(runnable.document),
        message,
        options.git,
      );
      return replyOf(runnable, control, result, message);
    },
  };
}

export const pushCommand: CommandDefinition = createPushCommand();
