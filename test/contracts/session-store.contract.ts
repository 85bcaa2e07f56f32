/**
 * The SessionStore contract: every implementation (memory, file, Redis) runs this one suite.
 *
 *   sessionStoreContract('FileSessionStore', async ({ historyLimit, library }) => ({ store, cleanup }));
 *
 * The factory builds a fresh, empty store with the history limit and library caps the suite asks for.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AitwsDocument } from '../../src/document/types.js';
import { AitwsError } from '../../src/errors.js';
import { applyChange } from '../../src/session/apply.js';
import { DEFAULT_LIBRARY_LIMITS, type LibraryLimits } from '../../src/session/names.js';
import type { ChannelKey, SessionStore, WorkspaceKey } from '../../src/session/port.js';
import { CHANNEL, changeOf, dateForms, richDocument, simpleDocument } from './session-store.fixtures.js';

export interface ContractStoreOptions {
  readonly historyLimit: number;
  readonly library: LibraryLimits;
}

export interface ContractFixture {
  readonly store: SessionStore;
  cleanup(): Promise<void>;
}

export type ContractFactory = (options: ContractStoreOptions) => Promise<ContractFixture>;

export interface ContractSettings {
  /** History limit for the ordinary tests. Default 5. */
  readonly historyLimit?: number;
  /** Concurrent applyChange calls in the concurrency test. Default 50. */
  readonly concurrentWriters?: number;
}

async function rejectionOf(promise: Promise<unknown>): Promise<AitwsError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

async function expectUsageError(promise: Promise<unknown>): Promise<void> {
  expect((await rejectionOf(promise)).code).toBe('USAGE');
}

/** A saved document of about `size` bytes, whatever the store's own framing adds. */
function sizedDocument(name: string, size: number): AitwsDocument {
  return simpleDocument(name, { body: 'x'.repeat(size) });
}

function itemsOf(document: AitwsDocument | null): string[] {
  const items = document?.items;
  return Array.isArray(items) ? items.map(String) : [];
}

