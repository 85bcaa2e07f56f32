/**
 * Remembers the warnings of each channel's latest version this process wrote, so a change only
 * validates the document it proposes: the "before" warnings (to report only new ones) are known.
 * Keyed by channel and version, so a stale entry (another process wrote since) is simply a miss.
 */
import type { Finding } from '../errors.js';

export function findingId(finding: Finding): string {
  return `${finding.code}|${finding.path}|${finding.message}`;
}

/**
 * The warnings of one version, asked "was this one already there?". Validation reuses the finding
 * objects of unchanged sections, so identity answers most questions; the text is compared only
 * for the rest.
 */
export class KnownWarnings {
  #objects: ReadonlySet<Finding> | undefined;
  #ids: ReadonlySet<string> | undefined;

  constructor(private readonly warnings: readonly Finding[]) {}

  has(finding: Finding): boolean {
    this.#objects ??= new Set(this.warnings);
    if (this.#objects.has(finding)) return true;
    this.#ids ??= new Set(this.warnings.map(findingId));
    return this.#ids.has(findingId(finding));
  }
}

export class WarningCache {
  private readonly entries = new Map<string, { version: number; known: KnownWarnings }>();

  constructor(private readonly capacity = 5000) {}

  get(channel: string, version: number): KnownWarnings | undefined {
    const entry = this.entries.get(channel);
    return entry?.version === version ? entry.known : undefined;
  }

  set(channel: string, version: number, warnings: readonly Finding[]): void {
    // Re-inserting moves the channel to the end, so the oldest-used channel is evicted first.
    this.entries.delete(channel);
    this.entries.set(channel, { version, known: new KnownWarnings(warnings) });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
