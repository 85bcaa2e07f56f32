/**
 * The AI stores (stores.ts) as plain files under the data directory, for the embedded runtime,
 * which several OS processes (the console and `aitws worker`) may share:
 *
 *   <dataDir>/ai/cache/<sha256>.json                 {fingerprint, expiresAt, value}
 *   <dataDir>/ai/budget/<label>.<hash>-<YYYY-MM>.json {workspace, month, spentMicros, charged}
 *   <dataDir>/ai/drift/<label>.<hash>.json           {channel, workflow, action, samples}
 *
 * Names are a hash of the fingerprint, or storageName (a readable label and a hash, as the
 * session store names channels) of the workspace or series, so any text is a safe file name.
 * Every file is replaced whole (temp + rename), so readers never see half a write. Budget charges and drift records read, change and
 * write under the file's cross-process lock (src/session/file-lock.ts), so none is lost to another
 * process; the cache needs none: the last write wins, as with Redis SET.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AitwsError } from '../../errors.js';
import { parseStored } from '../../session/codec.js';
import { readIfExists, removeIfPresent, writeFileAtomic } from '../../session/file-io.js';
import { type LockOptions, withFileLock } from '../../session/file-lock.js';
import { FILE_STORE_DEFAULTS } from '../../session/file-store.js';
import { storageName } from '../../session/file-store-channel.js';
import type { JsonObject } from '../run-store.js';
import type { WorkspaceBudget } from './budget.js';
import {
  type BudgetLimit,
  chargeMicros,
  checkedSample,
  checkedWindow,
  digest,
  driftSampleSchema,
  driftSeries,
  jsonObjectSchema,
  limitOf,
  monthOf,
  remainingUsd,
  summarise,
  ttlMs,
} from './store-common.js';
import type { AiResponseCache, DriftSample, DriftStore, DriftSummary, WorkflowScope } from './stores.js';

/** The store's own folders under the data directory, which nothing else may write into. */
export const AI_FILE_FOLDERS = ['ai'] as const;

interface FileStoreOptions {
  readonly dataDir: string;
  /** A lock file older than this is taken over as abandoned. Default 10 s, as the session store. */
  readonly lockTimeoutMs?: number;
}

function lockOptions(options: FileStoreOptions): LockOptions {
  const staleMs = options.lockTimeoutMs ?? FILE_STORE_DEFAULTS.lockTimeoutMs;
  if (!Number.isInteger(staleMs) || staleMs < 1)
    throw new AitwsError('CONFIG', `lockTimeoutMs must be a whole number of at least 1 (got ${staleMs}).`);
  // Waiting a little longer than the stale age lets a waiter take over an abandoned lock.
  return { staleMs, waitMs: Math.ceil(staleMs * 1.5) };
}

