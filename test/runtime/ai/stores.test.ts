/** The AI store contracts on memory, files, Redis and a 3-master Redis Cluster, and what each adds. */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryWorkspaceBudget } from '../../../src/runtime/ai/budget.js';
import {
  FileAiResponseCache,
  FileDriftStore,
  FileWorkspaceBudget,
} from '../../../src/runtime/ai/store-file.js';
import { MemoryAiResponseCache, MemoryDriftStore } from '../../../src/runtime/ai/store-memory.js';
import {
  RedisAiResponseCache,
  RedisDriftStore,
  RedisWorkspaceBudget,
} from '../../../src/runtime/ai/store-redis.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../../src/session/redis-client.js';
import {
  deletePrefix,
  type RedisCluster,
  sharedRedis,
  startCluster,
  uniquePrefix,
} from '../../support/redis.js';
import {
  aiResponseCacheContract,
  type BudgetSetup,
  driftStoreContract,
  workspaceBudgetContract,
} from './stores.contract.js';

const run = promisify(execFile);
const PROCESSES = 3;

const noCleanup = async (): Promise<void> => {};

/** A clock tests move by hand, starting mid-January 2025. */
function testClock(): { now: () => number; advance(ms: number): Promise<void> } {
  let ms = Date.UTC(2025, 0, 15);
  return {
    now: () => ms,
    advance: async (by) => {
      ms += by;
    },
  };
}

async function tempDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-ai-stores-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

describe('memory', () => {
  aiResponseCacheContract('memory', async () => {
    const clock = testClock();
    return {
      cache: new MemoryAiResponseCache({ now: clock.now }),
      advance: clock.advance,
      cleanup: noCleanup,
    };
  });
  workspaceBudgetContract(
    'memory',
    async ({ limit }) => ({ budget: new MemoryWorkspaceBudget(limit), cleanup: noCleanup }),
    { months: false },
  );
  driftStoreContract('memory', async (window) => ({
    store: new MemoryDriftStore(window === undefined ? {} : { window }),
    cleanup: noCleanup,
  }));

  it('refuses a window below 1', () => {
    expect(() => new MemoryDriftStore({ window: 0 })).toThrow(/drift window/);
  });
});

describe('files', () => {
  aiResponseCacheContract('files', async () => {
    const clock = testClock();
    const { dir, cleanup } = await tempDir();
    return {
      cache: new FileAiResponseCache({ dataDir: dir, now: clock.now }),
      advance: clock.advance,
      cleanup,
    };
  });
  workspaceBudgetContract(
    'files',
    async ({ limit, now }: BudgetSetup) => {
      const { dir, cleanup } = await tempDir();
      return { budget: new FileWorkspaceBudget({ dataDir: dir, limit, now }), cleanup };
    },
    { months: true },
  );
  driftStoreContract('files', async (window) => {
    const { dir, cleanup } = await tempDir();
    return {
      store: new FileDriftStore({ dataDir: dir, ...(window === undefined ? {} : { window }) }),
      cleanup,
    };
  });

  it('lays budget files out by workspace and month, inside the data dir, with no leftovers', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const now = () => Date.UTC(2025, 2, 3);
      const budget = new FileWorkspaceBudget({ dataDir: dir, limit: 1, now });
      await budget.charge('../T:1', 0.5, 'k');
      await new FileWorkspaceBudget({ dataDir: dir, limit: 1, now }).charge('../T:1', 0.5, 'k');
      const names = await readdir(path.join(dir, 'ai', 'budget'));
      expect(names).toHaveLength(1);
      expect(names[0]).toMatch(/^_t_1\.[0-9a-f]{32}-2025-03\.json$/);
      const stored = JSON.parse(await readFile(path.join(dir, 'ai', 'budget', names[0] ?? ''), 'utf8'));
      expect(stored).toEqual({ workspace: '../T:1', month: '2025-03', spentMicros: 500_000, charged: ['k'] });
      expect(await readdir(dir)).toEqual(['ai']);
    } finally {
      await cleanup();
    }
  });

  it('adds up charges and samples from several OS processes sharing the data dir', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const storeModule = path.resolve(import.meta.dirname, '../../../src/runtime/ai/store-file.ts');
      const barrier = path.join(dir, 'barrier');
      await mkdir(barrier);
      // The children wait for each other (a file each), so their writes overlap.
      const script = `
        import { readdir, writeFile } from 'node:fs/promises';
        import { FileDriftStore, FileWorkspaceBudget } from ${JSON.stringify(storeModule)};
        const budget = new FileWorkspaceBudget({ dataDir: ${JSON.stringify(dir)}, limit: 10 });
        const drift = new FileDriftStore({ dataDir: ${JSON.stringify(dir)}, window: 100 });
        const scope = { channel: 'console:local:main', workflow: 'w' };
        const sample = { action: 'a', at: '2025-01-01T00:00:00Z', validationFailed: false, repairs: 0, latencyMs: 1, costUsd: 0 };
        await writeFile(${JSON.stringify(barrier)} + '/' + process.pid, '');
        while ((await readdir(${JSON.stringify(barrier)})).length < ${PROCESSES}) await new Promise((r) => setTimeout(r, 2));
        await Promise.all(Array.from({ length: 10 }, (_, i) => budget.charge('T', 0.01, process.pid + '-' + i)));
        await Promise.all(Array.from({ length: 5 }, (_, i) => budget.charge('T', 0.01, 'shared-' + i)));
        await Promise.all(Array.from({ length: 10 }, () => drift.record(scope, sample)));
      `;
      const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');
      await Promise.all(
        Array.from({ length: PROCESSES }, () =>
          run(tsx, ['--input-type=module', '-e', script], { cwd: dir }),
        ),
      );
      const budget = new FileWorkspaceBudget({ dataDir: dir, limit: 10 });
      expect(await budget.remaining('T')).toBeCloseTo(10 - (PROCESSES * 10 + 5) * 0.01, 9);
      const drift = new FileDriftStore({ dataDir: dir, window: 100 });
      expect((await drift.summary({ channel: 'console:local:main', workflow: 'w' }, 'a')).samples).toBe(
        PROCESSES * 10,
      );
    } finally {
      await cleanup();
    }
  });

  it('treats an unreadable cache entry as a miss, but refuses an unreadable budget', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const cache = new FileAiResponseCache({ dataDir: dir });
      await cache.set('fp', { ok: true }, 60);
      const [entry] = await readdir(path.join(dir, 'ai', 'cache'));
      await writeFile(path.join(dir, 'ai', 'cache', entry ?? ''), '{not json');
      expect(await cache.get('fp')).toBeUndefined();
      await cache.set('fp', { ok: 2 }, 60);
      expect(await cache.get('fp')).toEqual({ ok: 2 });

      const budget = new FileWorkspaceBudget({ dataDir: dir, limit: 1 });
      await budget.charge('T', 0.5, 'k');
      const [file] = await readdir(path.join(dir, 'ai', 'budget'));
      await writeFile(path.join(dir, 'ai', 'budget', file ?? ''), '{"spentMicros": -1}');
      await expect(budget.remaining('T')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await expect(budget.charge('T', 0.1, 'k2')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    } finally {
      await cleanup();
    }
  });
});

