/**
 * `aitws snapshot RUN`: the run's execution snapshot (aiwg's schema) as JSON on stdout. Reads the
 * run store the bot and workers write (REDIS_URL, else the data directory) and nothing else; a
 * finished run without a stored snapshot (from before snapshots) gets one built from its journal.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Config, loadConfig } from '../config.js';
import type { Output } from '../output.js';
import { readRunSnapshot } from '../runtime/ai/run-snapshot.js';
import type { RunStore } from '../runtime/run-store.js';
import { FileRunStore } from '../runtime/run-store-file.js';
import { RedisRunStore } from '../runtime/run-store-redis.js';
import { createRedisClient } from '../session/redis-client.js';
import { type Environment, stdio } from './subcommand.js';
import { EXIT_UNREADABLE } from './validate-files.js';

export const SNAPSHOT_USAGE = `  snapshot RUN [--data-dir DIR]   the run's execution snapshot (aiwg schema) as JSON on stdout`;

/** The same store and key prefix as app-runtime.ts, without the queue and executors a reader never needs. */
function openRunStore(config: Config, dataDir: string | undefined): RunStore {
  if (config.redisUrl === undefined)
    return new FileRunStore({ dataDir: path.resolve(dataDir ?? config.dataDir) });
  const client = createRedisClient(config.redisUrl, {
    commandTimeoutMs: config.redisTimeoutMs,
    connectionName: 'aitws-snapshot',
  });
  return new RedisRunStore(client, {
    prefix: config.redisPrefix,
    commandTimeoutMs: config.redisTimeoutMs,
    ownsClient: true,
  });
}

/** `output` is for tests that run the command in-process; the CLI prints to stdout and stderr. */
export async function snapshotCommand(
  args: readonly string[],
  env: Environment,
  output: Output = stdio,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { 'data-dir': { type: 'string' } },
    allowPositionals: true,
  });
  const [runId] = positionals;
  if (runId === undefined || positionals.length !== 1) {
    output.err(`aitws snapshot: name one run, e.g. aitws snapshot r7k2m9qxa4b\n\n${SNAPSHOT_USAGE}`);
    return EXIT_UNREADABLE;
  }
  const store = openRunStore(loadConfig(env, ['storage']), values['data-dir']);
  try {
    // An id that could never be a run (a path, say) is unknown, not a storage error.
    const run = /^[A-Za-z0-9_-]{1,64}$/.test(runId) ? await store.read(runId) : null;
    if (run === null) {
      output.err(`aitws snapshot: there is no run ${JSON.stringify(runId.slice(0, 64))} in this store.`);
      return 1;
    }
    const snapshot = await readRunSnapshot(store, runId);
    if (snapshot === null) {
      output.err(`aitws snapshot: run ${runId} is ${run.state}; its snapshot is written when it finishes.`);
      return 1;
    }
    output.out(JSON.stringify(snapshot, null, 2));
    return 0;
  } finally {
    await store.close();
  }
}
