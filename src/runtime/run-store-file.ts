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
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AitwsError, StorageUnavailableError } from '../errors.js';
import { parseStored } from '../session/codec.js';
import { errorCode, readIfExists, replaceFilesAtomic, writeFileAtomic } from '../session/file-io.js';
import { type LockOptions, withFileLock } from '../session/file-lock.js';
import { FILE_STORE_DEFAULTS } from '../session/file-store.js';
import { storageName } from '../session/file-store-channel.js';
import type { ChannelKey } from '../session/port.js';
import {
  assertLimit,
  assertTransition,
  changedFields,
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
import {
  changeSchema,
  decodeMemo,
  fixedOf,
  fixedSchema,
  fixedToJson,
  type RunFixed,
  revisionSchema,
  runOf,
  type StoredChange,
  sameChannel,
} from './run-store-codec.js';
import { ChannelIndex } from './run-store-file-index.js';
import { JournalCache, newJournal, readJournal } from './run-store-file-journal.js';

/** The store's own folders under the data directory, which nothing else may write into. */
export const RUN_FILE_FOLDERS = ['runs'] as const;

export interface FileRunStoreOptions {
  readonly dataDir: string;
  /** A lock file older than this is taken over as abandoned. Default 10 s, as the session store. */
  readonly lockTimeoutMs?: number;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const RUN_FORMAT = 'aitws.run/1';
const RECORD_FORMAT = 'aitws.run-record/1';
const runFileSchema = fixedSchema.extend({ format: z.literal(RUN_FORMAT) });
const recordFileSchema = z.object({
  format: z.literal(RECORD_FORMAT),
  revision: revisionSchema,
  change: changeSchema,
});
const memoFileSchema = z.object({ key: z.string() });
const DATA_DIR_LABEL = '$AITWS_DATA_DIR';

interface RunFiles {
  readonly dir: string;
  readonly run: string;
  readonly record: string;
  readonly steps: string;
  readonly memos: string;
  readonly lock: string;
}

interface StoredState {
  readonly revision: number;
  readonly change: StoredChange;
}

/** USAGE unless `id` is a safe path component. */
export function assertRunId(id: string): void {
  if (RUN_ID.test(id)) return;
  throw new AitwsError('USAGE', `"${id.slice(0, 80)}" is not a usable run id.`, {
    hint: 'A run id is 1 to 64 letters, digits, "-" or "_".',
  });
}

export class FileRunStore implements RunStore {
  readonly dataDir: string;
  readonly #runsDir: string;
  readonly #lock: LockOptions;
  readonly #index: ChannelIndex;
  readonly #journals = new JournalCache();

  constructor(options: FileRunStoreOptions) {
    this.dataDir = path.resolve(options.dataDir);
    this.#runsDir = path.join(this.dataDir, 'runs');
    const staleMs = options.lockTimeoutMs ?? FILE_STORE_DEFAULTS.lockTimeoutMs;
    if (!Number.isInteger(staleMs) || staleMs < 1) {
      throw new AitwsError('CONFIG', `lockTimeoutMs must be a whole number of at least 1 (got ${staleMs}).`);
    }
    // Waiting a little longer than the stale age lets a waiter take over an abandoned lock.
    this.#lock = { staleMs, waitMs: Math.ceil(staleMs * 1.5) };
    this.#index = new ChannelIndex(path.join(this.#runsDir, '.channels'), this.#lock);
  }

  /** A run's directory (for operators and tests); USAGE for an unusable id. */
  runDir(id: string): string {
    return this.#files(id).dir;
  }

  async create(run: NewRun): Promise<RunRecord> {
    const files = this.#files(run.id);
    if (run.state !== 'queued') throw new AitwsError('USAGE', `A new run must be queued, not ${run.state}.`);
    const fixed = JSON.stringify({ format: RUN_FORMAT, ...fixedToJson(run) });
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
    const source = this.#shown(files.run);
    const { change } = parseStored(recordFileSchema, record, this.#shown(files.record));
    return runOf(fixedOf(parseStored(runFileSchema, fixed, source), source), change, 1);
  }

  async read(id: string): Promise<RunRecord | null> {
    const files = this.#files(id);
    return this.#io('read', files.dir, () => this.#readRun(files));
  }

  async update(id: string, expectedRevision: number, next: RunChange): Promise<UpdateResult> {
    const files = this.#files(id);
    return this.#locked(files, 'write', async () => {
      const stored = await this.#readState(files);
      if (stored === null) return { ok: false, current: null };
      if (stored.revision !== expectedRevision) return { ok: false, current: await this.#readRun(files) };
      assertTransition(stored.change.state, next.state);
      const revision = stored.revision + 1;
      await writeFileAtomic(files.record, encodeRecord(revision, next));
      return { ok: true, revision };
    });
  }

  async recordStep(id: string, step: StepInput): Promise<StepRecord> {
    const files = this.#files(id);
    return this.#locked(files, 'write', async () => {
      await this.#assertExists(files, id, `its step ${step.key} was not recorded`);
      return this.#journals.record(id, files.steps, this.#shown(files.steps), step);
    });
  }

  async steps(id: string): Promise<StepRecord[]> {
    const files = this.#files(id);
    return this.#io('read', files.steps, async () => {
      if (!(await exists(files.record))) return [];
      return (await readJournal(files.steps, this.#shown(files.steps))) ?? [];
    });
  }

  async readStepMemo(id: string, key: string): Promise<StepMemo | null> {
    const files = this.#files(id);
    return this.#io('read', files.memos, async () => {
      if (!(await exists(files.record))) return null;
      return this.#readMemo(files, key);
    });
  }

  async writeStepMemo(
    id: string,
    key: string,
    expectedRevision: number,
    value: JsonObject,
  ): Promise<boolean> {
    const files = this.#files(id);
    return this.#locked(files, 'write', async () => {
      await this.#assertExists(files, id, `the memo of its step ${key} was not written`);
      const revision = (await this.#readMemo(files, key))?.revision ?? 0;
      if (revision !== expectedRevision) return false;
      await mkdir(files.memos, { recursive: true, mode: 0o700 });
      const content = JSON.stringify({ key, revision: revision + 1, value });
      await writeFileAtomic(memoFile(files, key), content);
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
        if (!RUN_ID.test(id)) continue;
        const files = this.#files(id);
        const state = await this.#readState(files);
        if (state === null || (states !== undefined && !states.includes(state.change.state))) continue;
        const fixed = await this.#readFixed(files);
        // The index is a hint: an entry may outlive its run, or name a run created elsewhere.
        if (fixed === null || fixed.id !== id || !sameChannel(fixed.channel, channel)) continue;
        runs.push(runOf(fixed, state.change, state.revision));
      }
      return runs;
    });
  }

  async removeFinishedBefore(date: Date): Promise<number> {
    const cutoff = date.getTime();
    const ids = await this.#io('read', this.#runsDir, () => runIds(this.#runsDir));
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
    const files = this.#files(id);
    const isExpired = (state: StoredState | null): state is StoredState =>
      state !== null && isFinal(state.change.state) && Date.parse(state.change.updatedAt) < cutoff;
    // Most runs are kept: decide without the lock first, then make sure under it.
    if (!isExpired(await this.#io('read', files.record, () => this.#readState(files)))) return null;
    return this.#locked(files, 'write', async () => {
      if (!isExpired(await this.#readState(files))) return null;
      const fixed = await this.#readFixed(files);
      await rm(files.record, { force: true });
      await rm(files.dir, { recursive: true, force: true });
      this.#journals.forget(id);
      return fixed?.channel ?? null;
    });
  }

  #files(id: string): RunFiles {
    assertRunId(id);
    const dir = path.join(this.#runsDir, id);
    return {
      dir,
      run: path.join(dir, 'run.json'),
      record: path.join(dir, 'record.json'),
      steps: path.join(dir, 'steps.jsonl'),
      memos: path.join(dir, 'memos'),
      lock: `${dir}.lock`,
    };
  }

  async #readState(files: RunFiles): Promise<StoredState | null> {
    const text = await readIfExists(files.record);
    return text === null ? null : parseStored(recordFileSchema, text, this.#shown(files.record));
  }

  async #readFixed(files: RunFiles): Promise<RunFixed | null> {
    const text = await readIfExists(files.run);
    if (text === null) return null;
    const source = this.#shown(files.run);
    return fixedOf(parseStored(runFileSchema, text, source), source);
  }

  async #readRun(files: RunFiles): Promise<RunRecord | null> {
    const state = await this.#readState(files);
    if (state === null) return null;
    const fixed = await this.#readFixed(files);
    // Removed between the two reads, or another id's run on a case-insensitive file system.
    if (fixed === null || fixed.id !== path.basename(files.dir)) return null;
    return runOf(fixed, state.change, state.revision);
  }

  async #readMemo(files: RunFiles, key: string): Promise<StepMemo | null> {
    const file = memoFile(files, key);
    const text = await readIfExists(file);
    if (text === null) return null;
    const source = this.#shown(file);
    // The file name is a hash of the key; the key inside tells a collision from the real one.
    if (parseStored(memoFileSchema, text, source).key !== key) return null;
    return decodeMemo(text, source);
  }

  async #assertExists(files: RunFiles, id: string, what: string): Promise<void> {
    if (!(await exists(files.record))) throw new AitwsError('USAGE', `No run ${id}; ${what}.`);
  }

  async #locked<T>(files: RunFiles, action: 'read' | 'write', work: () => Promise<T>): Promise<T> {
    return this.#io(action, files.dir, async () => {
      await mkdir(this.#runsDir, { recursive: true, mode: 0o700 });
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
        `Could not ${action} run data at ${this.#shown(file)} (${code}).`,
        error,
      );
    }
  }

  #shown(file: string): string {
    return path.join(DATA_DIR_LABEL, path.relative(this.dataDir, file));
  }
}

function encodeRecord(revision: number, change: RunChange): string {
  return JSON.stringify({ format: RECORD_FORMAT, revision, change: changedFields(change) });
}

function memoFile(files: RunFiles, key: string): string {
  return path.join(files.memos, `${storageName([key])}.json`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** The run directories under `runsDir` (anything else there is skipped). */
async function runIds(runsDir: string): Promise<string[]> {
  try {
    const entries = await readdir(runsDir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory() && RUN_ID.test(entry.name)).map((e) => e.name);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
}