function redisContracts(label: string, client: () => RedisClient): void {
  const withPrefix = (prefix: string) => ({ prefix, commandTimeoutMs: 5000 });
  aiResponseCacheContract(label, async () => {
    const prefix = uniquePrefix('ai-cache');
    return {
      cache: new RedisAiResponseCache(client(), withPrefix(prefix)),
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      cleanup: () => deletePrefix(client(), prefix),
    };
  });
  workspaceBudgetContract(
    label,
    async ({ limit, now }) => {
      const prefix = uniquePrefix('ai-budget');
      const budget = new RedisWorkspaceBudget(client(), { ...withPrefix(prefix), limit, now });
      return { budget, cleanup: () => deletePrefix(client(), prefix) };
    },
    { months: true },
  );
  driftStoreContract(label, async (window) => {
    const prefix = uniquePrefix('ai-drift');
    const options = { ...withPrefix(prefix), ...(window === undefined ? {} : { window }) };
    return { store: new RedisDriftStore(client(), options), cleanup: () => deletePrefix(client(), prefix) };
  });
}

describe('standalone Redis', () => {
  let redis: { readonly url: string; stop(): Promise<void> };
  let client: RedisClient;
  beforeAll(async () => {
    redis = await sharedRedis();
    client = createRedisClient(redis.url);
  });
  afterAll(async () => {
    await closeRedisClient(client);
    await redis.stop();
  });

  redisContracts('Redis (standalone)', () => client);

  it('keeps each operation under one hash tag, budgets for about 40 days', async () => {
    const prefix = uniquePrefix('ai-keys');
    try {
      const now = () => Date.UTC(2025, 5, 30);
      await new RedisWorkspaceBudget(client, { prefix, limit: 1, now }).charge('T{1}', 0.25, 'k');
      await new RedisAiResponseCache(client, { prefix }).set('fp', { a: 1 }, 30);
      await new RedisDriftStore(client, { prefix, window: 2 }).record(
        { channel: 'slack:T1:C1', workflow: 'w' },
        {
          action: 'a',
          at: '2025-06-30T00:00:00Z',
          validationFailed: false,
          repairs: 0,
          latencyMs: 1,
          costUsd: 0,
        },
      );
      const keys = (await client.keys(`${prefix}:*`)).sort();
      expect(keys).toEqual([
        `${prefix}:{aibudget:T%7B1%7D:2025-06}:charged`,
        `${prefix}:{aibudget:T%7B1%7D:2025-06}:spent`,
        expect.stringMatching(new RegExp(`^${prefix}:\\{aicache:[0-9a-f]{64}\\}:response$`)),
        `${prefix}:{aidrift:slack%3AT1%3AC1:w:a}:samples`,
      ]);
      expect(await client.get(`${prefix}:{aibudget:T%7B1%7D:2025-06}:spent`)).toBe('250000');
      const ttl = await client.ttl(`${prefix}:{aibudget:T%7B1%7D:2025-06}:spent`);
      expect(ttl).toBeGreaterThan(39 * 86_400);
      expect(ttl).toBeLessThanOrEqual(40 * 86_400);
      const cacheTtl = await client.pttl(keys[2] ?? '');
      expect(cacheTtl).toBeGreaterThan(25_000);
      expect(cacheTtl).toBeLessThanOrEqual(30_000);
    } finally {
      await deletePrefix(client, prefix);
    }
  });

  it('refuses a prefix that would break the hash tags', () => {
    expect(() => new RedisAiResponseCache(client, { prefix: 'a{b}' })).toThrow(/prefix/);
  });
});

describe('Redis Cluster, 3 masters', () => {
  let cluster: RedisCluster;
  let client: RedisClient;
  beforeAll(async () => {
    cluster = await startCluster(3);
    client = createRedisClient(cluster.url);
  });
  afterAll(async () => {
    await closeRedisClient(client);
    await cluster.stop();
  });

  redisContracts('Redis (cluster)', () => client);
});
