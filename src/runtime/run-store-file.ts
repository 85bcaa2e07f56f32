/**
 * The embedded-mode RunStore: plain files under the data directory, which several OS processes
 * (the console and `aitws worker`) may share.
 *
 *   <dataDir>/runs/<id>/run.json         the fixed part (document snapshot, inputs…), written once
 *   <dataDir>/runs/<id>/record.json      revision and mutable state, replaced atomically per update
 *   <dataDir>/runs/<id>/steps.jsonl      the step journal (run-store-file-journal.ts)
 *   <dataDir>/runs/<id>/memos/<name>.json  one step memo each (name: storageName of the step key)
 *   <dataDir>/runs/<id>.lock             held while any of those is written
 *   <dataDir>/runs/.channels/…           per-channel index for list (run-store-file-index.ts)
 *
 * A run exists when its record.json does: create writes it last and retention removes it first.
 * Every change takes the run's cross-process lock (src/session/file-lock.ts), so compare-and-set
 * holds across processes; reads take no lock (each file is replaced whole, never edited).
 *
 * Run ids are path components, so only `[A-Za-z0-9_-]{1,64}` is accepted (USAGE otherwise).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AitwsError, StorageUnavailableError } from '../errors.js';
import { errorCode, readIfExists, replaceFilesAtomic, writeFileAtomic } from '../session/file-io.js';
import { type LockOptions, withFileLock } from '../session/file-lock.js';
import { FILE_STORE_DEFAULTS } from '../session/file-store.js';
import type { ChannelKey } from '../session/port.js';
import {
  assertLimit,
  assertTransition,
  isFinal,
  type JsonObject,
  type ListOptions,
  type NewRun,
  type RunChange,
  type RunRecord,
  type RunStore,
  type StepInput,
  type StepMemo,
  type StepRecord,
  type UpdateResult,
} from './run-store.js';
import { runOf, sameChannel } from './run-store-codec.js';
import { ChannelIndex } from './run-store-file-index.js';
import { JournalCache, newJournal, readJournal } from './run-store-file-journal.js';
import {
  encodeFixed,
  encodeMemo,
  encodeRecord,
  exists,
  isRunId,
  type RunFiles,
  RunLayout,
  type StoredState,
} from './run-store-file-layout.js';

export { assertRunId } from './run-store-file-layout.js';

/** The store's own folders under the data directory, which nothing else may write into. */
export const RUN_FILE_FOLDERS = ['runs'] as const;

export interface FileRunStoreOptions {
  readonly dataDir: string;
  /** A lock file older than this is taken over as abandoned. Default 10 s, as the session store. */
  readonly lockTimeoutMs?: number;
}

export class FileRunStore implements RunStore {
  readonly dataDir: string;
  readonly #layout: RunLayout;
  readonly #lock: LockOptions;
  readonly #index: ChannelIndex;
  readonly #journals = new JournalCache();

  constructor(options: FileRunStoreOptions) {
    this.dataDir = path.resolve(options.dataDir);
    this.#layout = new RunLayout(this.dataDir);
    const staleMs = options.lockTimeoutMs ?? FILE_STORE_DEFAULTS.lockTimeoutMs;
    if (!Number.isInteger(staleMs) || staleMs < 1) {
      throw new AitwsError('CONFIG', `lockTimeoutMs must be a whole number of at least 1 (got ${staleMs}).`);
    }
    // Waiting a little longer than the stale age lets a waiter take over an abandoned lock.
    this.#lock = { staleMs, waitMs: Math.ceil(staleMs * 1.5) };
    this.#index = new ChannelIndex(path.join(this.#layout.runsDir, '.channels'), this.#lock);
  }

  /** A run's directory (for operators and tests); USAGE for an unusable id. */
  runDir(id: string): string {
    return this.#layout.files(id).dir;
  }

