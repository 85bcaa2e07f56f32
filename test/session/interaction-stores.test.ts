import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { RedisInteractionStore } from '../../src/session/redis-interactions.js';
import { interactionStoreContract } from '../contracts/interaction-store.contract.js';
import { type RedisServer, startRedis, uniquePrefix } from '../support/redis.js';

let redis: RedisServer;
let client: RedisClient;

beforeAll(async () => {
  redis = await startRedis();
  client = createRedisClient(redis.url);
});

afterAll(async () => {
  await closeRedisClient(client);
  await redis.stop();
});

interactionStoreContract('memory', async () => new MemoryInteractionStore());
interactionStoreContract(
  'redis',
  async () => new RedisInteractionStore(client, { prefix: uniquePrefix('ix') }),
);

describe('RedisInteractionStore specifics', () => {
  it('expires claims and counters with their TTL', async () => {
    const prefix = uniquePrefix('ttl');
    const store = new RedisInteractionStore(client, { prefix });
    expect(await store.claimOnce('events', 'E1', 1)).toBe(true);
    expect(await store.increment('rate', 'U1', 1, 1)).toBe(1);
    const ttl = Number(await redis.cli('TTL', `${prefix}:{counter:rate:U1}:counter`));
    expect(ttl).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await store.claimOnce('events', 'E1', 1)).toBe(true);
    expect(await store.increment('rate', 'U1', 1, 1)).toBe(1);
  });

  it('fails fast with a storage error while Redis is paused', async () => {
    const store = new RedisInteractionStore(client, { prefix: uniquePrefix('pause'), commandTimeoutMs: 300 });
    redis.pause();
    try {
      await expect(store.claimOnce('events', 'E2', 60)).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
      });
    } finally {
      redis.resume();
    }
  });

  it('survives a restart of the bot: a new store instance sees the stored action', async () => {
    const prefix = uniquePrefix('restart');
    const before = new RedisInteractionStore(client, { prefix });
    const channel = { platform: 'slack', workspace: 'T', channel: 'C' } as const;
    await before.putAction(
      { id: 'Abc123456', channel, commands: ['/undo'], summary: 'Undo', createdBy: 'a', createdAt: 'now' },
      60,
    );
    const otherClient = createRedisClient(redis.url);
    try {
      const after = new RedisInteractionStore(otherClient, { prefix });
      const result = await after.decideAction('Abc123456', channel, {
        choice: 'confirm',
        by: 'b',
        byId: 'B',
        at: 'now',
      });
      expect(result.status).toBe('decided');
    } finally {
      await closeRedisClient(otherClient);
    }
  });
});
