import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { versionFileName } from '../../src/session/file-store-channel.js';
import type { ChannelKey } from '../../src/session/port.js';
import { changeOf, simpleDocument } from '../contracts/session-store.fixtures.js';

const KEY: ChannelKey = { platform: 'console', workspace: 'local', channel: 'locked' };

/** The pid of a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  if (child.pid === undefined) throw new Error('could not start a child process');
  return child.pid;
}

function owner(pid: number, createdAt: number, thread = 0): string {
  return JSON.stringify({ pid, thread, host: os.hostname(), token: `test-${pid}`, createdAt });
}

describe('FileSessionStore locking', () => {
  let base: string;

  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'aitws-file-lock-'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function storeWithLock(content: string, lockTimeoutMs: number): Promise<FileSessionStore> {
    const store = new FileSessionStore({ dataDir: base, lockTimeoutMs });
    const lock = `${store.channelFile(KEY)}.lock`;
    await mkdir(path.dirname(lock), { recursive: true });
    await writeFile(lock, content);
    return store;
  }

  async function expectWriteLands(store: FileSessionStore): Promise<void> {
    await expect(store.write(KEY, 0, changeOf(simpleDocument('landed'), 1))).resolves.toEqual({
      ok: true,
      version: 1,
    });
    // The lock is gone; only the data is left.
    const files = await readdir(store.channelDir(KEY));
    expect(files.sort()).toEqual([path.basename(store.channelFile(KEY)), versionFileName(1)]);
  }

  it('takes over at once a lock whose owner process has exited', async () => {
    const store = await storeWithLock(owner(await deadPid(), Date.now()), 60_000);
    const started = Date.now();
    await expectWriteLands(store);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('takes over at once a lock left by this very thread (a recycled pid, as pid 1 in a container)', async () => {
    const store = await storeWithLock(owner(process.pid, Date.now(), threadId), 60_000);
    await expectWriteLands(store);
  });

  it('takes over a lock older than lockTimeoutMs even when its owner still runs', async () => {
    const store = await storeWithLock(owner(process.ppid, Date.now() - 5_000), 1_000);
    await expectWriteLands(store);
  });

  it('takes over an unreadable lock file once its modification time is old enough', async () => {
    const store = await storeWithLock('half-written', 1_000);
    const past = new Date(Date.now() - 5_000);
    await utimes(`${store.channelFile(KEY)}.lock`, past, past);
    await expectWriteLands(store);
  });

  it('waits while a live process holds the lock, then proceeds', async () => {
    const store = await storeWithLock(owner(process.ppid, Date.now()), 60_000);
    const lock = `${store.channelFile(KEY)}.lock`;
    const started = Date.now();
    setTimeout(() => void rm(lock), 300);
    await expectWriteLands(store);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('gives up with a retryable storage error when the lock is never free, writing nothing', async () => {
    const store = await storeWithLock(owner(process.ppid, Date.now()), 200);
    // A busy holder: the lock is taken again and again, each time fresh, so it is never stale.
    const lock = `${store.channelFile(KEY)}.lock`;
    let round = 0;
    const busy = setInterval(() => {
      round += 1;
      const next = `${lock}.${round}`;
      const holder = {
        pid: process.ppid,
        thread: 0,
        host: os.hostname(),
        token: `busy-${round}`,
        createdAt: Date.now(),
      };
      void writeFile(next, JSON.stringify(holder))
        .then(() => rename(next, lock))
        .catch(() => undefined);
    }, 20);
    const error: unknown = await store
      .write(KEY, 0, changeOf(simpleDocument('x'), 1))
      .catch((reason: unknown) => reason)
      .finally(() => clearInterval(busy));
    expect(error).toBeInstanceOf(AitwsError);
    expect(error instanceof AitwsError && error.code === 'STORAGE_UNAVAILABLE' && error.retryable).toBe(true);
    await expect(store.read(KEY)).resolves.toMatchObject({ version: 0 });
  });
});
