/**
 * Which version of the channel's workflow /run executes: the last approved one when
 * `[change_management] review_required = true` (checked against its content hash), else the
 * current draft. The run gets its own copy, so later edits never change a run under way.
 */
import { contentHash } from '../../access/content-hash.js';
import { changeManagement } from '../../access/review.js';
import { isTable } from '../../document/tree.js';
import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import type { WorkflowRef } from '../../runtime/run-store.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { CommandContext } from '../types.js';

export interface RunnableVersion {
  readonly document: AitwsDocument;
  readonly workflow: WorkflowRef;
}

export function runtimeOf(context: CommandContext): Runtime {
  if (context.runtime !== undefined) return context.runtime;
  throw new AitwsError('NOT_AVAILABLE', 'Workflows cannot run here: this process has no runtime.', {
    hint: 'Run the console (npm start), or `aitws serve` with a worker (`--worker` or `aitws worker`).',
  });
}

function workflowName(document: AitwsDocument): string {
  const metadata = document.metadata;
  const name = isTable(metadata) ? metadata.name : undefined;
  return typeof name === 'string' && name !== '' ? name : 'workflow';
}

export async function runnableVersion(context: CommandContext): Promise<RunnableVersion> {
  const { channel } = context.invocation;
  const session = await context.drafts.read(channel);
  if (session.document === null)
    throw new AitwsError('NO_DRAFT', 'There is no workflow in this channel to run.', {
      hint: 'Start one with /create or /load.',
    });
  if (changeManagement(session.document).reviewRequired !== true) {
    const document = session.document;
    return {
      document,
      workflow: { name: workflowName(document), version: session.version, hash: contentHash(document) },
    };
  }
  const approved = (await context.access.read(channel)).lastApproved;
  if (approved === null)
    throw new AitwsError(
      'NOT_APPROVED',
      'No version of this workflow is approved yet, and review is required to run it.',
      {
        hint: '/submit asks for a review; /run works once it is approved.',
      },
    );
  const document =
    approved.version === session.version
      ? session.document
      : ((await context.drafts.historyEntry(channel, approved.version))?.document ?? null);
  if (document === null || contentHash(document) !== approved.hash)
    throw new AitwsError(
      'NOT_APPROVED',
      `The approved version v${approved.version} is no longer in this channel's history.`,
      {
        hint: '/submit the current version for review again.',
      },
    );
  return {
    document,
    workflow: { name: workflowName(document), version: approved.version, hash: approved.hash },
  };
}
