/**
 * Event dedupe on Redis: the claim of an event id is shared by every process using the store and
 * outlives the one that made it, so a redelivery to another process, or after a restart, is a
 * duplicate and posts nothing.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { RedisInteractionStore } from '../../src/session/redis-interactions.js';
import { deletePrefix, type RedisServer, startRedis, uniquePrefix } from '../support/redis.js';
import { CHANNEL, createEventsHarness, type EventsHarness, HEAD } from './events-harness.js';

const NOTIFY =
  `${HEAD}[[roles]]\nname = "Ops"\n[[events]]\nname = "Paged"\ntype = "paged"\n` +
  '[[triggers]]\nname = "OnPage"\nevent = "Paged"\nhandler = "Tell"\n[[handlers]]\nname = "Tell"\naction = "NotifyOps"\n';

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

let h: EventsHarness;
let prefix: string;
const clients: RedisClient[] = [];
beforeEach(async () => {
  h = await createEventsHarness();
  prefix = uniquePrefix('events');
});
afterEach(async () => {
  await h.close();
  for (const client of clients.splice(0)) await closeRedisClient(client);
  await deletePrefix(admin, prefix);
});

/** A router as one process builds it: its own connection to the shared store. */
function processRouter() {
  const client = createRedisClient(redis.url);
  clients.push(client);
  return h.makeRouter({ claims: new RedisInteractionStore(client, { prefix }) });
}

describe('event dedupe on Redis', () => {
  it('two processes given the same event at once handle it once', async () => {
    h.setDocument(NOTIFY);
    const event = { type: 'paged', id: 'page-1', data: {} };
    const by = { id: 'pager', name: 'pager' };
    const [a, b] = await Promise.all([
      processRouter().deliver(CHANNEL, event, { by }),
      processRouter().deliver(CHANNEL, event, { by }),
    ]);
    expect([a?.duplicate, b?.duplicate].sort()).toEqual([false, true]);
    expect(h.posts).toHaveLength(1);
  });

  it('a process started later still knows the id', async () => {
    h.setDocument(NOTIFY);
    const event = { type: 'paged', id: 'page-2', data: {} };
    const by = { id: 'pager', name: 'pager' };
    expect((await processRouter().deliver(CHANNEL, event, { by })).duplicate).toBe(false);
    for (const client of clients.splice(0)) await closeRedisClient(client);
    expect((await processRouter().deliver(CHANNEL, event, { by })).duplicate).toBe(true);
    expect((await processRouter().deliver(CHANNEL, { ...event, id: 'page-3' }, { by })).duplicate).toBe(
      false,
    );
    expect(h.posts.map((post) => post.text)).toEqual([
      'Workflow event paged: for the attention of Ops (handler Tell).',
      'Workflow event paged: for the attention of Ops (handler Tell).',
    ]);
  });
});
