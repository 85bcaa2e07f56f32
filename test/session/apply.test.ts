import { describe, expect, it } from 'vitest';
import type { AitwsDocument } from '../../src/document/types.js';
import { AitwsError, ConflictError } from '../../src/errors.js';
import { type ApplyOptions, applyChange, backoffDelay } from '../../src/session/apply.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { ChangeToWrite, ChannelKey, SessionStore, WriteResult } from '../../src/session/port.js';

const KEY: ChannelKey = { platform: 'console', workspace: 'local', channel: 'apply' };
const FIXED = new Date('2024-05-06T07:08:09.000Z');

function doc(name: string): AitwsDocument {
  return { metadata: { name } };
}

/** A store where someone else writes just before each of our first `interruptions` writes. */
class InterruptedStore extends MemorySessionStore {
  writes = 0;
  #interruptions: number;
  constructor(interruptions: number) {
    super({ historyLimit: 100 });
    this.#interruptions = interruptions;
  }
  override async write(
    key: ChannelKey,
    expectedVersion: number,
    change: ChangeToWrite,
  ): Promise<WriteResult> {
    this.writes += 1;
    if (this.#interruptions > 0) {
      this.#interruptions -= 1;
      const current = await this.read(key);
      await super.write(key, current.version, { ...change, document: doc('someone else'), by: 'eve' });
    }
    return super.write(key, expectedVersion, change);
  }
}

function recordingOptions(): ApplyOptions & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => FIXED,
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
  };
}

describe('applyChange', () => {
  it('writes the next version with the injected time and returns the result', async () => {
    const store = new MemorySessionStore();
    const applied = await applyChange(
      store,
      KEY,
      () => ({ document: doc('a'), change: '/create', by: 'ann', result: 42 }),
      {
        now: () => FIXED,
      },
    );
    expect(applied).toEqual({
      version: 1,
      record: { version: 1, document: doc('a'), updatedAt: FIXED.toISOString(), updatedBy: 'ann' },
      result: 42,
      changed: true,
      attempts: 1,
    });
    await expect(store.historyEntry(KEY, 1)).resolves.toEqual({
      version: 1,
      document: doc('a'),
      at: FIXED.toISOString(),
      by: 'ann',
      change: '/create',
    });
  });

  it('passes `reverts` through to history', async () => {
    const store = new MemorySessionStore();
    await applyChange(store, KEY, () => ({
      document: null,
      change: '/undo',
      by: 'ann',
      reverts: 3,
      result: null,
    }));
    await expect(store.historyEntry(KEY, 1)).resolves.toMatchObject({ reverts: 3 });
  });

  it('writes nothing for noChange and reports the current version', async () => {
    const store = new MemorySessionStore();
    await store.write(KEY, 0, { document: doc('a'), at: 't', by: 'x', change: 'c' });
    const applied = await applyChange(store, KEY, () => ({ noChange: true, result: 'same' }));
    expect(applied).toMatchObject({ version: 1, changed: false, result: 'same', attempts: 1 });
    await expect(store.history(KEY)).resolves.toHaveLength(1);
  });

  it('writes nothing when mutate throws, and the error comes through unchanged', async () => {
    const store = new MemorySessionStore();
    const failure = new AitwsError('VALIDATION', 'bad');
    await expect(
      applyChange(store, KEY, () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(store.read(KEY)).resolves.toMatchObject({ version: 0 });
  });

  it('retries on conflict against the fresh record, with growing jittered backoff', async () => {
    const store = new InterruptedStore(3);
    const options = recordingOptions();
    const seen: number[] = [];
    const applied = await applyChange(
      store,
      KEY,
      (current) => {
        seen.push(current.version);
        return {
          document: doc(`after v${current.version}`),
          change: 'mine',
          by: 'ann',
          result: current.version,
        };
      },
      options,
    );
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(applied).toMatchObject({ version: 4, result: 3, attempts: 4, changed: true });
    expect(options.delays).toEqual([2, 4, 8]);
    await expect(store.read(KEY)).resolves.toMatchObject({ version: 4, document: doc('after v3') });
  });

  it('gives up with ConflictError after maxAttempts, having written nothing of its own', async () => {
    const store = new InterruptedStore(100);
    const options = { ...recordingOptions(), maxAttempts: 5 };
    const attempt = applyChange(
      store,
      KEY,
      () => ({ document: doc('mine'), change: 'mine', by: 'ann', result: null }),
      options,
    );
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    expect(store.writes).toBe(5);
    expect(options.delays).toHaveLength(4);
    const history = await store.history(KEY);
    expect(history.every((entry) => entry.by === 'eve')).toBe(true);
  });

  it('lets storage errors through without retrying', async () => {
    const failure = new AitwsError('STORAGE_UNAVAILABLE', 'down', { retryable: true });
    const broken: SessionStore = Object.assign(new MemorySessionStore(), {
      read: async () => {
        throw failure;
      },
    });
    await expect(applyChange(broken, KEY, () => ({ noChange: true, result: null }))).rejects.toBe(failure);
  });
});

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 10].map((attempt) => backoffDelay(attempt, 1, 4, 40))).toEqual([
      4, 8, 16, 32, 40, 40,
    ]);
    expect(backoffDelay(3, 0, 4, 40)).toBe(0);
  });
});
