/**
 * A cross-process exclusive lock on one file, for stores that several OS processes may share.
 *
 * The lock is a sibling file created with O_EXCL (`open(path, 'wx')`), holding who owns it. A lock
 * left behind by a crash is taken over when its owner process is gone (same host) or when it is
 * older than `staleMs`. A lock's age is also at least how long this waiter has been watching it:
 * a lock dated in the future (another host's clock runs ahead) would otherwise be honoured until
 * our clock caught up, an hour for an hour of skew; this way it is honoured for `staleMs`, as a
 * fresh one would be. Breaking a stale lock is itself serialised through a second O_EXCL file,
 * so two waiters that both see the same stale lock cannot end up removing each other's fresh one.
 *
 * Inside one process, callers queue on a promise first, so the file system is only polled when
 * another process holds the lock.
 */
import { randomUUID } from 'node:crypto';
import { type FileHandle, open, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';
import { z } from 'zod';
import { StorageUnavailableError } from '../errors.js';
import { errorCode, removeIfPresent } from './file-io.js';

export interface LockOptions {
  /** A lock older than this is considered abandoned. */
  readonly staleMs: number;
  /** Give up waiting after this long (StorageUnavailableError, retryable). */
  readonly waitMs: number;
}

const ownerSchema = z.object({
  pid: z.number().int(),
  thread: z.number().int(),
  host: z.string(),
  token: z.string(),
  createdAt: z.number(),
});
type Owner = z.infer<typeof ownerSchema>;

interface Observed {
  /** null when the file exists but holds no readable owner (yet: it is written after creation). */
  readonly owner: Owner | null;
  readonly mtimeMs: number;
  readonly ino: number;
}

/**
 * Shared through the global symbol registry so that two copies of this module in one thread (a
 * bundle plus the sources, say) still queue on the same promises; the "own pid means leftover"
 * rule in isStale depends on it.
 */
interface ProcessState {
  readonly queues: Map<string, Promise<void>>;
}
const STATE_KEY = Symbol.for('aitws.session.file-lock');

function processState(): ProcessState {
  const registry: Record<symbol, ProcessState | undefined> = globalThis;
  const existing = registry[STATE_KEY];
  if (existing !== undefined) return existing;
  const created: ProcessState = { queues: new Map() };
  registry[STATE_KEY] = created;
  return created;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creates `file` exclusively with `content`; false when it already exists. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
  } catch (error) {
    await handle.close();
    await removeIfPresent(file);
    throw error;
  }
  await handle.close();
  return true;
}

async function observe(file: string): Promise<Observed | null> {
  try {
    const [text, stats] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    let owner: Owner | null = null;
    try {
      const parsed = ownerSchema.safeParse(JSON.parse(text));
      owner = parsed.success ? parsed.data : null;
    } catch {
      owner = null;
    }
    return { owner, mtimeMs: stats.mtimeMs, ino: stats.ino };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return errorCode(error) === 'EPERM';
  }
}

/** `watchedSince`: when this waiter first saw this same lock (see the module comment). */
function isStale(observed: Observed, staleMs: number, watchedSince: number): boolean {
  const { owner } = observed;
  const now = Date.now();
  const age = Math.max(now - (owner?.createdAt ?? observed.mtimeMs), now - watchedSince);
  if (age > staleMs) return true;
  if (owner === null || owner.host !== hostname()) return false;
  // Callers in this thread queue before touching the file, so a lock naming this very thread is
  // a leftover: a failed release, or an earlier process that had the same pid (pid 1 in a container).
  if (owner.pid === process.pid) return owner.thread === threadId;
  return !processIsAlive(owner.pid);
}

function sameLock(a: Observed, b: Observed): boolean {
  if (a.owner !== null && b.owner !== null) return a.owner.token === b.owner.token;
  return a.owner === null && b.owner === null && a.ino === b.ino && a.mtimeMs === b.mtimeMs;
}

/** Removes the lock if it is still the stale one we saw. True when the caller should retry at once. */
async function breakStaleLock(lockPath: string, seen: Observed, options: LockOptions): Promise<boolean> {
  const breaker = `${lockPath}.break`;
  if (!(await createExclusive(breaker, String(process.pid)))) {
    // A breaker that crashed mid-way would block everyone; its work takes milliseconds.
    // One dated far in the future is a skewed clock's, not a breaker at work.
    const other = await observe(breaker);
    if (other !== null && Math.abs(Date.now() - other.mtimeMs) > options.staleMs) {
      await removeIfPresent(breaker);
    }
    return false;
  }
  try {
    const now = await observe(lockPath);
    if (now !== null && sameLock(now, seen)) await removeIfPresent(lockPath);
    return true;
  } finally {
    await removeIfPresent(breaker);
  }
}

function waitDelay(attempt: number): number {
  return 1 + Math.random() * Math.min(25, 2 * 1.5 ** attempt);
}

async function acquire(lockPath: string, options: LockOptions): Promise<string> {
  const token = randomUUID();
  const deadline = Date.now() + options.waitMs;
  let watched: { readonly lock: Observed; readonly since: number } | null = null;
  for (let attempt = 0; ; attempt += 1) {
    const owner: Owner = {
      pid: process.pid,
      thread: threadId,
      host: hostname(),
      token,
      createdAt: Date.now(),
    };
    if (await createExclusive(lockPath, JSON.stringify(owner))) return token;
    const seen = await observe(lockPath);
    if (seen === null) continue;
    if (watched === null || !sameLock(watched.lock, seen)) watched = { lock: seen, since: Date.now() };
    if (isStale(seen, options.staleMs, watched.since) && (await breakStaleLock(lockPath, seen, options))) {
      continue;
    }
    if (Date.now() >= deadline) {
      throw new StorageUnavailableError(
        `Another process has held the lock ${lockPath} for too long; nothing was changed. Try again in a moment.`,
      );
    }
    await sleep(waitDelay(attempt));
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  const current = await observe(lockPath);
  // Taken over because we overran staleMs: the lock is someone else's now; leave it.
  if (current?.owner?.token === token) await removeIfPresent(lockPath);
}

/** Runs `work` while holding the lock file `lockPath`, queueing behind this process's holders first. */
export async function withFileLock<T>(
  lockPath: string,
  options: LockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const { queues } = processState();
  const previous = queues.get(lockPath) ?? Promise.resolve();
  let done: () => void = () => {};
  const turn = new Promise<void>((resolve) => {
    done = resolve;
  });
  const tail = previous.then(() => turn);
  queues.set(lockPath, tail);
  try {
    await previous;
    const token = await acquire(lockPath, options);
    try {
      return await work();
    } finally {
      await release(lockPath, token);
    }
  } finally {
    done();
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  }
}