async function writeJson(file: string, json: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(json)}\n`);
}

const cacheEntrySchema = z.object({
  fingerprint: z.string(),
  expiresAt: z.number(),
  value: jsonObjectSchema,
});

export interface FileAiResponseCacheOptions {
  readonly dataDir: string;
  /** Milliseconds since the epoch; tests move it to expire entries. Default Date.now. */
  readonly now?: () => number;
}

export class FileAiResponseCache implements AiResponseCache {
  readonly #dir: string;
  readonly #now: () => number;

  constructor(options: FileAiResponseCacheOptions) {
    this.#dir = path.join(path.resolve(options.dataDir), 'ai', 'cache');
    this.#now = options.now ?? Date.now;
  }

  async get(fingerprint: string): Promise<JsonObject | undefined> {
    const file = this.#file(fingerprint);
    const text = await readIfExists(file);
    if (text === null) return undefined;
    const entry = readCacheEntry(text);
    // An unreadable entry is only a miss: the step calls the model again and set() replaces it.
    if (entry === undefined || entry.fingerprint !== fingerprint) return undefined;
    if (entry.expiresAt > this.#now()) return entry.value;
    // Expired. Should another process have just stored a fresh one, it is lost: one more call.
    await removeIfPresent(file);
    return undefined;
  }

  async set(fingerprint: string, value: JsonObject, ttlSeconds: number): Promise<void> {
    const expiresAt = this.#now() + ttlMs(ttlSeconds);
    await writeJson(this.#file(fingerprint), { fingerprint, expiresAt, value });
  }

  #file(fingerprint: string): string {
    return path.join(this.#dir, `${digest(fingerprint)}.json`);
  }
}

function readCacheEntry(text: string): z.infer<typeof cacheEntrySchema> | undefined {
  try {
    return parseStored(cacheEntrySchema, text, 'the AI response cache');
  } catch {
    return undefined;
  }
}

const budgetSchema = z.object({
  workspace: z.string(),
  month: z.string(),
  spentMicros: z.number().int().nonnegative(),
  charged: z.array(z.string()),
});
type BudgetFile = z.infer<typeof budgetSchema>;

export interface FileWorkspaceBudgetOptions extends FileStoreOptions {
  /** USD per workspace per month, the same for all or looked up per workspace. */
  readonly limit: BudgetLimit;
  /** Milliseconds since the epoch; picks the month (UTC). Default Date.now. */
  readonly now?: () => number;
}

export class FileWorkspaceBudget implements WorkspaceBudget {
  readonly #dir: string;
  readonly #limit: BudgetLimit;
  readonly #now: () => number;
  readonly #lock: LockOptions;

  constructor(options: FileWorkspaceBudgetOptions) {
    this.#dir = path.join(path.resolve(options.dataDir), 'ai', 'budget');
    this.#limit = options.limit;
    this.#now = options.now ?? Date.now;
    this.#lock = lockOptions(options);
  }

  async remaining(workspace: string): Promise<number> {
    const month = monthOf(this.#now());
    const spent = await this.#read(this.#file(workspace, month));
    return remainingUsd(limitOf(this.#limit, workspace), spent?.spentMicros ?? 0);
  }

  async charge(workspace: string, amount: number, idempotencyKey: string): Promise<void> {
    const micros = chargeMicros(amount);
    const month = monthOf(this.#now());
    const file = this.#file(workspace, month);
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await withFileLock(`${file}.lock`, this.#lock, async () => {
      const current = (await this.#read(file)) ?? { workspace, month, spentMicros: 0, charged: [] };
      if (current.charged.includes(idempotencyKey)) return;
      await writeJson(file, {
        ...current,
        spentMicros: current.spentMicros + micros,
        charged: [...current.charged, idempotencyKey],
      } satisfies BudgetFile);
    });
  }

  async #read(file: string): Promise<BudgetFile | undefined> {
    const text = await readIfExists(file);
    return text === null ? undefined : parseStored(budgetSchema, text, file);
  }

  #file(workspace: string, month: string): string {
    return path.join(this.#dir, `${storageName([workspace])}-${month}.json`);
  }
}

const driftSchema = z.object({
  channel: z.string(),
  workflow: z.string(),
  action: z.string(),
  samples: z.array(driftSampleSchema),
});

export interface FileDriftStoreOptions extends FileStoreOptions {
  /** Samples kept per workflow and action, newest first. Default 50. */
  readonly window?: number;
}

export class FileDriftStore implements DriftStore {
  readonly #dir: string;
  readonly #window: number;
  readonly #lock: LockOptions;

  constructor(options: FileDriftStoreOptions) {
    this.#dir = path.join(path.resolve(options.dataDir), 'ai', 'drift');
    this.#window = checkedWindow(options.window);
    this.#lock = lockOptions(options);
  }

  async record(scope: WorkflowScope, sample: DriftSample): Promise<DriftSummary> {
    const checked = checkedSample(sample);
    const file = this.#file(scope, sample.action);
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    return withFileLock(`${file}.lock`, this.#lock, async () => {
      const samples = [checked, ...(await this.#read(file))].slice(0, this.#window);
      const [channel, workflow, action] = driftSeries(scope, sample.action);
      await writeJson(file, { channel, workflow, action, samples });
      return summarise(samples);
    });
  }

  async summary(scope: WorkflowScope, action: string): Promise<DriftSummary> {
    return summarise(await this.#read(this.#file(scope, action)));
  }

  /** Newest first, at most the window (a file written with a larger one keeps more). */
  async #read(file: string): Promise<DriftSample[]> {
    const text = await readIfExists(file);
    if (text === null) return [];
    return parseStored(driftSchema, text, file).samples.slice(0, this.#window);
  }

  #file(scope: WorkflowScope, action: string): string {
    return path.join(this.#dir, `${storageName(driftSeries(scope, action))}.json`);
  }
}
