/**
 * An in-memory RunStore for tests and embedded throwaway runs. Records and steps are kept as JSON
 * text (the document through the session codec), so callers get copies exactly as a persistent
 * store would return them and can never mutate stored state.
 */
import { AitwsError } from '../errors.js';
import { cloneDocument, decodeDocument, encodeDocument } from '../session/codec.js';
import type { ChannelKey } from '../session/port.js';
import {
  assertLimit,
  assertTransition,
  changedFields,
  isFinal,
  type JsonObject,
  type ListOptions,
  type NewRun,
  nextStep,
  type RunChange,
  type RunRecord,
  type RunStore,
  type StepInput,
  type StepMemo,
  type StepRecord,
  type UpdateResult,
} from './run-store.js';

interface StoredRun {
  /** The record as JSON, its document encoded by the session codec. */
  text: string;
  /** Creation order, to break createdAt ties (later first). */
  readonly sequence: number;
  /** Step key → step as JSON; Map order is journal order. */
  readonly steps: Map<string, string>;
  /** Step key → memo as JSON. */
  readonly memos: Map<string, string>;
}

function encodeRun(run: RunRecord): string {
  return JSON.stringify({ ...run, document: encodeDocument(run.document) });
}

function decodeRun(text: string): RunRecord {
  const parsed = JSON.parse(text) as RunRecord;
  return { ...parsed, document: decodeDocument(parsed.document, `run ${parsed.id}`) };
}

function sameChannel(a: ChannelKey, b: ChannelKey): boolean {
  return a.platform === b.platform && a.workspace === b.workspace && a.channel === b.channel;
}

export class MemoryRunStore implements RunStore {
  readonly #runs = new Map<string, StoredRun>();
  #sequence = 0;

  async create(run: NewRun): Promise<RunRecord> {
    if (this.#runs.has(run.id)) {
      throw new AitwsError('CONFLICT', `A run with id ${run.id} already exists; nothing was changed.`);
    }
    if (run.state !== 'queued') {
      throw new AitwsError('USAGE', `A new run must be queued, not ${run.state}.`);
    }
    const record: RunRecord = { ...run, document: cloneDocument(run.document), revision: 1 };
    const text = encodeRun(record);
    this.#sequence += 1;
    this.#runs.set(run.id, { text, sequence: this.#sequence, steps: new Map(), memos: new Map() });
    return decodeRun(text);
  }

  async read(id: string): Promise<RunRecord | null> {
    const stored = this.#runs.get(id);
    return stored === undefined ? null : decodeRun(stored.text);
  }

  async update(id: string, expectedRevision: number, next: RunChange): Promise<UpdateResult> {
    const stored = this.#runs.get(id);
    if (stored === undefined) return { ok: false, current: null };
    const current = decodeRun(stored.text);
    if (current.revision !== expectedRevision) return { ok: false, current };
    assertTransition(current.state, next.state);
    const { position: _p, error: _e, waitingFor: _w, ...fixed } = current;
    const revision = current.revision + 1;
    stored.text = encodeRun({ ...fixed, ...changedFields(next), revision });
    return { ok: true, revision };
  }

  async recordStep(id: string, step: StepInput): Promise<StepRecord> {
    const stored = this.#runs.get(id);
    if (stored === undefined) {
      throw new AitwsError('USAGE', `No run ${id}; its step ${step.key} was not recorded.`);
    }
    const previous = stored.steps.get(step.key);
    const record = nextStep(previous === undefined ? undefined : (JSON.parse(previous) as StepRecord), step);
    const text = JSON.stringify(record);
    stored.steps.set(step.key, text);
    return JSON.parse(text) as StepRecord;
  }

  async steps(id: string): Promise<StepRecord[]> {
    const stored = this.#runs.get(id);
    if (stored === undefined) return [];
    return [...stored.steps.values()].map((text) => JSON.parse(text) as StepRecord);
  }

  async unfinished(limit: number): Promise<string[]> {
    assertLimit(limit);
    return [...this.#runs.entries()]
      .filter(([, stored]) => !isFinal(decodeRun(stored.text).state))
      .slice(0, limit)
      .map(([id]) => id);
  }

  async readStepMemo(id: string, key: string): Promise<StepMemo | null> {
    const text = this.#runs.get(id)?.memos.get(key);
    return text === undefined ? null : (JSON.parse(text) as StepMemo);
  }

  async writeStepMemo(
    id: string,
    key: string,
    expectedRevision: number,
    value: JsonObject,
  ): Promise<boolean> {
    const stored = this.#runs.get(id);
    if (stored === undefined) {
      throw new AitwsError('USAGE', `No run ${id}; the memo of its step ${key} was not written.`);
    }
    const previous = stored.memos.get(key);
    const revision = previous === undefined ? 0 : (JSON.parse(previous) as StepMemo).revision;
    if (revision !== expectedRevision) return false;
    stored.memos.set(key, JSON.stringify({ revision: revision + 1, value }));
    return true;
  }

  async list(channel: ChannelKey, options: ListOptions): Promise<RunRecord[]> {
    assertLimit(options.limit);
    const states = options.states;
    const matching = [...this.#runs.values()]
      .map((stored) => ({ run: decodeRun(stored.text), sequence: stored.sequence }))
      .filter(({ run }) => sameChannel(run.channel, channel))
      .filter(({ run }) => states === undefined || states.includes(run.state));
    matching.sort((a, b) => compareNewestFirst(a.run, b.run) || b.sequence - a.sequence);
    return matching.slice(0, options.limit).map(({ run }) => run);
  }

  async removeFinishedBefore(date: Date): Promise<number> {
    const cutoff = date.getTime();
    let removed = 0;
    for (const [id, stored] of this.#runs) {
      const run = decodeRun(stored.text);
      if (isFinal(run.state) && Date.parse(run.updatedAt) < cutoff) {
        this.#runs.delete(id);
        removed += 1;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    this.#runs.clear();
  }
}

function compareNewestFirst(a: RunRecord, b: RunRecord): number {
  return Date.parse(b.createdAt) - Date.parse(a.createdAt);
}
