import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AitwsError } from '../../src/errors.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import type { ChannelKey, WorkspaceKey } from '../../src/session/port.js';
import { sessionStoreContract } from '../contracts/session-store.contract.js';
import { changeOf, simpleDocument } from '../contracts/session-store.fixtures.js';

sessionStoreContract('FileSessionStore', async ({ historyLimit }) => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'aitws-file-store-'));
  return {
    store: new FileSessionStore({ dataDir: path.join(base, 'data'), historyLimit }),
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

const KEY: ChannelKey = { platform: 'console', workspace: 'local', channel: 'main' };
const WORKSPACE: WorkspaceKey = { platform: 'console', workspace: 'local' };

describe('FileSessionStore on disk', () => {
  let base: string;
  let dataDir: string;
  let store: FileSessionStore;

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

  it('replaces files atomically, leaving only the data files, readable by the owner only', async () => {
    for (let n = 1; n <= 8; n += 1) await store.write(KEY, n - 1, changeOf(simpleDocument(`v${n}`), n));
    await store.saveNamed(WORKSPACE, { name: 'kept', document: simpleDocument('k'), at: 't', by: 'x' });
    const files = await listFiles(dataDir);
    expect(files).toEqual(
      [
        path.relative(dataDir, store.channelFile(KEY)),
        path.relative(dataDir, store.libraryFile(WORKSPACE)),
      ].sort(),
    );
    const mode = (await stat(store.channelFile(KEY))).mode & 0o777;
    expect(mode).toBe(0o600);
    const onDisk = z.object({ history: z.array(z.object({ version: z.number() })) });
    const stored = onDisk.parse(JSON.parse(await readFile(store.channelFile(KEY), 'utf8')));
    expect(stored.history.map((entry) => entry.version)).toEqual([8, 7, 6, 5, 4]);
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
    expect(files.length).toBe(keys.length + new Set(keys.map((key) => key.workspace)).size);
    for (const file of files)
      expect(file).toMatch(/^(channels|library)\/[a-z0-9_-]{0,48}\.[0-9a-f]{32}\.json$/);
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
          expect(error.message).toContain(file);
        }
        await expect(readFile(file, 'utf8')).resolves.toBe(bytes);
        await expect(store.read(other)).resolves.toMatchObject({ version: 1 });
      });
    }

    it('reports an unreadable library file the same way', async () => {
      const file = store.libraryFile(WORKSPACE);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, 'garbage');
      for (const attempt of [
        () => store.listNamed(WORKSPACE),
        () => store.loadNamed(WORKSPACE, 'x'),
        () => store.saveNamed(WORKSPACE, { name: 'x', document: simpleDocument('x'), at: 't', by: 'x' }),
      ]) {
        const error = await rejection(attempt());
        expect(error.code).toBe('STORAGE_UNAVAILABLE');
        expect(error.message).toContain(file);
      }
      await expect(readFile(file, 'utf8')).resolves.toBe('garbage');
    });
  });

  it('turns file-system failures into a retryable storage error', async () => {
    await writeFile(path.join(base, 'blocker'), 'a file where the data directory should be');
    const blocked = new FileSessionStore({ dataDir: path.join(base, 'blocker', 'data') });
    const error = await rejection(blocked.write(KEY, 0, changeOf(simpleDocument('a'), 1)));
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  it('rejects nonsensical options', () => {
    for (const options of [{ historyLimit: 0 }, { historyLimit: 2.5 }, { lockTimeoutMs: -1 }]) {
      expect(() => new FileSessionStore({ dataDir, ...options })).toThrow(AitwsError);
    }
  });
});
