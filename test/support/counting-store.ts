/** Counts store calls, so "the read was skipped" is asserted directly rather than through timing. */
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { ChangeToWrite, ChannelKey, SessionRecord, WriteResult } from '../../src/session/port.js';

export class CountingStore extends MemorySessionStore {
  reads = 0;
  writes = 0;
  conflicts = 0;

  override async read(key: ChannelKey): Promise<SessionRecord> {
    this.reads += 1;
    return super.read(key);
  }

  override async write(
    key: ChannelKey,
    expectedVersion: number,
    change: ChangeToWrite,
  ): Promise<WriteResult> {
    this.writes += 1;
    const written = await super.write(key, expectedVersion, change);
    if (!written.ok) this.conflicts += 1;
    return written;
  }

  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.conflicts = 0;
  }
}
