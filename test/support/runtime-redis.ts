/** The Redis run store and BullMQ queue that the test and its worker processes share. */
import { BullRunQueue } from '../../src/runtime/queue-bullmq.js';
import { RedisRunStore } from '../../src/runtime/run-store-redis.js';
import { createRedisClient } from '../../src/session/redis-client.js';

export interface RuntimeBackend {
  readonly store: RedisRunStore;
  readonly queue: BullRunQueue;
}

/** The queue lives under `{prefix-runs}` (one Cluster slot), the runs under `prefix`. */
export function runtimeBackend(
  url: string,
  prefix: string,
  lockMs?: number,
  stalledMs?: number,
): RuntimeBackend {
  const store = new RedisRunStore(createRedisClient(url), {
    prefix,
    commandTimeoutMs: 5000,
    ownsClient: true,
  });
  const queue = new BullRunQueue({
    connection: url,
    prefix: `{${prefix}-runs}`,
    retryDelayMs: 200,
    ...(lockMs === undefined ? {} : { lockDurationMs: lockMs }),
    ...(stalledMs === undefined ? {} : { stalledIntervalMs: stalledMs }),
  });
  return { store, queue };
}
