/**
 * The embedded-mode AccessStore: plain files under the data directory, beside the session store's.
 *
 *   <dataDir>/access/<label>.<hash>.json        one channel's access record, replaced atomically
 *   <dataDir>/access/<label>.<hash>.json.lock   held while it is compared and set
 *   <dataDir>/audit/<label>.<hash>.jsonl        one channel's audit trail, one entry per line
 *   <dataDir>/audit/<label>.<hash>.jsonl.lock   held while appending
 *
 * Names are storageName of the channel key, as for channel directories. Every change takes the
 * cross-process lock (src/session/file-lock.ts), so several processes can share the directory.
 *
 * An entry's id is its line number, stored in the line. Appends are fsynced one by one; a crash
 * mid-append leaves a last line without its newline, which readers skip and the next append
 * (under the lock) cuts off before writing, so the ids stay line numbers.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AitwsError, StorageUnavailableError } from '../errors.js';
import {
  accessStateSchema,
  assertExpectedRevision,
  auditEntrySchema,
  auditInputOf,
  channelKeySchema,
  emptyAccess,
  matchesAuditChannel,
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
import { parseStored, unreadableDataError } from './codec.js';
import { errorCode, readIfExists, removeStaleTemporaries, writeFileAtomic } from './file-io.js';
import { type LockOptions, withFileLock } from './file-lock.js';
import { FILE_STORE_DEFAULTS } from './file-store.js';
import { storageName } from './file-store-channel.js';
import type { ChannelKey } from './port.js';

/** The store's own folders under the data directory, which nothing else may write into. */
export const ACCESS_FILE_FOLDERS = ['access', 'audit'] as const;

export interface FileAccessStoreOptions {
  readonly dataDir: string;
  /** A lock file older than this is taken over as abandoned. Default 10 s, as the session store. */
  readonly lockTimeoutMs?: number;
}

const RECORD_FORMAT = 'aitws.access/1';
const recordFileSchema = z.object({
  format: z.literal(RECORD_FORMAT),
  key: channelKeySchema,
  revision: z.number().int().min(1),
  state: accessStateSchema,
});
const DATA_DIR_LABEL = '$AITWS_DATA_DIR';
/** A temporary this old is a crash's leftover: a live one lasts milliseconds, a lock 10 s. */
const TEMPORARY_MAX_AGE_MS = 60_000;
const TAIL_CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

export class FileAccessStore implements AccessStore {
  readonly dataDir: string;
  readonly #lock: LockOptions;
  #swept = false;

  constructor(options: FileAccessStoreOptions) {
    this.dataDir = path.resolve(options.dataDir);
    const staleMs = options.lockTimeoutMs ?? FILE_STORE_DEFAULTS.lockTimeoutMs;
    if (!Number.isInteger(staleMs) || staleMs < 1) {
      throw new AitwsError('CONFIG', `lockTimeoutMs must be a whole number of at least 1 (got ${staleMs}).`);
    }
    // Waiting a little longer than the stale age lets a waiter take over an abandoned lock.
    this.#lock = { staleMs, waitMs: Math.ceil(staleMs * 1.5) };
  }

  /** Where a channel's access record lives (for operators and tests). */
  accessFile(channel: ChannelKey): string {
    return path.join(this.dataDir, 'access', `${fileName(channel)}.json`);
  }

  /** Where a channel's audit trail lives (for operators and tests). */
  auditFile(channel: ChannelKey): string {
    return path.join(this.dataDir, 'audit', `${fileName(channel)}.jsonl`);
  }

  read(channel: ChannelKey): Promise<AccessRecord> {
    const file = this.accessFile(channel);
    return this.#io('read', file, () => this.#readRecord(channel, file));
  }

