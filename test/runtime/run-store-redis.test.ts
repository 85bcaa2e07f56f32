/** The RunStore contract on RedisRunStore (standalone and a 3-master Cluster), and what Redis adds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewRun } from '../../src/runtime/run-store.js';
import { RedisRunStore } from '../../src/runtime/run-store-redis.js';
import { createRunKeys, RUN_MEMO, RUN_STEP, RUN_UPDATE } from '../../src/runtime/run-store-redis-keys.js';
import { runScript } from '../../src/session/redis-call.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { runStoreContract } from '../contracts/run-store.contract.js';
import { richDocument } from '../contracts/session-store.fixtures.js';
import {
  deletePrefix,
  type RedisCluster,
  sharedRedis,
  startCluster,
  uniquePrefix,
} from '../support/redis.js';

function redisFactory(client: () => RedisClient) {
  return async () => {
    const prefix = uniquePrefix('runs');
    const store = new RedisRunStore(client(), { prefix, commandTimeoutMs: 5000 });
    return { store, cleanup: () => deletePrefix(client(), prefix) };
  };
}

const at = (minute: number): string => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();
const ms = (minute: number): number => Date.parse(at(minute));

function newRun(id: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    id,
    channel: { platform: 'slack', workspace: 'T1', channel: 'C{1}' },
    workflow: { name: 'train', version: 1, hash: `sha256:${'ef'.repeat(32)}` },
    document: richDocument(),
    inputs: { dataset: 'iris' },
    state: 'queued',
    attempt: 0,
    startedBy: { id: 'U1', name: 'Ada' },
    createdAt: at(0),
    updatedAt: at(0),
    deadline: at(60),
    ...overrides,
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

  runStoreContract(
    'RedisRunStore (standalone)',
    redisFactory(() => client),
  );

  /** Runs `test` against a fresh store and prefix, then removes the prefix's keys. */
  async function withStore(test: (store: RedisRunStore, prefix: string) => Promise<void>): Promise<void> {
    const prefix = uniquePrefix('runs-extra');
    try {
      await test(new RedisRunStore(client, { prefix }), prefix);
    } finally {
      await deletePrefix(client, prefix);
    }
  }

  it('keeps each run under one hash tag, its indexes under their own', async () => {
    await withStore(async (store, prefix) => {
      const run = await store.create(newRun('run-1'));
      await store.recordStep('run-1', { key: 'a', state: 'started', idempotencyKey: 'k', startedAt: at(1) });
      await store.writeStepMemo('run-1', 'a', 0, { votes: [] });
      await store.update('run-1', 1, { ...run, state: 'cancelled' });
      const keys = (await client.keys(`${prefix}:*`)).sort();
      expect(keys).toEqual(
        [
          `${prefix}:{run:run-1}:memos`,
          `${prefix}:{run:run-1}:order`,
          `${prefix}:{run:run-1}:record`,
          `${prefix}:{run:run-1}:steps`,
          `${prefix}:{runs:slack:T1:C%7B1%7D}:runs`,
          `${prefix}:{runs}:retention`,
        ].sort(),
      );
      expect(await client.zscore(`${prefix}:{runs}:retention`, 'run-1')).toBe(String(ms(0)));
    });
  });

  it('a write the client resends after a reconnect reports its first success, applied once', async () => {
    await withStore(async (store, prefix) => {
      const run = await store.create(newRun('run-1'));
      const record = `${prefix}:{run:run-1}:record`;
      const change = JSON.stringify({ state: 'running', attempt: 1, updatedAt: at(1), deadline: at(60) });
      const update = [1, 'running', change, ms(1), 'wid-1', 'queued running'];
      expect(await runScript(client, RUN_UPDATE, [record], update)).toEqual(['ok', 2]);
      expect(await runScript(client, RUN_UPDATE, [record], update)).toEqual(['ok', 2]);
      const other = [...update.slice(0, 4), 'wid-2', 'queued'];
      expect(await runScript(client, RUN_UPDATE, [record], other)).toEqual([
        'stale',
        2,
        expect.any(String),
        change,
      ]);
      expect(await store.read('run-1')).toMatchObject({ revision: 2, state: 'running', attempt: 1 });

      const stepKeys = [record, `${prefix}:{run:run-1}:steps`, `${prefix}:{run:run-1}:order`];
      const body = JSON.stringify({ key: 'a', state: 'started', idempotencyKey: 'k' });
      for (let n = 0; n < 2; n++)
        await runScript(client, RUN_STEP, stepKeys, ['a', 'started', at(2), body, 'w']);
      expect(await store.steps('run-1')).toEqual([
        { key: 'a', state: 'started', idempotencyKey: 'k', startedAt: at(2), attempt: 1 },
      ]);

      const memoKeys = [record, `${prefix}:{run:run-1}:memos`];
      for (let n = 0; n < 2; n++) {
        expect(await runScript(client, RUN_MEMO, memoKeys, ['m', 0, '{"n":1}', 'memo-wid'])).toBe('ok');
      }
      expect(await store.readStepMemo('run-1', 'm')).toEqual({ revision: 1, value: { n: 1 } });
      expect(run.revision).toBe(1);
    });
  });

  it('journals 1,500 steps in order and returns them in one call', async () => {
    await withStore(async (store) => {
      await store.create(newRun('run-1'));
      const keys = Array.from({ length: 1500 }, (_, n) => `Stage/Action${(n * 7919) % 1500}#0`);
      for (const key of keys) {
        await store.recordStep('run-1', { key, state: 'succeeded', idempotencyKey: key, startedAt: at(1) });
      }
      const steps = await store.steps('run-1');
      expect(steps.map((step) => step.key)).toEqual(keys);
    });
  });

  it('list skips index entries whose run is gone or lives in another channel', async () => {
    await withStore(async (store, prefix) => {
      const channel = newRun('x').channel;
      await store.create(newRun('run-1', { createdAt: at(1) }));
      const index = `${prefix}:{runs:slack:T1:C%7B1%7D}:runs`;
      // A create that indexed its run and then died, and an entry naming another channel's run.
      await client.zadd(index, ms(5), 'never-written');
      await store.create(newRun('elsewhere', { channel: { ...channel, channel: 'C2' } }));
      await client.zadd(index, ms(4), 'elsewhere');
      expect((await store.list(channel, { limit: 10 })).map((run) => run.id)).toEqual(['run-1']);
    });
  });

  it('retention re-scores a finished run whose score was left early, and removes it when due', async () => {
    await withStore(async (store, prefix) => {
      const run = await store.create(newRun('run-1'));
      await store.update('run-1', 1, { ...run, state: 'cancelled', updatedAt: at(30) });
      const retention = `${prefix}:{runs}:retention`;
      // As if the re-score after the update had been lost: the create's score stays.
      await client.zadd(retention, ms(0), 'run-1');
      expect(await store.removeFinishedBefore(new Date(at(10)))).toBe(0);
      expect(await client.zscore(retention, 'run-1')).toBe(String(ms(30)));
      expect(await store.removeFinishedBefore(new Date(at(31)))).toBe(1);
      expect(await client.keys(`${prefix}:*`)).toEqual([]);
    });
  });

  it('refuses to work once closed, and leaves a shared client open', async () => {
    const store = new RedisRunStore(client, { prefix: uniquePrefix('runs-closed') });
    await store.close();
    await expect(store.read('run-1')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(await client.ping()).toBe('PONG');
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

  runStoreContract(
    'RedisRunStore (cluster)',
    redisFactory(() => client),
    { concurrentWriters: 10 },
  );

  it('puts all of one run in one slot, and different runs in different slots', async () => {
    const node = cluster.nodes[0];
    if (node === undefined) throw new Error('no cluster node');
    const slotOf = async (key: string): Promise<number> => Number(await node.cli('cluster', 'keyslot', key));
    const slots = new Set<number>();
    const keys = createRunKeys('p');
    for (const id of ['run-1', 'run-2', 'run-3', 'run-4', 'run-5', 'run-6']) {
      const { record, ...others } = keys.run(id);
      const slot = await slotOf(record);
      for (const key of Object.values(others)) expect(await slotOf(key)).toBe(slot);
      slots.add(slot);
    }
    expect(slots.size).toBeGreaterThan(1);
  });
});
