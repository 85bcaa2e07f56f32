import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import { applyChange, type Mutate } from '../../src/session/apply.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import { type ChannelKey, channelId, type SessionRecord } from '../../src/session/port.js';
import { RecordCache } from '../../src/session/record-cache.js';
import type { AitwsDocument } from '../../src/document/types.js';
import { CountingStore } from '../support/counting-store.js';

const KEY: ChannelKey = { platform: 'console', workspace: 'local', channel: 'cached' };
const ID = channelId(KEY);

function items(record: SessionRecord): string[] {
  const list = record.document?.items;
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
}

/** Appends `item` to the document's `items` without touching the input, as src/document/edit.ts does. */
function addItem(item: string): Mutate<readonly string[]> {
  return (current) => {
    const next: AitwsDocument = { ...(current.document ?? {}), items: [...items(current), item] };
    return { document: next, change: `add ${item}`, by: 'ann', result: items(current) };
  };
}

const fast = { sleep: async () => undefined, random: () => 0 };

describe('applyChange with a RecordCache', () => {
  it('writes against the cached version without reading the store', async () => {
    const store = new CountingStore();
    const cache = new RecordCache(store);
    await applyChange(store, KEY, addItem('a'), { cache });
    expect({ reads: store.reads, writes: store.writes }).toEqual({ reads: 1, writes: 1 });

    store.reset();
    const applied = await applyChange(store, KEY, addItem('b'), { cache });
    expect({ reads: store.reads, writes: store.writes }).toEqual({ reads: 0, writes: 1 });
    expect(applied).toMatchObject({ version: 2, changed: true, attempts: 1, result: ['a'] });
    expect(cache.get(ID)?.version).toBe(2);
    expect(items(await store.read(KEY))).toEqual(['a', 'b']);
  });

  it('on a stale entry loses the compare-and-set, reads fresh and lands on top of the other write', async () => {
    const store = new CountingStore();
    const cache = new RecordCache(store);
    await applyChange(store, KEY, addItem('mine-1'), { cache });
    // Another process (its own cache) writes v2; ours still says v1.
    await applyChange(store, KEY, addItem('theirs'), { cache: new RecordCache(store) });

    store.reset();
    const seen: number[] = [];
    const applied = await applyChange(
      store,
      KEY,
      (current) => {
        seen.push(current.version);
        return addItem('mine-2')(current);
      },
      { ...fast, cache },
    );
    expect(seen).toEqual([1, 2]);
    expect({ reads: store.reads, writes: store.writes, conflicts: store.conflicts }).toEqual({
      reads: 1,
      writes: 2,
      conflicts: 1,
    });
    expect(applied).toMatchObject({ version: 3, attempts: 2 });
    expect(items(await store.read(KEY))).toEqual(['mine-1', 'theirs', 'mine-2']);
    expect(cache.get(ID)?.version).toBe(3);
  });

  it('does not trust an error computed from the cached record: it retries on the fresh one', async () => {
    const store = new CountingStore();
    const cache = new RecordCache(store);
    // Caches "no draft" (v0, null document).
    await applyChange(store, KEY, () => ({ noChange: true, result: null }), { cache });
    await applyChange(store, KEY, addItem('created elsewhere'), { cache: new RecordCache(store) });

    const needsDraft: Mutate<null> = (current) => {
      if (current.document === null) throw new AitwsError('NO_DRAFT', 'no draft');
      return { document: { ...current.document, touched: true }, change: 'touch', by: 'ann', result: null };
    };
    const applied = await applyChange(store, KEY, needsDraft, { ...fast, cache });
    expect(applied).toMatchObject({ version: 2, attempts: 2 });
  });

  it('still throws a genuine error after re-checking it against the store', async () => {
    const store = new CountingStore();
    const cache = new RecordCache(store);
    await applyChange(store, KEY, addItem('a'), { cache });
    const failure = new AitwsError('VALIDATION', 'bad');
    store.reset();
    await expect(
      applyChange(
        store,
        KEY,
        () => {
          throw failure;
        },
        { cache },
      ),
    ).rejects.toBe(failure);
    expect({ reads: store.reads, writes: store.writes }).toEqual({ reads: 1, writes: 0 });
    // The fresh read is remembered, so the next change speculates again.
    expect(cache.get(ID)?.version).toBe(1);
  });

  it('answers "nothing to change" only from a fresh read', async () => {
    const store = new CountingStore();
    const cache = new RecordCache(store);
    await applyChange(store, KEY, addItem('a'), { cache });
    await applyChange(store, KEY, addItem('b'), { cache: new RecordCache(store) });
    const applied = await applyChange(store, KEY, () => ({ noChange: true, result: null }), { cache });
    expect(applied).toMatchObject({ version: 2, changed: false });
  });

  it('hands out frozen documents, so an in-place edit fails instead of corrupting the cache', async () => {
    const store = new CountingStore();
    const cache = new RecordCache(store);
    await applyChange(store, KEY, addItem('a'), { cache });
    const inPlace: Mutate<null> = (current) => {
      const list = current.document?.items;
      if (Array.isArray(list)) list.push('sneaky');
      return { document: current.document, change: 'bad', by: 'ann', result: null };
    };
    await expect(applyChange(store, KEY, inPlace, { ...fast, cache })).rejects.toBeInstanceOf(TypeError);
    expect(items(await store.read(KEY))).toEqual(['a']);
    expect(items(cache.get(ID) ?? (await store.read(KEY)))).toEqual(['a']);
  });

  it('ignores a cache built for another store', async () => {
    const store = new CountingStore();
    const other = new MemorySessionStore();
    const cache = new RecordCache(other);
    await applyChange(other, KEY, addItem('elsewhere'), { cache });
    await applyChange(store, KEY, addItem('here'), { cache });
    await applyChange(store, KEY, addItem('here too'), { cache });
    expect(store.reads).toBe(2);
    expect(items(await store.read(KEY))).toEqual(['here', 'here too']);
  });

  it('lands every one of many overlapping changes sharing one cache, versions contiguous', async () => {
    const store = new CountingStore();
    const cache = new RecordCache(store);
    const names = Array.from({ length: 30 }, (_, i) => `item-${i}`);
    await Promise.all(
      names.map((name) => applyChange(store, KEY, addItem(name), { ...fast, cache, maxAttempts: 1000 })),
    );
    const record = await store.read(KEY);
    expect(record.version).toBe(names.length);
    expect([...items(record)].sort()).toEqual([...names].sort());
    const versions = (await store.history(KEY)).map((entry) => entry.version);
    expect(versions).toEqual(Array.from({ length: names.length }, (_, i) => names.length - i));
  });
});

