/**
 * FeedbackStore under the data directory (the embedded runtime):
 *
 *   <dataDir>/ai/feedback/<label>.<hash>.jsonl        one channel and workflow, one rating per line
 *   <dataDir>/ai/feedback/<label>.<hash>.jsonl.lock   held while a rating is added
 *
 * Names are storageName of [channel, workflow]: a readable label and a hash, so no channel or
 * workflow name can reach outside the folder or collide with another. Each line carries its scope.
 *
 * A rating that replaces an earlier one (same person, run and action) must remove that line, so
 * add() rewrites the file atomically under the cross-process lock instead of appending. Ratings
 * come from people clicking, a few per run, so a file stays small and the rewrite cheap; readers
 * never see a torn file.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { AitwsError, StorageUnavailableError } from '../../errors.js';
import { errorCode, readIfExists, writeFileAtomic } from '../../session/file-io.js';
import { type LockOptions, withFileLock } from '../../session/file-lock.js';
import { storageName } from '../../session/file-store-channel.js';
import {
  checkEntry,
  checkLimit,
  decodeStored,
  oldestFirst,
  ratingId,
  type ScopedEntry,
  scopedEntry,
  selectNewest,
  unscoped,
} from './feedback-store.js';
import type { FeedbackEntry, FeedbackStore, WorkflowScope } from './stores.js';

/** The store's folder under the data directory. */
export const FEEDBACK_FOLDER = path.join('ai', 'feedback');

export interface FileFeedbackStoreOptions {
  readonly dataDir: string;
  /** A lock file older than this is taken over as abandoned. Default 10 s, as the other stores. */
  readonly lockTimeoutMs?: number;
}

const DATA_DIR_LABEL = '$AITWS_DATA_DIR';

export class FileFeedbackStore implements FeedbackStore {
  readonly dataDir: string;
  readonly #lock: LockOptions;

  constructor(options: FileFeedbackStoreOptions) {
    this.dataDir = path.resolve(options.dataDir);
    const staleMs = options.lockTimeoutMs ?? 10_000;
    if (!Number.isInteger(staleMs) || staleMs < 1)
      throw new AitwsError('CONFIG', `lockTimeoutMs must be a whole number of at least 1 (got ${staleMs}).`);
    this.#lock = { staleMs, waitMs: Math.ceil(staleMs * 1.5) };
  }

  /** Where one channel and workflow's ratings live (for operators and tests). */
  file(scope: WorkflowScope): string {
    return path.join(this.#folder(), `${storageName([scope.channel, scope.workflow])}.jsonl`);
  }

  async add(scope: WorkflowScope, entry: FeedbackEntry): Promise<void> {
    checkEntry(scope, entry);
    const file = this.file(scope);
    const stored = scopedEntry(scope, entry);
    const id = ratingId(entry);
    return this.#io('write', file, async () => {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await withFileLock(`${file}.lock`, this.#lock, async () => {
        const kept = (await this.#read(file)).filter((line) => ratingId(line) !== id);
        const lines = [...kept, stored].map((line) => `${JSON.stringify(line)}\n`);
        await writeFileAtomic(file, lines.join(''));
      });
    });
  }

  async list(
    scope: WorkflowScope,
    options: { readonly action?: string; readonly limit: number },
  ): Promise<FeedbackEntry[]> {
    checkLimit(options.limit);
    const file = this.file(scope);
    const entries = await this.#io('read', file, () => this.#read(file));
    return selectNewest(entries.map(unscoped), options);
  }

  async *all(): AsyncIterable<ScopedEntry> {
    const folder = this.#folder();
    const names = await this.#io('read', folder, () => listFiles(folder));
    for (const name of names) {
      const file = path.join(folder, name);
      yield* (await this.#io('read', file, () => this.#read(file))).sort(oldestFirst);
    }
  }

  #folder(): string {
    return path.join(this.dataDir, FEEDBACK_FOLDER);
  }

  async #read(file: string): Promise<ScopedEntry[]> {
    const text = await readIfExists(file);
    if (text === null) return [];
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => decodeStored(line, this.#shown(file)));
  }

  async #io<T>(action: 'read' | 'write', file: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AitwsError) throw error;
      const code = errorCode(error) ?? 'unknown error';
      throw new StorageUnavailableError(
        `Could not ${action} feedback at ${this.#shown(file)} (${code}).`,
        error,
      );
    }
  }

  #shown(file: string): string {
    return path.join(DATA_DIR_LABEL, path.relative(this.dataDir, file));
  }
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.jsonl')).sort();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
}
