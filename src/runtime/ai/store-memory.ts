/**
 * The AI stores (stores.ts) in memory, for tests and a single process: the response cache and
 * drift telemetry. The memory WorkspaceBudget lives beside its port in budget.ts.
 *
 * Values are copied in and out, so a caller editing what it stored or got back cannot change the
 * stored copy, as with the file and Redis stores.
 */
import type { JsonObject } from '../run-store.js';
import { checkedSample, checkedWindow, digest, driftSeries, summarise, ttlMs } from './store-common.js';
import type { AiResponseCache, DriftSample, DriftStore, DriftSummary, WorkflowScope } from './stores.js';

export interface MemoryAiResponseCacheOptions {
  /** Milliseconds since the epoch; tests move it to expire entries. Default Date.now. */
  readonly now?: () => number;
}

const SWEEP_EVERY = 256;

interface CacheEntry {
  readonly value: JsonObject;
  readonly expiresAt: number;
}

export class MemoryAiResponseCache implements AiResponseCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #now: () => number;
  #setsSinceSweep = 0;

  constructor(options: MemoryAiResponseCacheOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async get(fingerprint: string): Promise<JsonObject | undefined> {
    const entry = this.#entries.get(fingerprint);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(fingerprint);
      return undefined;
    }
    return structuredClone(entry.value);
  }

  async set(fingerprint: string, value: JsonObject, ttlSeconds: number): Promise<void> {
    const expiresAt = this.#now() + ttlMs(ttlSeconds);
    this.#entries.set(fingerprint, { value: structuredClone(value), expiresAt });
    this.#sweep();
  }

  /**
   * Expired entries nobody asks for again would otherwise stay for the life of the process. Every
   * SWEEP_EVERY sets, so a set costs O(1) amortised.
   */
  #sweep(): void {
    this.#setsSinceSweep += 1;
    if (this.#setsSinceSweep < SWEEP_EVERY) return;
    this.#setsSinceSweep = 0;
    const now = this.#now();
    for (const [fingerprint, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(fingerprint);
    }
  }
}

export interface MemoryDriftStoreOptions {
  /** Samples kept per workflow and action, newest first. Default 50. */
  readonly window?: number;
}

export class MemoryDriftStore implements DriftStore {
  readonly #series = new Map<string, DriftSample[]>();
  readonly #window: number;

  constructor(options: MemoryDriftStoreOptions = {}) {
    this.#window = checkedWindow(options.window);
  }

  async record(scope: WorkflowScope, sample: DriftSample): Promise<DriftSummary> {
    const key = digest(...driftSeries(scope, sample.action));
    const samples = [checkedSample(sample), ...(this.#series.get(key) ?? [])].slice(0, this.#window);
    this.#series.set(key, samples);
    return summarise(samples);
  }

  async summary(scope: WorkflowScope, action: string): Promise<DriftSummary> {
    return summarise(this.#series.get(digest(...driftSeries(scope, action))) ?? []);
  }
}
