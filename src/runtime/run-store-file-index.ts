/**
 * The file run store's per-channel index, so listing a channel does not read every run:
 * `runs/.channels/<label>.<hash>.jsonl`, one line `{"id","createdAt"}` appended per run created
 * (the name is storageName of the channel key; a dot never starts a run id, so it cannot collide
 * with a run's directory).
 *
 * The index is a hint, never the truth: a run is appended before its record is written (so a crash
 * cannot leave a run out of its channel's list), and readers skip entries whose run is gone or
 * belongs elsewhere. Retention rewrites it without the runs it removed.
 */
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { readIfExists, removeStaleTemporaries, writeFileAtomic } from '../session/file-io.js';
import { type LockOptions, withFileLock } from '../session/file-lock.js';
import { storageName } from '../session/file-store-channel.js';
import type { ChannelKey } from '../session/port.js';

export interface IndexEntry {
  readonly id: string;
  readonly createdAt: string;
}

const entrySchema = z.object({ id: z.string(), createdAt: z.string() });
/** A temporary this old is a crash's leftover: a live one lasts milliseconds, a lock 10 s. */
const TEMPORARY_MAX_AGE_MS = 60_000;

export class ChannelIndex {
  readonly dir: string;
  readonly #lock: LockOptions;
  #swept = false;

  constructor(dir: string, lock: LockOptions) {
    this.dir = dir;
    this.#lock = lock;
  }

  file(channel: ChannelKey): string {
    const name = storageName([channel.platform, channel.workspace, channel.channel]);
    return path.join(this.dir, `${name}.jsonl`);
  }

  async add(channel: ChannelKey, entry: IndexEntry): Promise<void> {
    const file = this.file(channel);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await withFileLock(`${file}.lock`, this.#lock, async () => {
      const handle = await open(file, 'a+', 0o600);
      try {
        const { size } = await handle.stat();
        const last = Buffer.alloc(1);
        if (size > 0) await handle.read(last, 0, 1, size - 1);
        // A torn line from a crashed append becomes a line of its own, which readers skip.
        const separator = size > 0 && last[0] !== 0x0a ? '\n' : '';
        const { id, createdAt } = entry;
        await handle.appendFile(`${separator}${JSON.stringify({ id, createdAt })}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  /** The channel's entries, newest (createdAt) first, later appends first among equals; one per id. */
  async read(channel: ChannelKey): Promise<IndexEntry[]> {
    return entriesOf(await readIfExists(this.file(channel)));
  }

  /** Rewrites the channel's index without `ids` (runs retention removed). */
  async remove(channel: ChannelKey, ids: ReadonlySet<string>): Promise<void> {
    const file = this.file(channel);
    await withFileLock(`${file}.lock`, this.#lock, async () => {
      if (!this.#swept) {
        this.#swept = true;
        await removeStaleTemporaries(this.dir, TEMPORARY_MAX_AGE_MS).catch(() => undefined);
      }
      const text = await readIfExists(file);
      if (text === null) return;
      const kept = text.split('\n').flatMap((line) => {
        const entry = parseEntry(line);
        return entry === undefined || ids.has(entry.id) ? [] : [`${line}\n`];
      });
      await writeFileAtomic(file, kept.join(''));
    });
  }
}

function parseEntry(line: string): IndexEntry | undefined {
  try {
    const parsed = entrySchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function entriesOf(text: string | null): IndexEntry[] {
  if (text === null) return [];
  const latest = new Map<string, { entry: IndexEntry; line: number }>();
  for (const [line, raw] of text.split('\n').entries()) {
    const entry = parseEntry(raw);
    if (entry === undefined) continue;
    latest.delete(entry.id);
    latest.set(entry.id, { entry, line });
  }
  return [...latest.values()]
    .sort((a, b) => Date.parse(b.entry.createdAt) - Date.parse(a.entry.createdAt) || b.line - a.line)
    .map(({ entry }) => entry);
}
