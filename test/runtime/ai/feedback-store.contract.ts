/**
 * The FeedbackStore contract: every implementation (memory, file, Redis) runs this one suite.
 *
 *   feedbackStoreContract('FileFeedbackStore', async () => ({ store, cleanup }));
 *
 * The factory builds a fresh, empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeedbackEntry, FeedbackStore, WorkflowScope } from '../../../src/runtime/ai/stores.js';

export interface FeedbackContractFixture {
  readonly store: FeedbackStore;
  cleanup(): Promise<void>;
}

const SCOPE: WorkflowScope = { channel: 'slack:T1:C1', workflow: 'Triage' };
const ADA = { id: 'U1', name: 'Ada' };
const BOB = { id: 'U2', name: 'Bob' };

function at(minute: number): string {
  return new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
}

export function rating(overrides: Partial<FeedbackEntry> & { readonly minute?: number } = {}): FeedbackEntry {
  const { minute = 0, ...rest } = overrides;
  return {
    run: 'r1',
    action: 'Summarise',
    rating: 'good',
    output: 'A short summary.',
    prompt: 'Summarise this.',
    by: ADA,
    at: at(minute),
    ...rest,
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

export function feedbackStoreContract(name: string, factory: () => Promise<FeedbackContractFixture>): void {
  describe(`FeedbackStore contract: ${name}`, () => {
    let fixture: FeedbackContractFixture;
    let store: FeedbackStore;
    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('starts empty', async () => {
      expect(await store.list(SCOPE, { limit: 10 })).toEqual([]);
      expect(await collect(store.all())).toEqual([]);
    });

    it('keeps every field, with and without a note', async () => {
      const noted = rating({ note: 'spot on, "really"', output: 'Zeile ü 🙂\nzwei', minute: 2 });
      const plain = rating({ run: 'r2', rating: 'bad', minute: 1 });
      await store.add(SCOPE, noted);
      await store.add(SCOPE, plain);
      expect(await store.list(SCOPE, { limit: 10 })).toEqual([noted, plain]);
    });

    it('lists newest first, at most `limit`, of one action when asked', async () => {
      await store.add(SCOPE, rating({ run: 'r1', minute: 1 }));
      await store.add(SCOPE, rating({ run: 'r2', minute: 3, action: 'Classify' }));
      await store.add(SCOPE, rating({ run: 'r3', minute: 2 }));
      await store.add(SCOPE, rating({ run: 'r4', minute: 4 }));
      const runs = async (options: { action?: string; limit: number }) =>
        (await store.list(SCOPE, options)).map((entry) => entry.run);
      expect(await runs({ limit: 10 })).toEqual(['r4', 'r2', 'r3', 'r1']);
      expect(await runs({ limit: 2 })).toEqual(['r4', 'r2']);
      expect(await runs({ action: 'Summarise', limit: 10 })).toEqual(['r4', 'r3', 'r1']);
      expect(await runs({ action: 'Summarise', limit: 1 })).toEqual(['r4']);
      expect(await runs({ action: 'Nothing', limit: 10 })).toEqual([]);
      expect(await runs({ limit: 0 })).toEqual([]);
    });

    it('a second rating by the same person on the same run and action replaces the first', async () => {
      await store.add(SCOPE, rating({ rating: 'good', minute: 1 }));
      await store.add(SCOPE, rating({ rating: 'bad', note: 'on reflection', minute: 5 }));
      expect(await store.list(SCOPE, { limit: 10 })).toEqual([
        rating({ rating: 'bad', note: 'on reflection', minute: 5 }),
      ]);
      // Another person, another action or another run is another rating.
      await store.add(SCOPE, rating({ by: BOB, minute: 2 }));
      await store.add(SCOPE, rating({ action: 'Classify', minute: 3 }));
      await store.add(SCOPE, rating({ run: 'r2', minute: 4 }));
      expect(await store.list(SCOPE, { limit: 10 })).toHaveLength(4);
      expect((await collect(store.all())).length).toBe(4);
    });

    it('a replacing rating moves to its new time', async () => {
      await store.add(SCOPE, rating({ run: 'r1', minute: 1 }));
      await store.add(SCOPE, rating({ run: 'r2', minute: 2 }));
      await store.add(SCOPE, rating({ run: 'r1', minute: 3, rating: 'bad' }));
      expect((await store.list(SCOPE, { limit: 10 })).map((entry) => entry.run)).toEqual(['r1', 'r2']);
    });

    it('orders ratings of the same moment by their identity, newest-first descending', async () => {
      await store.add(SCOPE, rating({ run: 'ra' }));
      await store.add(SCOPE, rating({ run: 'rc' }));
      await store.add(SCOPE, rating({ run: 'rb' }));
      expect((await store.list(SCOPE, { limit: 10 })).map((entry) => entry.run)).toEqual(['rc', 'rb', 'ra']);
      expect((await collect(store.all())).map((entry) => entry.run)).toEqual(['ra', 'rb', 'rc']);
    });

    it('keeps channels and workflows apart, whatever their names hold', async () => {
      const scopes: WorkflowScope[] = [
        SCOPE,
        { channel: 'slack:T1:C2', workflow: 'Triage' },
        { channel: 'slack:T1:C1', workflow: 'Other' },
        { channel: 'discord:G:1', workflow: '../../etc/passwd {x} é "q"' },
        { channel: 'slack:T1', workflow: 'C1:Triage' },
      ];
      for (const [index, scope] of scopes.entries())
        await store.add(scope, rating({ run: `r${index}`, action: 'a|b"c', minute: index }));
      for (const [index, scope] of scopes.entries())
        expect((await store.list(scope, { limit: 10 })).map((entry) => entry.run)).toEqual([`r${index}`]);
    });

    it('all() yields every rating with its scope, oldest first within each scope', async () => {
      const other: WorkflowScope = { channel: 'console:local:x', workflow: 'Triage' };
      await store.add(SCOPE, rating({ run: 'r2', minute: 2 }));
      await store.add(other, rating({ run: 'o1', minute: 1, note: 'n' }));
      await store.add(SCOPE, rating({ run: 'r1', minute: 1 }));
      await store.add(SCOPE, rating({ run: 'r2', minute: 3, rating: 'bad' }));
      const all = await collect(store.all());
      expect(all).toHaveLength(3);
      const of = (scope: WorkflowScope) =>
        all.filter((entry) => entry.channel === scope.channel && entry.workflow === scope.workflow);
      expect(of(SCOPE).map((entry) => [entry.run, entry.rating])).toEqual([
        ['r1', 'good'],
        ['r2', 'bad'],
      ]);
      expect(of(other)).toEqual([{ ...rating({ run: 'o1', minute: 1, note: 'n' }), ...other }]);
    });

    it('keeps every one of many ratings added at once', async () => {
      const people = Array.from({ length: 20 }, (_, index) => ({ id: `U${index}`, name: `P${index}` }));
      await Promise.all(people.map((by, index) => store.add(SCOPE, rating({ by, minute: index }))));
      const listed = await store.list(SCOPE, { limit: 100 });
      expect(listed.map((entry) => entry.by.id).sort()).toEqual(people.map((p) => p.id).sort());
    });

    it('refuses what no store should keep, storing nothing', async () => {
      await expect(store.add(SCOPE, rating({ at: 'yesterday' }))).rejects.toMatchObject({ code: 'USAGE' });
      await expect(store.add(SCOPE, rating({ run: '' }))).rejects.toMatchObject({ code: 'USAGE' });
      await expect(store.add({ ...SCOPE, workflow: '' }, rating())).rejects.toMatchObject({ code: 'USAGE' });
      await expect(store.list(SCOPE, { limit: -1 })).rejects.toMatchObject({ code: 'USAGE' });
      expect(await collect(store.all())).toEqual([]);
    });
  });
}
