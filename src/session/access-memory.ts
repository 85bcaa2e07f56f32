/**
 * The in-process AccessStore (tests, proposals). Records and entries go in and out as JSON copies,
 * so no caller can reach the stored state.
 */
import {
  assertExpectedRevision,
  auditInputOf,
  emptyAccess,
  matchesAuditFilter,
  recentCount,
  sequenceId,
  stateOf,
} from './access-codec.js';
import type {
  AccessRecord,
  AccessState,
  AccessStore,
  AuditEntry,
  AuditEntryInput,
  AuditFilter,
} from './access-port.js';
import { type ChannelKey, channelId } from './port.js';

function copy<T>(value: T): T {
  const copied: T = JSON.parse(JSON.stringify(value));
  return copied;
}

export class MemoryAccessStore implements AccessStore {
  readonly #records = new Map<string, AccessRecord>();
  readonly #trails = new Map<string, AuditEntry[]>();

  async read(channel: ChannelKey): Promise<AccessRecord> {
    return copy(this.#records.get(channelId(channel)) ?? emptyAccess());
  }

  async write(channel: ChannelKey, expectedRevision: number, state: AccessState): Promise<boolean> {
    assertExpectedRevision(expectedRevision);
    const id = channelId(channel);
    const revision = this.#records.get(id)?.revision ?? 0;
    if (revision !== expectedRevision) return false;
    this.#records.set(id, copy({ revision: revision + 1, ...stateOf(state) }));
    return true;
  }

  async appendAudit(entry: AuditEntryInput): Promise<AuditEntry> {
    const id = channelId(entry.channel);
    const trail = this.#trails.get(id) ?? [];
    this.#trails.set(id, trail);
    const stored: AuditEntry = { id: sequenceId(trail.length + 1), ...copy(auditInputOf(entry)) };
    trail.push(stored);
    return copy(stored);
  }

  async recentAudit(channel: ChannelKey, limit: number): Promise<readonly AuditEntry[]> {
    const count = recentCount(limit);
    const trail = this.#trails.get(channelId(channel)) ?? [];
    return count === 0 ? [] : copy(trail.slice(-count).reverse());
  }

  async *exportAudit(filter: AuditFilter): AsyncIterable<AuditEntry> {
    for (const trail of [...this.#trails.values()]) {
      for (const entry of [...trail]) if (matchesAuditFilter(entry, filter)) yield copy(entry);
    }
  }

  async close(): Promise<void> {}
}
