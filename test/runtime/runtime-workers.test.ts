/**
 * Two worker processes on one BullMQ queue share the runs. A plugin executor (loaded by each
 * worker from a temp dir) outputs its process id, so the journal tells which worker ran what.
 *
 * A run is one queue job, walked by one worker: the actions of a parallel group run concurrently
 * inside that worker and do not spread over workers. What spreads is runs, which this checks.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadPlugins } from '../../src/runtime/executors/plugins.js';
import { type RedisServer, startRedis, uniquePrefix } from '../support/redis.js';
import {
  action,
  assembleRuntime,
  builtinTypes,
  finished,
  head,
  stage,
  startRun,
} from '../support/runtime-parts.js';
import { spawnRuntimeWorker, type WorkerProcess } from '../support/runtime-processes.js';
import { type RuntimeBackend, runtimeBackend } from '../support/runtime-redis.js';

const ZOD = pathToFileURL(path.join(process.cwd(), 'node_modules/zod/index.js')).href;
// Long enough that one worker cannot drain the queue before the other takes a run.
const PID_PLUGIN = `import { z } from '${ZOD}';
export default {
  type: 'acme.pid',
  params: z.object({}),
  run: async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { pid: process.pid };
  },
};
`;
const RUNS = 12;

let redis: RedisServer;
let dir: string;
let backend: RuntimeBackend;
let workers: WorkerProcess[] = [];

beforeEach(async () => {
  redis = await startRedis();
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-pid-plugin-'));
  await writeFile(path.join(dir, 'pid.mjs'), PID_PLUGIN);
});

afterEach(async () => {
  await Promise.all(workers.map((started) => started.kill()));
  workers = [];
  await backend.queue.close();
  await backend.store.close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

it('two worker processes share concurrent runs; each run is processed by one of them, once', async () => {
  const prefix = uniquePrefix('workers');
  backend = runtimeBackend(redis.url, prefix);
  const plugins = await loadPlugins(dir, { builtinTypes: builtinTypes() });
  const runtime = assembleRuntime({ ...backend, plugins });
  const env = { REDIS_URL: redis.url, RUNTIME_PREFIX: prefix, LOCK_MS: '5000', STALLED_MS: '2500' };
  workers = [
    spawnRuntimeWorker({ ...env, PLUGINS_DIR: dir, CONCURRENCY: '1' }),
    spawnRuntimeWorker({ ...env, PLUGINS_DIR: dir, CONCURRENCY: '1' }),
  ];
  await Promise.all(workers.map((started) => started.ready));
  const toml = head() + stage('S', 1, action('Who', 'acme.pid', 'with = {}'));
  const runs = await Promise.all(Array.from({ length: RUNS }, () => startRun(runtime, toml)));
  const pids: number[] = [];
  for (const run of runs) {
    expect((await finished(backend.store, run.id, 20_000)).state).toBe('succeeded');
    const steps = await backend.store.steps(run.id);
    expect(steps.map((step) => [step.key, step.state, step.attempt])).toEqual([['S/Who#1', 'succeeded', 1]]);
    const output = steps[0]?.output;
    pids.push(typeof output === 'object' && output !== null && 'pid' in output ? Number(output.pid) : 0);
  }
  expect(new Set(pids)).toEqual(new Set(workers.map((started) => started.pid)));
}, 40_000);
