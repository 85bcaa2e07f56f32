/**
 * Remembers the warnings of each channel's latest version this process wrote, so a change only
 * validates the document it proposes: the "before" warnings (to report only new ones) are known.
 * Keyed by channel and version, so a stale entry (another process wrote since) is simply a miss.
 */
import type { Finding } from '../errors.js';

export function findingId(finding: Finding): string {
  return `${finding.code}|${finding.path}|${finding.message}`;
}

export class WarningCache {
  private readonly entries = new Map<string, { version: number; ids: ReadonlySet<string> }>();

  constructor(private readonly capacity = 5000) {}

  get(channel: string, version: number): ReadonlySet<string> | undefined {
    const entry = this.entries.get(channel);
    return entry?.version === version ? entry.ids : undefined;
  }

  set(channel: string, version: number, warnings: readonly Finding[]): void {
    // Re-inserting moves the channel to the end, so the oldest-used channel is evicted first.
    this.entries.delete(channel);
    this.entries.set(channel, { version, ids: new Set(warnings.map(findingId)) });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
