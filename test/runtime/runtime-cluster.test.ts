/** The Runtime contract on a real 3-master Redis Cluster: run keys spread over slots, the queue in one. */
import { afterAll, beforeAll } from 'vitest';
import { BullRunQueue } from '../../src/runtime/queue-bullmq.js';
import { RedisRunStore } from '../../src/runtime/run-store-redis.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { runtimeContract } from '../contracts/runtime.contract.js';
import { deletePrefix, type RedisCluster, startCluster, uniquePrefix } from '../support/redis.js';

let cluster: RedisCluster;
let admin: RedisClient;
beforeAll(async () => {
  cluster = await startCluster(3);
  admin = createRedisClient(cluster.url);
}, 30_000);
afterAll(async () => {
  await closeRedisClient(admin);
  await cluster.stop();
});

runtimeContract('RedisRunStore + BullRunQueue on Redis Cluster', async () => {
  const prefix = uniquePrefix('rt');
  const queuePrefix = `{${prefix}-runs}`;
  const client = createRedisClient(cluster.url);
  const store = new RedisRunStore(client, { prefix, commandTimeoutMs: 5000, ownsClient: true });
  const queue = new BullRunQueue({ connection: cluster.url, prefix: queuePrefix, retryDelayMs: 200 });
  return {
    store,
    queue,
    spreadGroups: true,
    cleanup: async () => {
      await queue.close();
      await store.close();
      await deletePrefix(admin, prefix);
      await deletePrefix(admin, queuePrefix);
    },
  };
});
