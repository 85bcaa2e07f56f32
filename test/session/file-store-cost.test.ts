/**
 * What one FileSessionStore write costs in file-system work: the files it reads, replaces and
 * removes and the bytes it writes, counted by wrapping node:fs/promises (never by timing). A write
 * must cost one document, however long the channel's history is.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileSessionStore } from '../../src/session/file-store.js';
import { versionFileName } from '../../src/session/file-store-channel.js';
import type { ChannelKey } from '../../src/session/port.js';
import { changeOf, simpleDocument } from '../contracts/session-store.fixtures.js';

interface Operation {
  readonly op: 'read' | 'replace' | 'remove' | 'list';
  readonly file: string;
  readonly bytes: number;
}

const io = vi.hoisted(() => ({ recording: false, operations: [] as Operation[] }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const record = (op: Operation['op'], file: string, bytes = 0): void => {
    if (io.recording) io.operations.push({ op, file, bytes });
  };
  return {
    ...actual,
    readFile: async (file: string, encoding: BufferEncoding) => {
      const text = await actual.readFile(file, encoding);
      record('read', file, Buffer.byteLength(text));
      return text;
    },
    // The store writes data only through writeFileAtomic: a temporary file renamed over the target.
    rename: async (from: string, to: string) => {
      const { size } = await actual.stat(from);
      record('replace', to, size);
      return actual.rename(from, to);
    },
    unlink: async (file: string) => {
      record('remove', file);
      return actual.unlink(file);
    },
    readdir: async (dir: string) => {
      record('list', dir);
      return actual.readdir(dir);
    },
  };
});

const KEY: ChannelKey = { platform: 'console', workspace: 'local', channel: 'cost' };
const LIMIT = 20;

/** About 4 KB, and the same size for every version. */
function documentFor(version: number) {
  return simpleDocument(`version ${String(version).padStart(6, '0')}`, { body: 'x'.repeat(4000) });
}

/** Operations on the channel's data files (the lock file is bookkeeping, the same every time). */
async function recorded<T>(work: () => Promise<T>): Promise<Operation[]> {
  io.operations = [];
  io.recording = true;
  try {
    await work();
  } finally {
    io.recording = false;
  }
  return io.operations.filter((operation) => !operation.file.endsWith('.lock'));
}

describe('FileSessionStore write cost', () => {
  let base: string;
  let store: FileSessionStore;

  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'aitws-file-cost-'));
    store = new FileSessionStore({ dataDir: path.join(base, 'data'), historyLimit: LIMIT });
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function writeVersion(version: number): Promise<Operation[]> {
    return recorded(() => store.write(KEY, version - 1, changeOf(documentFor(version), version)));
  }

  it('reads only current.json and replaces two files of one document each, at any history length', async () => {
    const dir = store.channelDir(KEY);
    const current = store.channelFile(KEY);
    const costs = new Map<number, Operation[]>();
    for (let version = 1; version <= LIMIT * 3; version += 1) costs.set(version, await writeVersion(version));

    const first = costs.get(1) ?? [];
    const documentBytes = first.find((operation) => operation.op === 'replace')?.bytes ?? 0;
    expect(documentBytes).toBeGreaterThan(4000);
    expect(documentBytes).toBeLessThan(4500);
    for (const [version, operations] of costs) {
      const reads = operations.filter((operation) => operation.op === 'read');
      const replaced = operations.filter((operation) => operation.op === 'replace');
      const removed = operations.filter((operation) => operation.op === 'remove');
      // Nothing to read on the very first write.
      expect(reads.map((operation) => operation.file)).toEqual(version === 1 ? [] : [current]);
      expect(replaced.map((operation) => operation.file)).toEqual([
        path.join(dir, versionFileName(version)),
        current,
      ]);
      // The same bytes twice; they differ from the first write's only by wider version numbers.
      const [versionBytes, currentBytes] = replaced.map((operation) => operation.bytes);
      expect(currentBytes).toBe(versionBytes);
      expect(versionBytes).toBeGreaterThanOrEqual(documentBytes);
      expect(versionBytes).toBeLessThanOrEqual(documentBytes + 8);
      const expired = version - LIMIT;
      expect(removed.map((operation) => operation.file)).toEqual(
        expired >= 1 ? [path.join(dir, versionFileName(expired))] : [],
      );
      expect(operations.filter((operation) => operation.op === 'list').length).toBeLessThanOrEqual(1);
    }
  });

  it('reads one file per entry asked for, and only current.json for the record', async () => {
    for (let version = 1; version <= LIMIT + 5; version += 1) await writeVersion(version);
    const reads = async (work: () => Promise<unknown>): Promise<number> =>
      (await recorded(work)).filter((operation) => operation.op === 'read').length;
    await expect(reads(() => store.read(KEY))).resolves.toBe(1);
    await expect(reads(() => store.historyEntry(KEY, LIMIT + 5))).resolves.toBe(1);
    await expect(reads(() => store.historyEntry(KEY, 10))).resolves.toBe(2);
    await expect(reads(() => store.historyEntry(KEY, 5))).resolves.toBe(1);
    await expect(reads(() => store.history(KEY, 3))).resolves.toBe(3);
    await expect(reads(() => store.history(KEY))).resolves.toBe(LIMIT);
  });
});
