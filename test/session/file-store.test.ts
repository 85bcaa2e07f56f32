import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AitwsError } from '../../src/errors.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { storageName, versionFileName } from '../../src/session/file-store-channel.js';
import { entryFile, libraryFiles } from '../../src/session/file-store-library.js';
import type { ChannelKey, WorkspaceKey } from '../../src/session/port.js';
import { sessionStoreContract } from '../contracts/session-store.contract.js';
import { changeOf, simpleDocument } from '../contracts/session-store.fixtures.js';

sessionStoreContract('FileSessionStore', async ({ historyLimit, library }) => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'aitws-file-store-'));
  return {
    store: new FileSessionStore({ dataDir: path.join(base, 'data'), historyLimit, library }),
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
});

/** Every file under `dir`, relative to it. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

async function rejection(promise: Promise<unknown>): Promise<AitwsError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

/** The versions that have a file in a channel directory, in order. */
async function versionsIn(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names
    .flatMap((name) => /^v(\d+)\.json$/.exec(name)?.[1] ?? [])
    .map(Number)
    .sort((a, b) => a - b);
}

const KEY: ChannelKey = { platform: 'console', workspace: 'local', channel: 'main' };
const WORKSPACE: WorkspaceKey = { platform: 'console', workspace: 'local' };

