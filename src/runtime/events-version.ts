/**
 * Which version of a channel's workflow an outside event (a webhook, a schedule tick) reads its
 * triggers from and starts runs of: the one /run would run (src/commands/runs/runnable.ts says the
 * same for a command), or none. None is not an error here: a webhook answers 404, a tick is skipped.
 */
import { contentHash } from '../access/content-hash.js';
import { changeManagement } from '../access/review.js';
import { isTable } from '../document/tree.js';
import type { AitwsDocument } from '../document/types.js';
import type { AccessStore } from '../session/access-port.js';
import type { ChannelKey, SessionStore } from '../session/port.js';
import type { WorkflowRef } from './run-store.js';

export interface RunnableVersion {
  readonly document: AitwsDocument;
  readonly workflow: WorkflowRef;
}

/** The channel's runnable version, or null when it has none (no draft, nothing approved yet). */
export type VersionSource = (channel: ChannelKey) => Promise<RunnableVersion | null>;

export function workflowName(document: AitwsDocument): string {
  const metadata = document.metadata;
  const name = isTable(metadata) ? metadata.name : undefined;
  return typeof name === 'string' && name !== '' ? name : 'workflow';
}

/**
 * The runnable version from the stores: the current draft unless `[change_management]
 * review_required = true`, then the last approved version, checked against its content hash.
 */
export function storedVersions(stores: {
  readonly sessions: Pick<SessionStore, 'read' | 'historyEntry'>;
  readonly access: Pick<AccessStore, 'read'>;
}): VersionSource {
  return async (channel) => {
    const session = await stores.sessions.read(channel);
    const current = session.document;
    if (current === null) return null;
    if (!changeManagement(current).reviewRequired)
      return {
        document: current,
        workflow: { name: workflowName(current), version: session.version, hash: contentHash(current) },
      };
    const approved = (await stores.access.read(channel)).lastApproved;
    if (approved === null) return null;
    const document =
      approved.version === session.version
        ? current
        : ((await stores.sessions.historyEntry(channel, approved.version))?.document ?? null);
    if (document === null || contentHash(document) !== approved.hash) return null;
    return {
      document,
      workflow: { name: workflowName(document), version: approved.version, hash: approved.hash },
    };
  };
}