export function sessionStoreContract(
  name: string,
  factory: ContractFactory,
  settings: ContractSettings = {},
): void {
  const historyLimit = settings.historyLimit ?? 5;
  const writers = settings.concurrentWriters ?? 50;

  describe(`SessionStore contract: ${name}`, () => {
    let fixture: ContractFixture;
    let store: SessionStore;

    beforeEach(async () => {
      fixture = await factory({ historyLimit, library: DEFAULT_LIBRARY_LIMITS });
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.store.close();
      await fixture.cleanup();
    });

    async function writeVersions(key: ChannelKey, count: number): Promise<void> {
      for (let n = 1; n <= count; n += 1) {
        await expect(store.write(key, n - 1, changeOf(simpleDocument(`v${n}`), n))).resolves.toEqual({
          ok: true,
          version: n,
        });
      }
    }

    describe('records', () => {
      it('reads a channel never written as version 0 with no draft', async () => {
        await expect(store.read(CHANNEL)).resolves.toEqual({
          version: 0,
          document: null,
          updatedAt: null,
          updatedBy: null,
        });
        await expect(store.history(CHANNEL)).resolves.toEqual([]);
        await expect(store.historyEntry(CHANNEL, 1)).resolves.toBeNull();
      });

      it('writes version 1 at expected version 0 and reads it back', async () => {
        const change = changeOf(simpleDocument('first'), 1, 'bob');
        await expect(store.write(CHANNEL, 0, change)).resolves.toEqual({ ok: true, version: 1 });
        await expect(store.read(CHANNEL)).resolves.toEqual({
          version: 1,
          document: change.document,
          updatedAt: change.at,
          updatedBy: 'bob',
        });
      });

      it('refuses a stale or future expected version and changes nothing', async () => {
        await writeVersions(CHANNEL, 2);
        const before = await store.read(CHANNEL);
        await expect(store.write(CHANNEL, 1, changeOf(simpleDocument('late'), 9))).resolves.toEqual({
          ok: false,
          currentVersion: 2,
        });
        await expect(store.write(CHANNEL, 7, changeOf(simpleDocument('early'), 9))).resolves.toEqual({
          ok: false,
          currentVersion: 2,
        });
        await expect(store.read(CHANNEL)).resolves.toEqual(before);
        await expect(store.history(CHANNEL)).resolves.toHaveLength(2);
      });

      it('stores a removed draft (null document) as a new version', async () => {
        await writeVersions(CHANNEL, 1);
        await expect(store.write(CHANNEL, 1, changeOf(null, 2))).resolves.toEqual({ ok: true, version: 2 });
        const record = await store.read(CHANNEL);
        expect(record).toMatchObject({ version: 2, document: null });
        await expect(store.historyEntry(CHANNEL, 2)).resolves.toMatchObject({ version: 2, document: null });
      });

      it('returns copies: changing a written or returned document does not change the store', async () => {
        const document = simpleDocument('original');
        await store.write(CHANNEL, 0, changeOf(document, 1));
        document.metadata = { name: 'changed after write' };
        const read = await store.read(CHANNEL);
        if (read.document !== null) read.document.metadata = { name: 'changed after read' };
        await expect(store.read(CHANNEL)).resolves.toMatchObject({ document: simpleDocument('original') });
      });
    });

    describe('history', () => {
      it(`keeps the newest ${historyLimit} versions, newest first`, async () => {
        const total = historyLimit + 3;
        await writeVersions(CHANNEL, total);
        const history = await store.history(CHANNEL);
        expect(history.map((entry) => entry.version)).toEqual(
          Array.from({ length: historyLimit }, (_, index) => total - index),
        );
        expect(history[0]).toEqual({ ...changeOf(simpleDocument(`v${total}`), total), version: total });
        const two = await store.history(CHANNEL, 2);
        expect(two.map((entry) => entry.version)).toEqual([total, total - 1]);
      });

      it('returns null for a trimmed, future or zero version', async () => {
        const total = historyLimit + 2;
        await writeVersions(CHANNEL, total);
        await expect(store.historyEntry(CHANNEL, 1)).resolves.toBeNull();
        await expect(store.historyEntry(CHANNEL, 2)).resolves.toBeNull();
        await expect(store.historyEntry(CHANNEL, 3)).resolves.toMatchObject({
          version: 3,
          change: 'change 3',
        });
        await expect(store.historyEntry(CHANNEL, total)).resolves.toMatchObject({ version: total });
        await expect(store.historyEntry(CHANNEL, total + 1)).resolves.toBeNull();
        await expect(store.historyEntry(CHANNEL, 0)).resolves.toBeNull();
      });

      it('keeps `reverts` when given and leaves it out otherwise', async () => {
        await writeVersions(CHANNEL, 2);
        await store.write(CHANNEL, 2, { ...changeOf(simpleDocument('v1'), 3), reverts: 2 });
        await expect(store.historyEntry(CHANNEL, 3)).resolves.toMatchObject({ reverts: 2 });
        const plain = await store.historyEntry(CHANNEL, 2);
        expect(plain).not.toBeNull();
        expect(plain !== null && 'reverts' in plain).toBe(false);
      });
    });

    describe('documents', () => {
      it('round-trip deeply: dates keep their TOML form; tables, arrays of tables, unicode, odd floats', async () => {
        const original = richDocument();
        await store.write(CHANNEL, 0, changeOf(original, 1));
        const workspace: WorkspaceKey = { platform: CHANNEL.platform, workspace: CHANNEL.workspace };
        await store.saveNamed(workspace, { name: 'rich', document: original, at: 'now', by: 'alice' });
        const copies = [
          (await store.read(CHANNEL)).document,
          (await store.historyEntry(CHANNEL, 1))?.document ?? null,
          (await store.history(CHANNEL))[0]?.document ?? null,
          (await store.loadNamed(workspace, 'rich'))?.document ?? null,
        ];
        const forms = dateForms(original);
        expect(forms).toHaveLength(6);
        for (const copy of copies) {
          expect(copy).toEqual(original);
          expect(dateForms(copy)).toEqual(forms);
        }
      });
    });

    describe('isolation', () => {
      it('never mixes channels that share an id across workspaces or platforms', async () => {
        const keys: ChannelKey[] = [
          { platform: 'slack', workspace: 'T1', channel: 'general' },
          { platform: 'slack', workspace: 'T2', channel: 'general' },
          { platform: 'discord', workspace: 'T1', channel: 'general' },
          { platform: 'slack', workspace: 'T1', channel: 'General' },
          // Joined with ":" these two would be the same string.
          { platform: 'console', workspace: 'a:b', channel: 'c' },
          { platform: 'console', workspace: 'a', channel: 'b:c' },
        ];
        for (const [index, key] of keys.entries()) {
          for (let n = 0; n <= index; n += 1) {
            await store.write(key, n, changeOf(simpleDocument(`channel ${index}`), n + 1));
          }
        }
        for (const [index, key] of keys.entries()) {
          const record = await store.read(key);
          expect(record).toMatchObject({ version: index + 1, document: simpleDocument(`channel ${index}`) });
          await expect(store.history(key)).resolves.toHaveLength(Math.min(index + 1, historyLimit));
        }
      });
    });

    describe('named saves', () => {
      const workspace: WorkspaceKey = { platform: 'slack', workspace: 'T1' };

      it('round-trip, and saving a name again replaces it', async () => {
        await expect(store.loadNamed(workspace, 'baseline')).resolves.toBeNull();
        await expect(store.listNamed(workspace)).resolves.toEqual([]);
        const first = {
          name: 'baseline',
          document: simpleDocument('one'),
          at: '2024-01-01T00:00:00.000Z',
          by: 'a',
        };
        await store.saveNamed(workspace, first);
        await expect(store.loadNamed(workspace, 'baseline')).resolves.toEqual(first);
        const second = {
          name: 'baseline',
          document: simpleDocument('two'),
          at: '2024-01-02T00:00:00.000Z',
          by: 'b',
        };
        await store.saveNamed(workspace, second);
        await expect(store.loadNamed(workspace, 'baseline')).resolves.toEqual(second);
        await expect(store.listNamed(workspace)).resolves.toEqual([
          { name: 'baseline', at: second.at, by: 'b' },
        ]);
      });

      it('list by name in code-unit order (uppercase before "_" before lowercase)', async () => {
        const names = ['beta', 'alpha 2', 'Alpha', '_draft', 'gamma.v1', 'alpha'];
        for (const name of names) {
          await store.saveNamed(workspace, { name, document: simpleDocument(name), at: 'then', by: 'x' });
        }
        const listed = await store.listNamed(workspace);
        expect(listed.map((saved) => saved.name)).toEqual([
          'Alpha',
          '_draft',
          'alpha',
          'alpha 2',
          'beta',
          'gamma.v1',
        ]);
      });

      it('are separate per workspace and per platform', async () => {
        const others: WorkspaceKey[] = [
          { platform: 'slack', workspace: 'T2' },
          { platform: 'discord', workspace: 'T1' },
        ];
        await store.saveNamed(workspace, {
          name: 'shared',
          document: simpleDocument('mine'),
          at: 't',
          by: 'x',
        });
        for (const other of others) {
          await expect(store.loadNamed(other, 'shared')).resolves.toBeNull();
          await expect(store.listNamed(other)).resolves.toEqual([]);
        }
      });

      it('reject invalid names with a USAGE error', async () => {
        for (const name of ['', 'a/b', '../escape', 'x'.repeat(65), 'tab\tname', 'ünï', '   ']) {
          await expectUsageError(
            store.saveNamed(workspace, { name, document: simpleDocument(name), at: 't', by: 'x' }),
          );
          await expectUsageError(store.loadNamed(workspace, name));
        }
        await expect(store.listNamed(workspace)).resolves.toEqual([]);
      });
    });

    libraryCapsContract(factory);

    describe('concurrency', () => {
      let wide: ContractFixture;
      beforeEach(async () => {
        wide = await factory({ historyLimit: writers + 10, library: DEFAULT_LIBRARY_LIMITS });
      });
      afterEach(async () => {
        await wide.store.close();
        await wide.cleanup();
      });

      it(`lands all of ${writers} concurrent applyChange calls on one channel, versions contiguous`, async () => {
        const ids = Array.from({ length: writers }, (_, index) => `w${index}`);
        const applied = await Promise.all(
          ids.map((id) =>
            applyChange(wide.store, CHANNEL, (current) => ({
              document: { items: [...itemsOf(current.document), id] },
              change: `add ${id}`,
              by: id,
              result: id,
            })),
          ),
        );
        expect(applied.map((outcome) => outcome.version).sort((a, b) => a - b)).toEqual(
          Array.from({ length: writers }, (_, index) => index + 1),
        );
        const final = await wide.store.read(CHANNEL);
        expect(final.version).toBe(writers);
        expect(itemsOf(final.document).sort()).toEqual([...ids].sort());
        const history = await wide.store.history(CHANNEL);
        expect(history.map((entry) => entry.version)).toEqual(
          Array.from({ length: writers }, (_, index) => writers - index),
        );
        for (const entry of history) {
          expect(itemsOf(entry.document)).toHaveLength(entry.version);
          expect(entry.change).toBe(`add ${entry.by}`);
        }
      });
    });
  });
}

