/** The shared SessionStore contract against RedisSessionStore: standalone and a 3-master Cluster. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChannelKey } from '../../src/session/port.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { createRedisKeys } from '../../src/session/redis-keys.js';
import { RedisSessionStore, type SessionRedisClient } from '../../src/session/redis-store.js';
import { type ContractStoreOptions, sessionStoreContract } from '../contracts/session-store.contract.js';
import {
  deletePrefix,
  type RedisCluster,
  sharedRedis,
  startCluster,
  uniquePrefix,
} from '../support/redis.js';

function redisFactory(client: () => RedisClient) {
  return async ({ historyLimit, library }: ContractStoreOptions) => {
    const prefix = uniquePrefix('contract');
    const store = new RedisSessionStore(client(), { prefix, historyLimit, library });
    return { store, cleanup: () => deletePrefix(client(), prefix) };
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

  sessionStoreContract(
    'RedisSessionStore (standalone)',
    redisFactory(() => client),
  );
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

  sessionStoreContract(
    'RedisSessionStore (cluster)',
    redisFactory(() => client),
  );

  test('one channel (and one workspace library) keeps all its keys in one slot; channels differ', async () => {
    const keys = createRedisKeys(uniquePrefix('slots'));
    const node = cluster.nodes[0];
    if (node === undefined) throw new Error('no cluster node');
    const slotOf = async (key: string): Promise<number> => Number(await node.cli('cluster', 'keyslot', key));
    const slots = new Set<number>();
    for (let index = 0; index < 12; index++) {
      const channel: ChannelKey = { platform: 'slack', workspace: 'T}{1', channel: `C:{${index}}` };
      const { session, history } = keys.channel(channel);
      const slot = await slotOf(session);
      expect(await slotOf(history)).toBe(slot);
      slots.add(slot);
    }
    const { saved, savedIndex } = keys.workspace({ platform: 'slack', workspace: 'T}{1' });
    expect(await slotOf(saved)).toBe(await slotOf(savedIndex));
    expect(slots.size).toBeGreaterThan(1);
  });

  test('ioredis Cluster satisfies the store client interface', () => {
    const typed: SessionRedisClient = client;
    expect(typed).toBe(client);
  });
});
