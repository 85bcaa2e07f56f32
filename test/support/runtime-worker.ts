/**
 * A worker process for the crash tests: the Redis runtime (RedisRunStore + BullRunQueue) working
 * on runs until it is killed. `node --import tsx test/support/runtime-worker.ts` with
 *
 *   REDIS_URL, RUNTIME_PREFIX      where the runs and the queue live (the test's own prefix)
 *   LOCK_MS, STALLED_MS            the queue's lock and stall check, short so takeover is fast
 *   PLUGINS_DIR                    optional: plugin executors to load
 *
 * Prints `ready` once it works on the queue. SIGTERM closes it the way `aitws worker` would.
 */
import path from 'node:path';
import { loadPlugins } from '../../src/runtime/executors/plugins.js';
import { assembleRuntime, builtinTypes } from './runtime-parts.js';
import { runtimeBackend } from './runtime-redis.js';

async function main(): Promise<void> {
  const env = process.env;
  const url = env.REDIS_URL ?? '';
  const { store, queue } = runtimeBackend(
    url,
    env.RUNTIME_PREFIX ?? '',
    Number(env.LOCK_MS ?? 1000),
    Number(env.STALLED_MS ?? 500),
  );
  const dir = env.PLUGINS_DIR;
  const plugins =
    dir === undefined || dir === ''
      ? []
      : await loadPlugins(path.resolve(dir), { builtinTypes: builtinTypes() });
  // As the app with Redis: parallel groups are shared out as jobs (SPREAD=0 keeps them in one job).
  const runtime = assembleRuntime({ store, queue, plugins, spreadGroups: env.SPREAD !== '0' });
  process.once('SIGTERM', () => {
    void queue
      .close()
      .then(() => store.close())
      .finally(() => process.exit(0));
  });
  await runtime.work(Number(env.CONCURRENCY ?? 2));
  process.stdout.write('ready\n');
}

await main();
