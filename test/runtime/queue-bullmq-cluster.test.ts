/**
 * The RunQueue contract once on a real 3-master Redis Cluster: the hash-tagged prefix keeps every
 * key of a queue (and its wake marks) in one slot, which BullMQ's multi-key scripts need.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BullRunQueue } from '../../src/runtime/queue-bullmq.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { eventually, RETRY_DELAY_MS, Recorder, runQueueContract } from '../contracts/run-queue.contract.js';
import { deletePrefix, type RedisCluster, startCluster, uniquePrefix } from '../support/redis.js';

let cluster: RedisCluster;
let admin: RedisClient;
beforeAll(async () => {
  cluster = await startCluster(3);
  admin = createRedisClient(cluster.url);
});
afterAll(async () => {
  await closeRedisClient(admin);
  await cluster.stop();
});

const hashTagged = (): string => `{${uniquePrefix('runq')}}`;

runQueueContract('BullRunQueue on Redis Cluster', async () => {
  const prefix = hashTagged();
  const queue = new BullRunQueue({ connection: cluster.url, prefix, retryDelayMs: RETRY_DELAY_MS });
  return {
    queue,
    cleanup: async () => {
      await queue.close();
      await deletePrefix(admin, prefix);
    },
  };
});

it('keeps every key of the queue, wake marks included, in one slot', async () => {
  const prefix = hashTagged();
  const queue = new BullRunQueue({ connection: cluster.url, prefix });
  const recorder = new Recorder();
  await queue.process(
    recorder.processor(async ({ n }) =>
      n > 1 ? { kind: 'finished' } : { kind: 'wait', until: Date.now() + 60_000 },
    ),
    { concurrency: 2 },
  );
  for (const runId of ['a', 'b', 'c']) await queue.enqueue(runId);
  await eventually(async () => (await queue.counts()).delayed === 3);
  await queue.wake('a');
  await eventually(() => recorder.count('a') === 2);

  const node = cluster.nodes[0];
  if (node === undefined) throw new Error('no cluster node');
  const keys: string[] = [];
  for (const master of 'nodes' in admin ? admin.nodes('master') : [admin]) {
    keys.push(...(await master.keys(`${prefix}:*`)));
  }
  expect(keys.length).toBeGreaterThan(3);
  const slots = new Set(await Promise.all(keys.map((key) => node.cli('cluster', 'keyslot', key))));
  expect(slots.size).toBe(1);
  await queue.close();
  await deletePrefix(admin, prefix);
});

it('refuses a prefix without a hash tag on a Cluster', () => {
  expect(() => new BullRunQueue({ connection: cluster.url, prefix: 'aitws-runs' })).toThrow(/hash tag/);
});