  async create(run: NewRun): Promise<RunRecord> {
    const files = this.#layout.files(run.id);
    if (run.state !== 'queued') throw new AitwsError('USAGE', `A new run must be queued, not ${run.state}.`);
    const fixed = encodeFixed(run);
    const record = encodeRecord(1, run);
    await this.#locked(files, 'write', async () => {
      if ((await readIfExists(files.record)) !== null) {
        throw new AitwsError('CONFLICT', `A run with id ${run.id} already exists; nothing was changed.`);
      }
      await this.#index.add(run.channel, { id: run.id, createdAt: run.createdAt });
      // Leftovers of a removal cut short must not leak into the new run.
      await rm(files.memos, { recursive: true, force: true });
      await mkdir(files.dir, { recursive: true, mode: 0o700 });
      await replaceFilesAtomic([
        { file: files.run, content: fixed },
        { file: files.steps, content: newJournal() },
        { file: files.record, content: record },
      ]);
      this.#journals.forget(run.id);
    });
    const { change } = this.#layout.decodeState(record, files);
    return runOf(this.#layout.decodeFixed(fixed, files), change, 1);
  }

  async read(id: string): Promise<RunRecord | null> {
    const files = this.#layout.files(id);
    return this.#io('read', files.dir, () => this.#layout.readRun(files));
  }

  async update(id: string, expectedRevision: number, next: RunChange): Promise<UpdateResult> {
    const files = this.#layout.files(id);
    return this.#locked(files, 'write', async () => {
      const stored = await this.#layout.readState(files);
      if (stored === null) return { ok: false, current: null };
      if (stored.revision !== expectedRevision)
        return { ok: false, current: await this.#layout.readRun(files) };
      assertTransition(stored.change.state, next.state);
      const revision = stored.revision + 1;
      await writeFileAtomic(files.record, encodeRecord(revision, next));
      return { ok: true, revision };
    });
  }

  async recordStep(id: string, step: StepInput): Promise<StepRecord> {
    const files = this.#layout.files(id);
    return this.#locked(files, 'write', async () => {
      await this.#assertExists(files, id, `its step ${step.key} was not recorded`);
      return this.#journals.record(id, files.steps, this.#layout.shown(files.steps), step);
    });
  }

  async steps(id: string): Promise<StepRecord[]> {
    const files = this.#layout.files(id);
    return this.#io('read', files.steps, async () => {
      if (!(await exists(files.record))) return [];
      return (await readJournal(files.steps, this.#layout.shown(files.steps))) ?? [];
    });
  }

  async unfinished(limit: number): Promise<string[]> {
    assertLimit(limit);
    return this.#io('read', this.#layout.runsDir, async () => {
      const ids: string[] = [];
      for (const id of await this.#layout.runIds()) {
        if (ids.length >= limit) break;
        const state = await this.#layout.readState(this.#layout.files(id));
        if (state !== null && !isFinal(state.change.state)) ids.push(id);
      }
      return ids;
    });
  }

  async readStepMemo(id: string, key: string): Promise<StepMemo | null> {
    const files = this.#layout.files(id);
    return this.#io('read', files.memos, async () => {
      if (!(await exists(files.record))) return null;
      return this.#layout.readMemo(files, key);
    });
  }

  async writeStepMemo(
    id: string,
    key: string,
    expectedRevision: number,
    value: JsonObject,
  ): Promise<boolean> {
    const files = this.#layout.files(id);
    return this.#locked(files, 'write', async () => {
      await this.#assertExists(files, id, `the memo of its step ${key} was not written`);
      const revision = (await this.#layout.readMemo(files, key))?.revision ?? 0;
      if (revision !== expectedRevision) return false;
      await mkdir(files.memos, { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.#layout.memoFile(files, key), encodeMemo(key, revision + 1, value));
      return true;
    });
  }

  async list(channel: ChannelKey, options: ListOptions): Promise<RunRecord[]> {
    assertLimit(options.limit);
    const { states } = options;
    return this.#io('read', this.#index.file(channel), async () => {
      const runs: RunRecord[] = [];
      for (const { id } of await this.#index.read(channel)) {
        if (runs.length >= options.limit) break;
        if (!isRunId(id)) continue;
        const files = this.#layout.files(id);
        const state = await this.#layout.readState(files);
        if (state === null || (states !== undefined && !states.includes(state.change.state))) continue;
        const fixed = await this.#layout.readFixed(files);
        // The index is a hint: an entry may outlive its run, or name a run created elsewhere.
        if (fixed === null || fixed.id !== id || !sameChannel(fixed.channel, channel)) continue;
        runs.push(runOf(fixed, state.change, state.revision));
      }
      return runs;
    });
  }

  async removeFinishedBefore(date: Date): Promise<number> {
    const cutoff = date.getTime();
    const ids = await this.#io('read', this.#layout.runsDir, () => this.#layout.runIds());
    const removedByChannel = new Map<string, { channel: ChannelKey; ids: Set<string> }>();
    const failures: unknown[] = [];
    let removed = 0;
    for (const id of ids) {
      try {
        const channel = await this.#removeIfFinished(id, cutoff);
        if (channel === null) continue;
        removed += 1;
        const key = JSON.stringify([channel.platform, channel.workspace, channel.channel]);
        const group = removedByChannel.get(key) ?? { channel, ids: new Set<string>() };
        group.ids.add(id);
        removedByChannel.set(key, group);
      } catch (error) {
        // One unreadable run must not stop retention for all the others; it is reported below.
        failures.push(error);
      }
    }
    for (const { channel, ids: gone } of removedByChannel.values()) {
      await this.#io('write', this.#index.file(channel), () => this.#index.remove(channel, gone));
    }
    if (failures.length > 0) throw failures[0];
    return removed;
  }

  async close(): Promise<void> {}

  /** Removes the run when it finished before `cutoff`; returns its channel, or null when kept. */
  async #removeIfFinished(id: string, cutoff: number): Promise<ChannelKey | null> {
    const files = this.#layout.files(id);
    const isExpired = (state: StoredState | null): state is StoredState =>
      state !== null && isFinal(state.change.state) && Date.parse(state.change.updatedAt) < cutoff;
    // Most runs are kept: decide without the lock first, then make sure under it.
    if (!isExpired(await this.#io('read', files.record, () => this.#layout.readState(files)))) return null;
    return this.#locked(files, 'write', async () => {
      if (!isExpired(await this.#layout.readState(files))) return null;
      const fixed = await this.#layout.readFixed(files);
      await rm(files.record, { force: true });
      await rm(files.dir, { recursive: true, force: true });
      this.#journals.forget(id);
      return fixed?.channel ?? null;
    });
  }

  async #assertExists(files: RunFiles, id: string, what: string): Promise<void> {
    if (!(await exists(files.record))) throw new AitwsError('USAGE', `No run ${id}; ${what}.`);
  }

  async #locked<T>(files: RunFiles, action: 'read' | 'write', work: () => Promise<T>): Promise<T> {
    return this.#io(action, files.dir, async () => {
      await mkdir(this.#layout.runsDir, { recursive: true, mode: 0o700 });
      return withFileLock(files.lock, this.#lock, work);
    });
  }

  async #io<T>(action: 'read' | 'write', file: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AitwsError) throw error;
      const code = errorCode(error) ?? 'unknown error';
      throw new StorageUnavailableError(
        `Could not ${action} run data at ${this.#layout.shown(file)} (${code}).`,
        error,
      );
    }
  }
}
