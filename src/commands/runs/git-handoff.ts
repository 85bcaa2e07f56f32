/**
 * The GitOps handoff (issue #18): the version /run would run, committed as canonical TOML to the
 * repository its `[version_control]` names, with a message naming the version, its content hash
 * and its approvers, for Flux or Argo CD to pick up. /push does it on demand; an approval does it
 * by itself unless `commit_on_approval = false`.
 *
 * The repository and its credentials come from that same version, never from a newer draft: the
 * URL decides where `${secret:…}` values are sent, so it must be as reviewed as the workflow.
 */
import { randomBytes } from 'node:crypto';
import { stringifyDocument } from '../../document/index.js';
import { isTable } from '../../document/tree.js';
import { AitwsError } from '../../errors.js';
import { type CommitResult, commitFile, type GitOptions } from '../../gitops/git-sync.js';
import { maskUrl } from '../../gitops/git-url.js';
import { type VersionControl, versionControlOf } from '../../gitops/version-control.js';
import { NO_SECRETS } from '../../runtime/secrets.js';
import { recordDone } from '../draft.js';
import type { CommandContext } from '../types.js';
import { type RunnableVersion, runnableVersion } from './runnable.js';

export interface GitHandoff {
  readonly runnable: RunnableVersion;
  readonly control: VersionControl;
  readonly result: CommitResult;
  readonly message: string;
  /** `workflows/triage.toml on main of https://…`, credentials masked. */
  readonly where: string;
}

/** The runnable version and the Git target its `[version_control]` names. */
export async function gitTargetOf(
  context: CommandContext,
): Promise<{ runnable: RunnableVersion; control: VersionControl }> {
  const runnable = await runnableVersion(context);
  const control = versionControlOf(runnable.document, context.secrets ?? NO_SECRETS);
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

/** Commits the runnable version; the audit trail gets a `push` entry when a commit was made. */
export async function commitRunnable(
  context: CommandContext,
  git?: GitOptions,
  known?: RunnableVersion,
): Promise<GitHandoff> {
  const runnable = known ?? (await runnableVersion(context));
  const control = versionControlOf(runnable.document, context.secrets ?? NO_SECRETS);
  const message = commitMessage(runnable, await approversOf(context, runnable));
  const result = await commitFile(control.target, stringifyDocument(runnable.document), message, git);
  const { branch, path } = control.target;
  const where = `${path} on ${branch} of ${maskUrl(control.shown)}`;
  if (result.changed) {
    const { version, hash } = runnable.workflow;
    await recordDone(
      context,
      {
        kind: 'push',
        versionAfter: version,
        hash,
        detail: `commit ${result.commit.slice(0, 12)} to ${where}`,
      },
      `v${version} is committed to ${where}`,
    );
  }
  return { runnable, control, result, message, where };
}

/** The approved document asks for its commit: a git `[version_control]` without `commit_on_approval = false`. */
function commitsOnApproval(runnable: RunnableVersion): boolean {
  const section = runnable.document.version_control;
  if (!isTable(section) || section.commit_on_approval === false) return false;
  const system = section.system;
  const repository = section.repository ?? section.url;
  return (
    (system === undefined || (typeof system === 'string' && system.toLowerCase() === 'git')) &&
    typeof repository === 'string'
  );
}

/**
 * After a review approved a version: its commit, said as a notice under the approval. The
 * approval stands whatever happens here, so a failure is a notice too, with /push to try again.
 */
export async function commitOnApproval(context: CommandContext, git?: GitOptions): Promise<void> {
  let runnable: RunnableVersion;
  try {
    runnable = await runnableVersion(context);
  } catch {
    return; // Not runnable (no review required after all): nothing was approved to hand off.
  }
  if (!commitsOnApproval(runnable)) return;
  try {
    const handoff = await commitRunnable(context, git, runnable);
    const commit = handoff.result.commit.slice(0, 12);
    context.notices.push(
      handoff.result.changed
        ? `Committed v${runnable.workflow.version} as ${handoff.where}: ${commit}.`
        : `${handoff.where} already holds v${runnable.workflow.version} (${commit}).`,
    );
  } catch (error) {
    context.notices.push(
      `Not committed to Git: ${whyNot(context, error).replace(/\.?$/, '.')} /push tries again.`,
    );
  }
}

function whyNot(context: CommandContext, error: unknown): string {
  if (error instanceof AitwsError) return error.message;
  const reference = randomBytes(4).toString('hex');
  context.logger?.error({ reference, err: error }, 'commit on approval failed');
  return `something went wrong on our side (reference ${reference}).`;
}
