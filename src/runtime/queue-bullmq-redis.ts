/**
 * The Redis side of the BullMQ run queue: the connections it needs and the startup check that
 * Redis will not evict its keys.
 */
import { Cluster, type Redis, type RedisOptions } from 'ioredis';
import { AitwsError } from '../errors.js';
import { createRedisClient, type RedisClient, type RedisClientOptions } from '../session/redis-client.js';

/** What callers may tune on the queue's connections (TLS, a name in CLIENT LIST, error reports). */
export type RunQueueClientOptions = Pick<RedisClientOptions, 'tls' | 'connectionName' | 'onError'>;

/** The producer's connection: enqueue and wake fail fast while Redis is down, like the stores. */
export function producerClient(url: string, options: RunQueueClientOptions): RedisClient {
  return createRedisClient(url, options);
}

/**
 * A template the Worker duplicates for its two connections (never connected itself). BullMQ
 * refuses a worker connection that gives up on a command (`maxRetriesPerRequest` must be null),
 * and its blocking fetch (BZPOPMIN, up to 10 s) must not hit createRedisClient's command timeout.
 */
export function workerTemplateClient(url: string, options: RunQueueClientOptions): RedisClient {
  // createRedisClient always sets a command timeout; an own key set to undefined (what ioredis
  // reads as "none") is the only way to lift it, and exactOptionalPropertyTypes cannot spell it.
  const unbounded: RedisOptions = Object.fromEntries([['commandTimeout', undefined]]);
  return createRedisClient(url, {
    ...options,
    redisOptions: { ...unbounded, maxRetriesPerRequest: null, lazyConnect: true },
    clusterOptions: { lazyConnect: true },
  });
}

/**
 * Refuses a Redis that may evict keys: under memory pressure it would drop BullMQ's job keys and
 * runs would silently stop. Workers call this at startup. On a Cluster every master is checked.
 */
export async function checkNoEviction(client: RedisClient): Promise<void> {
  for (const node of await masters(client)) {
    const policy = await evictionPolicy(node);
    if (policy !== 'noeviction') {
      throw new AitwsError(
        'CONFIG',
        `Redis is configured to evict keys (maxmemory-policy ${policy}); the run queue needs ` +
          '"noeviction", or jobs (and the runs waiting on them) can be lost when memory runs short.',
        {
          hint:
            'Set "maxmemory-policy noeviction" in redis.conf, or run "CONFIG SET maxmemory-policy noeviction" ' +
            '(on a managed Redis, in its parameter group), then start the worker again.',
        },
      );
    }
  }
}

async function masters(client: RedisClient): Promise<Redis[]> {
  if (!(client instanceof Cluster)) return [client];
  // The node list is filled once the client knows the slots; a command gets it there.
  await client.ping();
  return client.nodes('master');
}

async function evictionPolicy(node: Redis): Promise<string> {
  try {
    const reply: unknown = await node.config('GET', 'maxmemory-policy');
    if (Array.isArray(reply) && typeof reply[1] === 'string') return reply[1];
  } catch {
    // CONFIG is often renamed or disabled on managed Redis; INFO reports the policy too.
  }
  const info = await node.info('memory');
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy === undefined) {
    throw new AitwsError(
      'CONFIG',
      'Could not read the maxmemory-policy of Redis (neither CONFIG nor INFO).',
      {
        hint: 'Make sure Redis uses "maxmemory-policy noeviction", and that the worker may run INFO.',
      },
    );
  }
  return policy;
}