describe('RecordCache', () => {
  const record = (version: number): SessionRecord => ({
    version,
    document: { metadata: { name: `v${version}` } },
    updatedAt: null,
    updatedBy: null,
  });

  it('evicts the least recently remembered channel beyond its capacity', () => {
    const cache = new RecordCache(new MemorySessionStore(), { channels: 2 });
    cache.remember('a', record(1));
    cache.remember('b', record(1));
    cache.remember('a', record(2));
    cache.remember('c', record(1));
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.version).toBe(2);
  });

  it('never goes back to an older version, and forgets only the version found stale', () => {
    const cache = new RecordCache(new MemorySessionStore());
    cache.remember('a', record(5));
    cache.remember('a', record(4));
    expect(cache.get('a')?.version).toBe(5);
    cache.forget('a', 4);
    expect(cache.get('a')?.version).toBe(5);
    cache.forget('a', 5);
    expect(cache.get('a')).toBeUndefined();
  });

  it('evicts by rough memory as well as by channel count', () => {
    const store = new MemorySessionStore();
    const big = (version: number): SessionRecord => ({
      ...record(version),
      document: { notes: 'x'.repeat(10_000) },
    });
    const one = new RecordCache(store);
    one.remember('probe', big(1));
    const each = one.bytes;
    expect(each).toBeGreaterThan(20_000);
    const cache = new RecordCache(store, { bytes: each * 2.5 });
    for (const id of ['a', 'b', 'c']) cache.remember(id, big(1));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    cache.forget('b', 1);
    expect(cache.bytes).toBe(each);
  });

  it('deep-freezes what it keeps', () => {
    const cache = new RecordCache(new MemorySessionStore());
    const kept = record(1);
    cache.remember('a', kept);
    expect(Object.isFrozen(kept)).toBe(true);
    expect(Object.isFrozen(kept.document)).toBe(true);
    expect(Object.isFrozen(kept.document?.metadata)).toBe(true);
  });
});