describe('FileSessionStore on disk', () => {
  let base: string;
  let dataDir: string;
  let store: FileSessionStore;

  /** A reply names a stored file under $AITWS_DATA_DIR, never by its absolute path. */
  function expectNamed(message: string, file: string): void {
    expect(message).toContain(path.join('$AITWS_DATA_DIR', path.relative(dataDir, file)));
    expect(message).not.toContain(base);
  }

  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'aitws-file-store-'));
    dataDir = path.join(base, 'data');
    store = new FileSessionStore({ dataDir, historyLimit: 5 });
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('creates the data directory on the first write, not on reads', async () => {
    await store.read(KEY);
    await store.history(KEY);
    await store.listNamed(WORKSPACE);
    await expect(readdir(base)).resolves.toEqual([]);
    await store.write(KEY, 0, changeOf(simpleDocument('a'), 1));
    await expect(readdir(base)).resolves.toEqual(['data']);
  });

  it('keeps current.json plus one file per retained version, owner-only, and nothing else', async () => {
    for (let n = 1; n <= 8; n += 1) await store.write(KEY, n - 1, changeOf(simpleDocument(`v${n}`), n));
    await store.saveNamed(WORKSPACE, { name: 'kept', document: simpleDocument('k'), at: 't', by: 'x' });
    const channel = path.relative(dataDir, store.channelDir(KEY));
    const files = await listFiles(dataDir);
    expect(files).toEqual(
      [
        path.join(channel, 'current.json'),
        ...[4, 5, 6, 7, 8].map((version) => path.join(channel, versionFileName(version))),
        path.relative(dataDir, path.join(store.libraryDir(WORKSPACE), `${storageName(['kept'])}.json`)),
      ].sort(),
    );
    for (const file of files) expect((await stat(path.join(dataDir, file))).mode & 0o777).toBe(0o600);
    const dirs = [path.dirname(store.channelDir(KEY)), store.channelDir(KEY), store.libraryDir(WORKSPACE)];
    for (const dir of [dataDir, path.dirname(store.libraryDir(WORKSPACE)), ...dirs]) {
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
    }
    const onDisk = z.object({ version: z.number(), change: z.string() });
    const current = onDisk.parse(JSON.parse(await readFile(store.channelFile(KEY), 'utf8')));
    expect(current).toEqual({ version: 8, change: 'change 8' });
    const newest = await readFile(path.join(store.channelDir(KEY), versionFileName(8)), 'utf8');
    await expect(readFile(store.channelFile(KEY), 'utf8')).resolves.toBe(newest);
  });

  it('trims version files left beyond the window, also after the history limit shrank', async () => {
    const wide = new FileSessionStore({ dataDir, historyLimit: 10 });
    for (let n = 1; n <= 12; n += 1) await wide.write(KEY, n - 1, changeOf(simpleDocument(`v${n}`), n));
    await expect(versionsIn(store.channelDir(KEY))).resolves.toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // The narrower store reads only its own window, and its next write trims the rest.
    const history = await store.history(KEY);
    expect(history.map((entry) => entry.version)).toEqual([12, 11, 10, 9, 8]);
    await expect(store.historyEntry(KEY, 7)).resolves.toBeNull();
    await store.write(KEY, 12, changeOf(simpleDocument('v13'), 13));
    await expect(versionsIn(store.channelDir(KEY))).resolves.toEqual([9, 10, 11, 12, 13]);
  });

  it('ignores a version file newer than current.json (an interrupted write) and replaces it', async () => {
    for (let n = 1; n <= 3; n += 1) await store.write(KEY, n - 1, changeOf(simpleDocument(`v${n}`), n));
    const orphan = path.join(store.channelDir(KEY), versionFileName(4));
    await writeFile(orphan, 'half-written, never committed');
    await expect(store.read(KEY)).resolves.toMatchObject({ version: 3, document: simpleDocument('v3') });
    const history = await store.history(KEY);
    expect(history.map((entry) => entry.version)).toEqual([3, 2, 1]);
    await expect(store.historyEntry(KEY, 4)).resolves.toBeNull();
    await expect(store.write(KEY, 3, changeOf(simpleDocument('v4'), 4))).resolves.toEqual({
      ok: true,
      version: 4,
    });
    await expect(store.historyEntry(KEY, 4)).resolves.toMatchObject({ document: simpleDocument('v4') });
    await expect(readFile(orphan, 'utf8')).resolves.toBe(await readFile(store.channelFile(KEY), 'utf8'));
  });

  it('shows history only down to a missing version file', async () => {
    for (let n = 1; n <= 5; n += 1) await store.write(KEY, n - 1, changeOf(simpleDocument(`v${n}`), n));
    await rm(path.join(store.channelDir(KEY), versionFileName(3)));
    const history = await store.history(KEY);
    expect(history.map((entry) => entry.version)).toEqual([5, 4]);
    await expect(store.historyEntry(KEY, 3)).resolves.toBeNull();
  });

  it('keeps any channel or workspace string inside the data directory', async () => {
    const strange = [
      '../../etc',
      '..',
      '.',
      '/',
      'a/b\\c',
      'x'.repeat(5000),
      '频道 🚀',
      'CON',
      'nul\u0000byte',
      '',
    ];
    const keys = strange.flatMap((text): ChannelKey[] => [
      { platform: 'discord', workspace: text, channel: 'c' },
      { platform: 'discord', workspace: 'w', channel: text },
    ]);
    for (const [index, key] of keys.entries()) {
      await store.write(key, 0, changeOf(simpleDocument(`channel ${index}`), 1));
      await store.saveNamed(
        { platform: key.platform, workspace: key.workspace },
        {
          name: 'n',
          document: simpleDocument(key.workspace.slice(0, 10)),
          at: 't',
          by: 'x',
        },
      );
    }
    await expect(readdir(base)).resolves.toEqual(['data']);
    const files = await listFiles(dataDir);
    expect(files.length).toBe(2 * keys.length + new Set(keys.map((key) => key.workspace)).size);
    for (const file of files) {
      expect(file).toMatch(
        /^(channels\/[a-z0-9_-]{0,48}\.[0-9a-f]{32}\/(current|v00000001)|library\/[a-z0-9_-]{0,48}\.[0-9a-f]{32}\/n\.[0-9a-f]{32})\.json$/,
      );
    }
    for (const [index, key] of keys.entries()) {
      await expect(store.read(key)).resolves.toMatchObject({
        version: 1,
        document: simpleDocument(`channel ${index}`),
      });
    }
  });

  describe('unreadable files', () => {
    const other: ChannelKey = { ...KEY, channel: 'other' };

    beforeEach(async () => {
      await store.write(KEY, 0, changeOf(simpleDocument('good'), 1));
      await store.write(other, 0, changeOf(simpleDocument('other'), 1));
    });

    const corruptions: Record<string, (file: string) => Promise<void>> = {
      'not JSON': (file) => writeFile(file, '{"format": "aitws.channel/1", "history": [tru'),
      'the wrong shape': (file) =>
        writeFile(file, JSON.stringify({ format: 'aitws.channel/1', history: [] })),
      'a broken value tag': async (file) => {
        const text = await readFile(file, 'utf8');
        const broken = text.replace('"metadata":{', '"metadata":{"when":{"$toml_date":"someday"},');
        expect(broken).not.toBe(text);
        await writeFile(file, broken);
      },
      "another channel's data": (file) => copyFile(store.channelFile(other), file),
    };

    for (const [name, corrupt] of Object.entries(corruptions)) {
      it(`reports ${name} as a clear error naming the file, and never overwrites it`, async () => {
        const file = store.channelFile(KEY);
        await corrupt(file);
        const bytes = await readFile(file, 'utf8');
        for (const attempt of [
          () => store.read(KEY),
          () => store.write(KEY, 1, changeOf(simpleDocument('new'), 2)),
          () => store.history(KEY),
          () => store.historyEntry(KEY, 1),
        ]) {
          const error = await rejection(attempt());
          expect(error.code).toBe('STORAGE_UNAVAILABLE');
          expect(error.retryable).toBe(false);
          expectNamed(error.message, file);
        }
        await expect(readFile(file, 'utf8')).resolves.toBe(bytes);
        await expect(store.read(other)).resolves.toMatchObject({ version: 1 });
      });
    }

    const versionCorruptions: Record<string, (file: string, dir: string) => Promise<void>> = {
      'garbage in': (file) => writeFile(file, 'garbage'),
      'another version in': (file, dir) => copyFile(path.join(dir, versionFileName(3)), file),
    };

    for (const [name, corrupt] of Object.entries(versionCorruptions)) {
      it(`reports a retained version file with ${name} it when asked for, and leaves it alone`, async () => {
        for (const n of [2, 3]) await store.write(KEY, n - 1, changeOf(simpleDocument(`v${n}`), n));
        const file = path.join(store.channelDir(KEY), versionFileName(2));
        await corrupt(file, store.channelDir(KEY));
        const bytes = await readFile(file, 'utf8');
        for (const attempt of [() => store.history(KEY), () => store.historyEntry(KEY, 2)]) {
          const error = await rejection(attempt());
          expect(error.code).toBe('STORAGE_UNAVAILABLE');
          expect(error.retryable).toBe(false);
          expectNamed(error.message, file);
        }
        // The record and newer versions do not depend on it.
        await expect(store.history(KEY, 1)).resolves.toHaveLength(1);
        await expect(store.write(KEY, 3, changeOf(simpleDocument('v4'), 4))).resolves.toEqual({
          ok: true,
          version: 4,
        });
        await expect(store.historyEntry(KEY, 3)).resolves.toMatchObject({ version: 3 });
        await expect(readFile(file, 'utf8')).resolves.toBe(bytes);
      });
    }

    it('reports an unreadable library entry or old library file the same way', async () => {
      await store.saveNamed(WORKSPACE, { name: 'x', document: simpleDocument('x'), at: 't', by: 'x' });
      const entry = entryFile(libraryFiles(path.join(dataDir, 'library'), WORKSPACE), 'x');
      await writeFile(entry, 'garbage');
      for (const attempt of [() => store.listNamed(WORKSPACE), () => store.loadNamed(WORKSPACE, 'x')]) {
        const error = await rejection(attempt());
        expect(error.code).toBe('STORAGE_UNAVAILABLE');
        expectNamed(error.message, entry);
      }
      const legacy = store.legacyLibraryFile(WORKSPACE);
      await writeFile(legacy, 'garbage');
      for (const attempt of [
        () => store.listNamed(WORKSPACE),
        () => store.loadNamed(WORKSPACE, 'y'),
        () => store.saveNamed(WORKSPACE, { name: 'y', document: simpleDocument('y'), at: 't', by: 'x' }),
      ]) {
        const error = await rejection(attempt());
        expect(error.code).toBe('STORAGE_UNAVAILABLE');
        expectNamed(error.message, legacy);
      }
      await expect(readFile(legacy, 'utf8')).resolves.toBe('garbage');
    });

    it('reports an entry file holding another name or workspace', async () => {
      await store.saveNamed(WORKSPACE, { name: 'x', document: simpleDocument('x'), at: 't', by: 'x' });
      await store.saveNamed(WORKSPACE, { name: 'y', document: simpleDocument('y'), at: 't', by: 'x' });
      const library = libraryFiles(path.join(dataDir, 'library'), WORKSPACE);
      await copyFile(entryFile(library, 'y'), entryFile(library, 'x'));
      const error = await rejection(store.loadNamed(WORKSPACE, 'x'));
      expectNamed(error.message, entryFile(library, 'x'));
    });
  });

  it('turns file-system failures into a retryable storage error', async () => {
    await writeFile(path.join(base, 'blocker'), 'a file where the data directory should be');
    const blocked = new FileSessionStore({ dataDir: path.join(base, 'blocker', 'data') });
    const error = await rejection(blocked.write(KEY, 0, changeOf(simpleDocument('a'), 1)));
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  describe('the old single-file library', () => {
    /** Writes the library file of the layout before one file per name. */
    async function writeLegacy(rows: readonly { name: string; title: string }[]): Promise<string> {
      const file = store.legacyLibraryFile(WORKSPACE);
      await mkdir(path.dirname(file), { recursive: true });
      const saved = rows.map(({ name, title }) => ({
        name,
        at: 'then',
        by: 'old',
        document: simpleDocument(title),
      }));
      await writeFile(file, JSON.stringify({ format: 'aitws.library/1', workspace: WORKSPACE, saved }));
      return file;
    }

    it('is read as it is, then moved into one file per name by the next save, nothing lost', async () => {
      const legacy = await writeLegacy([
        { name: 'alpha', title: 'first alpha' },
        { name: 'beta', title: 'beta' },
        { name: 'alpha', title: 'last alpha' },
      ]);
      await expect(store.loadNamed(WORKSPACE, 'alpha')).resolves.toMatchObject({
        document: simpleDocument('last alpha'),
      });
      const before = await store.listNamed(WORKSPACE);
      expect(before.map((saved) => saved.name)).toEqual(['alpha', 'beta']);
      await store.saveNamed(WORKSPACE, {
        name: 'gamma',
        document: simpleDocument('g'),
        at: 'now',
        by: 'new',
      });
      await expect(stat(legacy)).rejects.toMatchObject({ code: 'ENOENT' });
      const library = libraryFiles(path.join(dataDir, 'library'), WORKSPACE);
      for (const name of ['alpha', 'beta', 'gamma']) await stat(entryFile(library, name));
      const after = await store.listNamed(WORKSPACE);
      expect(after).toEqual([...before, { name: 'gamma', at: 'now', by: 'new' }]);
      await expect(store.loadNamed(WORKSPACE, 'beta')).resolves.toMatchObject({
        document: simpleDocument('beta'),
      });
    });

    it('loses to an entry file of the same name (a save after an interrupted migration)', async () => {
      await store.saveNamed(WORKSPACE, {
        name: 'alpha',
        document: simpleDocument('newer'),
        at: 'now',
        by: 'x',
      });
      await writeLegacy([{ name: 'alpha', title: 'older' }]);
      await expect(store.loadNamed(WORKSPACE, 'alpha')).resolves.toMatchObject({
        document: simpleDocument('newer'),
      });
      await store.saveNamed(WORKSPACE, { name: 'other', document: simpleDocument('o'), at: 'now', by: 'x' });
      await expect(store.loadNamed(WORKSPACE, 'alpha')).resolves.toMatchObject({
        document: simpleDocument('newer'),
      });
    });

    it('moves every old save even past the caps, then refuses new names', async () => {
      const capped = new FileSessionStore({ dataDir, library: { maxEntries: 2 } });
      await writeLegacy(['a', 'b', 'c'].map((name) => ({ name, title: name })));
      const error = await rejection(
        capped.saveNamed(WORKSPACE, { name: 'd', document: simpleDocument('d'), at: 't', by: 'x' }),
      );
      expect(error.code).toBe('LIMIT');
      const listed = await capped.listNamed(WORKSPACE);
      expect(listed.map((saved) => saved.name)).toEqual(['a', 'b', 'c']);
      await expect(stat(capped.legacyLibraryFile(WORKSPACE))).rejects.toMatchObject({ code: 'ENOENT' });
      // Replacing an old save is still allowed.
      await capped.saveNamed(WORKSPACE, { name: 'a', document: simpleDocument('a2'), at: 't', by: 'x' });
    });
  });

  it('rejects nonsensical options', () => {
    for (const options of [
      { historyLimit: 0 },
      { historyLimit: 2.5 },
      { lockTimeoutMs: -1 },
      { library: { maxEntries: 0 } },
      { library: { maxBytes: 1.5 } },
    ]) {
      expect(() => new FileSessionStore({ dataDir, ...options })).toThrow(AitwsError);
    }
  });
});
