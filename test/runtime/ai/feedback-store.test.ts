/** The FeedbackStore contract on memory, files and Redis (standalone and Cluster), and what each adds. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryFeedbackStore } from '../../../src/runtime/ai/feedback-store.js';
import { FEEDBACK_FOLDER, FileFeedbackStore } from '../../../src/runtime/ai/feedback-store-file.js';
import { RedisFeedbackStore } from '../../../src/runtime/ai/feedback-store-redis.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../../src/session/redis-client.js';
import {
  deletePrefix,
  type RedisCluster,
  sharedRedis,
  startCluster,
  uniquePrefix,
} from '../../support/redis.js';
import { feedbackStoreContract, rating } from './feedback-store.contract.js';

const SCOPE = { channel: 'slack:T1:C1', workflow: '../Triage/../../x' };

function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'aitws-feedback-'));
}

feedbackStoreContract('MemoryFeedbackStore', async () => ({
  store: new MemoryFeedbackStore(),
  cleanup: async () => {},
}));

feedbackStoreContract('FileFeedbackStore', async () => {
  const dataDir = await tempDir();
  return {
    store: new FileFeedbackStore({ dataDir }),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

describe('FileFeedbackStore', () => {
  it('keeps one JSON Lines file per channel and workflow, named by a hash, inside its folder', async () => {
    const dataDir = await tempDir();
    try {
      const store = new FileFeedbackStore({ dataDir });
      await store.add(SCOPE, rating({ run: 'r1' }));
      await store.add(SCOPE, rating({ run: 'r2', minute: 1 }));
      await store.add(SCOPE, rating({ run: 'r1', rating: 'bad', minute: 2 }));
      const folder = path.join(dataDir, FEEDBACK_FOLDER);
      const names = await readdir(folder);
      expect(names.filter((name) => name.endsWith('.jsonl'))).toEqual([path.basename(store.file(SCOPE))]);
      expect(names[0]).toMatch(/^[a-z0-9_-]+\.[0-9a-f]{32}\.jsonl$/);
      const lines = (await readFile(store.file(SCOPE), 'utf8')).trimEnd().split('\n');
      // The replaced rating is gone from the file, not only hidden.
      expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
        { run: 'r2', channel: SCOPE.channel, workflow: SCOPE.workflow },
        { run: 'r1', rating: 'bad' },
      ]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a damaged file instead of guessing, naming it under $AITWS_DATA_DIR', async () => {
    const dataDir = await tempDir();
    try {
      const store = new FileFeedbackStore({ dataDir });
      await store.add(SCOPE, rating());
      await writeFile(store.file(SCOPE), '{"run": 1}\n');
      const failure = store.list(SCOPE, { limit: 5 });
      await expect(failure).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await expect(store.list(SCOPE, { limit: 5 })).rejects.toThrow(/\$AITWS_DATA_DIR/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

function redisFactory(client: () => RedisClient) {
  return async () => {
    const prefix = uniquePrefix('feedback');
    return {
      store: new RedisFeedbackStore(client(), { prefix }),
      cleanup: () => deletePrefix(client(), prefix),
    };
  };
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

  feedbackStoreContract(
    'RedisFeedbackStore (standalone)',
    redisFactory(() => client),
  );

  it("keeps a scope's keys under one hash tag, and an index of scopes", async () => {
    const prefix = uniquePrefix('feedback');
    try {
      const store = new RedisFeedbackStore(client, { prefix });
      await store.add(SCOPE, rating());
      await store.add({ ...SCOPE, workflow: 'Other' }, rating());
      const keys = (await client.keys(`${prefix}:*`)).sort();
      expect(keys).toHaveLength(5);
      const tags = keys.map((key) => /\{([^}]*)\}/.exec(key)?.[1]);
      expect(tags.filter((tag) => tag === 'feedback')).toHaveLength(1);
      const scopeTags = tags.filter((tag) => tag !== 'feedback');
      expect(new Set(scopeTags).size).toBe(2);
      for (const tag of scopeTags) expect(tag).toMatch(/^feedback:[0-9a-f]{32}$/);
      expect(await client.scard(`${prefix}:{feedback}:scopes`)).toBe(2);
    } finally {
      await deletePrefix(client, prefix);
    }
  });

  it('refuses an unreadable stored rating as STORAGE_UNAVAILABLE', async () => {
    const prefix = uniquePrefix('feedback');
    try {
      const store = new RedisFeedbackStore(client, { prefix });
      await store.add(SCOPE, rating());
      const [hash] = (await client.keys(`${prefix}:*:ratings`)) as [string];
      const [field] = (await client.hkeys(hash)) as [string];
      await client.hset(hash, field, '{"run": 1}');
      await expect(store.list(SCOPE, { limit: 5 })).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    } finally {
      await deletePrefix(client, prefix);
    }
  });

  it('refuses a prefix that would break the hash tags', () => {
    expect(() => new RedisFeedbackStore(client, { prefix: 'a{b}' })).toThrow(/prefix/);
  });
});

describe('Redis Cluster, 3 masters', () => {
  let cluster: RedisCluster;
  let client: RedisClient;
  beforeAll(async () => {
    cluster = await startCluster(3);
    client = createRedisClient(cluster.url);
  }, 60_000);
  afterAll(async () => {
    await closeRedisClient(client);
    await cluster.stop();
  });

  feedbackStoreContract(
    'RedisFeedbackStore (Cluster)',
    redisFactory(() => client),
  );
});
