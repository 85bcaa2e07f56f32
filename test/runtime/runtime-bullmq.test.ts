/** The Runtime contract distributed: RedisRunStore and BullRunQueue on a real redis-server. */
import { afterAll, beforeAll } from 'vitest';
import { BullRunQueue } from '../../src/runtime/queue-bullmq.js';
import { RedisRunStore } from '../../src/runtime/run-store-redis.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { runtimeContract } from '../contracts/runtime.contract.js';
import { deletePrefix, type RedisServer, startRedis, uniquePrefix } from '../support/redis.js';

let redis: RedisServer;
let admin: RedisClient;
beforeAll(async () => {
  redis = await startRedis();
  admin = createRedisClient(redis.url);
});
afterAll(async () => {
  await closeRedisClient(admin);
  await redis.stop();
});

runtimeContract('RedisRunStore + BullRunQueue', async () => {
  const prefix = uniquePrefix('rt');
  const queuePrefix = `{${prefix}-runs}`;
  const client = createRedisClient(redis.url);
  const store = new RedisRunStore(client, { prefix, commandTimeoutMs: 5000, ownsClient: true });
  const queue = new BullRunQueue({ connection: redis.url, prefix: queuePrefix, retryDelayMs: 200 });
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