  async write(channel: ChannelKey, expectedRevision: number, state: AccessState): Promise<boolean> {
    assertExpectedRevision(expectedRevision);
    const file = this.accessFile(channel);
    const { platform, workspace, channel: id } = channel;
    const key = { platform, workspace, channel: id };
    return this.#io('write', file, async () => {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      return withFileLock(`${file}.lock`, this.#lock, async () => {
        await this.#sweepOnce(path.dirname(file));
        const { revision } = await this.#readRecord(channel, file);
        if (revision !== expectedRevision) return false;
        const content = { format: RECORD_FORMAT, key, revision: revision + 1, state: stateOf(state) };
        await writeFileAtomic(file, JSON.stringify(content));
        return true;
      });
    });
  }

  appendAudit(entry: AuditEntryInput): Promise<AuditEntry> {
    const file = this.auditFile(entry.channel);
    return this.#io('write', file, async () => {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      return withFileLock(`${file}.lock`, this.#lock, async () => {
        const handle = await open(file, 'a+', 0o600);
        try {
          const { size } = await handle.stat();
          const tail = await readTail(handle, size, 1);
          if (tail.end < size) await handle.truncate(tail.end);
          const last = tail.lines[0];
          const previous = last === undefined ? 0 : this.#lineNumber(last, file);
          const line = JSON.stringify({ id: sequenceId(previous + 1), ...auditInputOf(entry) });
          await handle.appendFile(`${line}\n`, 'utf8');
          await handle.sync();
          return this.#decode(line, file);
        } finally {
          await handle.close();
        }
      });
    });
  }

  recentAudit(channel: ChannelKey, limit: number): Promise<readonly AuditEntry[]> {
    const count = recentCount(limit);
    const file = this.auditFile(channel);
    return this.#io('read', file, async () => {
      if (count === 0) return [];
      let handle: FileHandle;
      try {
        handle = await open(file, 'r');
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return [];
        throw error;
      }
      try {
        const { lines } = await readTail(handle, (await handle.stat()).size, count);
        return lines.map((line) => this.#decode(line, file)).reverse();
      } finally {
        await handle.close();
      }
    });
  }

  async *exportAudit(filter: AuditFilter): AsyncIterable<AuditEntry> {
    const dir = path.join(this.dataDir, 'audit');
    const names = await this.#io('read', dir, () => listTrails(dir));
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        for await (const line of completeLines(file)) {
          const entry = this.#decode(line, file);
          // One file is one channel: the first entry tells whether the rest can match.
          if (!matchesAuditChannel(entry.channel, filter)) break;
          if (matchesAuditFilter(entry, filter)) yield entry;
        }
      } catch (error) {
        throw this.#failure('read', file, error);
      }
    }
  }

  async close(): Promise<void> {}

  async #readRecord(channel: ChannelKey, file: string): Promise<AccessRecord> {
    const text = await readIfExists(file);
    if (text === null) return emptyAccess();
    const stored = parseStored(recordFileSchema, text, this.#shown(file));
    const { platform, workspace, channel: id } = stored.key;
    if (platform !== channel.platform || workspace !== channel.workspace || id !== channel.channel) {
      throw unreadableDataError(
        this.#shown(file),
        `it belongs to another channel (${platform}:${workspace}:${id})`,
      );
    }
    return { revision: stored.revision, ...stored.state };
  }

  #decode(line: string, file: string): AuditEntry {
    return parseStored(auditEntrySchema, line, this.#shown(file));
  }

  #lineNumber(line: string, file: string): number {
    const { id } = this.#decode(line, file);
    if (/^\d{1,15}$/.test(id)) return Number(id);
    throw unreadableDataError(
      this.#shown(file),
      `its last entry's id "${id.slice(0, 40)}" is not a line number`,
    );
  }

  /** Removes the access folder's stale temporaries once per store. Best effort. */
  async #sweepOnce(dir: string): Promise<void> {
    if (this.#swept) return;
    this.#swept = true;
    await removeStaleTemporaries(dir, TEMPORARY_MAX_AGE_MS).catch(() => undefined);
  }

  async #io<T>(action: 'read' | 'write', file: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.#failure(action, file, error);
    }
  }

  /** File-system failures become one retryable error naming the file as operators configure it. */
  #failure(action: 'read' | 'write', file: string, error: unknown): Error {
    if (error instanceof AitwsError) return error;
    const code = errorCode(error) ?? 'unknown error';
    return new StorageUnavailableError(
      `Could not ${action} access data at ${this.#shown(file)} (${code}).`,
      error,
    );
  }

  #shown(file: string): string {
    return path.join(DATA_DIR_LABEL, path.relative(this.dataDir, file));
  }
}

function fileName(channel: ChannelKey): string {
  return storageName([channel.platform, channel.workspace, channel.channel]);
}

async function listTrails(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.jsonl')).sort();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The last `count` complete lines (oldest first) of a file of `size` bytes, and where the last
 * complete line ends; bytes after it are a torn append. Reads backwards, so cost follows `count`.
 */
async function readTail(
  handle: FileHandle,
  size: number,
  count: number,
): Promise<{ readonly lines: string[]; readonly end: number }> {
  let start = size;
  const chunks: Buffer[] = [];
  let found = 0;
  // count + 1 newlines: the one ending the last complete line, and one before each line wanted.
  while (start > 0 && found < count + 1) {
    const length = Math.min(TAIL_CHUNK, start);
    start -= length;
    const chunk = Buffer.alloc(length);
    await handle.read(chunk, 0, length, start);
    found += newlines(chunk);
    chunks.unshift(chunk);
  }
  const bytes = Buffer.concat(chunks);
  const last = bytes.lastIndexOf(NEWLINE);
  if (last === -1) return { lines: [], end: 0 };
  const lines = bytes.subarray(0, last).toString('utf8').split('\n');
  // Without reaching the start of the file, the first piece may be cut mid-line.
  const whole = start === 0 ? lines : lines.slice(1);
  return { lines: whole.slice(-count), end: start + last + 1 };
}

function newlines(bytes: Buffer): number {
  let found = 0;
  for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) found += 1;
  return found;
}

/** Each line that ends in a newline; a torn last line is left out. */
async function* completeLines(file: string): AsyncIterable<string> {
  let pending = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    const parts = `${pending}${String(chunk)}`.split('\n');
    pending = parts.pop() ?? '';
    yield* parts;
  }
}
