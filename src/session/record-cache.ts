/**
 * The last record this process read or wrote per channel, so `applyChange` can skip the read on
 * its first attempt and write against the version it already knows. It is only ever a guess: the
 * compare-and-set rejects a stale entry, which then costs one extra read, never a lost update.
 *
 * Records are deep-frozen on the way in. A cached document is handed to the next change's mutate
 * callback and may share unchanged subtrees with the documents commands build from it, so freezing
 * turns an accidental in-place edit into a loud TypeError instead of a corrupted draft that the
 * version check could not detect (it compares versions, not contents).
 */
import { freezeDeep } from '../document/frozen.js';
import type { SessionRecord, SessionStore } from './port.js';

export interface RecordCacheLimits {
  readonly channels?: number;
  /**
   * Rough heap bytes over all cached documents. A channel count alone would not bound memory:
   * drafts may reach 256 KB of TOML, several times that as objects.
   */
  readonly bytes?: number;
}

interface Entry {
  readonly record: SessionRecord;
  readonly bytes: number;
}

export class RecordCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxChannels: number;
  private readonly maxBytes: number;
  private totalBytes = 0;

  /**
   * Bound to one store: the same channel key can name a different session in another store (the
   * batch simulation runs commands against an in-memory copy), so other stores never use it.
   */
  constructor(
    readonly store: SessionStore,
    limits: RecordCacheLimits = {},
  ) {
    this.maxChannels = limits.channels ?? 5000;
    // About 2,500 channels holding the 4 KB sample; real heap use runs about 1.7x the estimate.
    this.maxBytes = limits.bytes ?? 32 * 1024 * 1024;
  }

  get(channel: string): SessionRecord | undefined {
    return this.entries.get(channel)?.record;
  }

  /**
   * Keeps the newer of the cached and the given record: a change that finishes late must not put
   * back a version an overlapping one already replaced. Freezes the record either way, since the
   * caller is about to hand it on.
   */
  remember(channel: string, record: SessionRecord): void {
    const bytes = freezeDeep(record.document);
    Object.freeze(record);
    const cached = this.entries.get(channel);
    if (cached !== undefined && cached.record.version > record.version) return;
    // Re-inserting moves the channel to the end, so the least recently used channel is evicted.
    this.delete(channel);
    this.entries.set(channel, { record, bytes });
    this.totalBytes += bytes;
    while (
      this.entries.size > this.maxChannels ||
      (this.totalBytes > this.maxBytes && this.entries.size > 0)
    ) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  /** Drops the entry if it is still `version`, the one found stale; a newer one stays. */
  forget(channel: string, version: number): void {
    if (this.entries.get(channel)?.record.version === version) this.delete(channel);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The rough heap bytes of the cached documents (see RecordCacheLimits.bytes). */
  get bytes(): number {
    return this.totalBytes;
  }

  private delete(channel: string): void {
    const entry = this.entries.get(channel);
    if (entry === undefined) return;
    this.entries.delete(channel);
    this.totalBytes -= entry.bytes;
  }
}