/** The caps per workspace library: entries and bytes, replacements counted once, saves at once. */
function libraryCapsContract(factory: ContractFactory): void {
  describe('library caps', () => {
    const workspace: WorkspaceKey = { platform: 'slack', workspace: 'T1' };
    const fixtures: ContractFixture[] = [];
    async function capped(library: LibraryLimits): Promise<SessionStore> {
      const fixture = await factory({ historyLimit: 5, library });
      fixtures.push(fixture);
      return fixture.store;
    }
    afterEach(async () => {
      for (const fixture of fixtures.splice(0)) {
        await fixture.store.close();
        await fixture.cleanup();
      }
    });
    const save = (store: SessionStore, name: string, size = 100, key = workspace) =>
      store.saveNamed(key, { name, document: sizedDocument(name, size), at: 't', by: 'x' });
    const names = async (store: SessionStore, key = workspace) =>
      (await store.listNamed(key)).map((saved) => saved.name);

    it('refuse a new name past maxEntries with a LIMIT error naming it; replacing a name still works', async () => {
      const store = await capped({ maxEntries: 3, maxBytes: 1_000_000 });
      for (const name of ['a', 'b', 'c']) await save(store, name);
      const error = await rejectionOf(save(store, 'd'));
      expect(error.code).toBe('LIMIT');
      expect(error.message).toContain('at most 3 saved workflows');
      expect(error.hint).toContain('Reuse the name');
      await expect(names(store)).resolves.toEqual(['a', 'b', 'c']);
      await expect(store.loadNamed(workspace, 'd')).resolves.toBeNull();
      await save(store, 'b', 200);
      await expect(store.loadNamed(workspace, 'b')).resolves.toMatchObject({
        document: sizedDocument('b', 200),
      });
      // Other workspaces have their own library.
      await save(store, 'd', 100, { platform: 'slack', workspace: 'T2' });
    });

    it('refuse a save past maxBytes; a replacement gives its old bytes back first', async () => {
      const store = await capped({ maxEntries: 100, maxBytes: 3_600 });
      for (const name of ['a', 'b', 'c']) await save(store, name, 1_000);
      const full = await rejectionOf(save(store, 'd', 1_000));
      expect(full.code).toBe('LIMIT');
      expect(full.message).toContain('at most 3.5 KiB');
      // Same size again: counted once, so it fits; twice the size does not.
      await save(store, 'b', 1_000);
      expect((await rejectionOf(save(store, 'b', 2_000))).code).toBe('LIMIT');
      await expect(store.loadNamed(workspace, 'b')).resolves.toMatchObject({
        document: sizedDocument('b', 1_000),
      });
      // Smaller replacements free room for a new name.
      await save(store, 'a', 10);
      await save(store, 'b', 10);
      await save(store, 'd', 1_000);
      await expect(names(store)).resolves.toEqual(['a', 'b', 'c', 'd']);
    });

    it('refuse a draft larger than the whole library may hold, saying so', async () => {
      const store = await capped({ maxEntries: 100, maxBytes: 2_000 });
      const error = await rejectionOf(save(store, 'huge', 5_000));
      expect(error.code).toBe('LIMIT');
      expect(error.message).toContain('more than the 2 KiB a workspace may keep in all');
      await expect(names(store)).resolves.toEqual([]);
    });

    it('hold the caps against saves made at the same time', async () => {
      const store = await capped({ maxEntries: 5, maxBytes: 1_000_000 });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, index) => save(store, `n${String(index).padStart(2, '0')}`)),
      );
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(outcomes.length - refused.length).toBe(5);
      for (const outcome of refused) {
        expect(outcome.reason).toBeInstanceOf(AitwsError);
        expect(outcome.reason instanceof AitwsError ? outcome.reason.code : undefined).toBe('LIMIT');
      }
      await expect(names(store)).resolves.toHaveLength(5);
    });
  });
}
